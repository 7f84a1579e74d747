"""config.toml (the user's preferences) and the state file (what the app remembers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamcoach.errors import InputError
from kamcoach.preferences import load_preferences, load_user
from kamcoach.state import load_state, remember, state_file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMCOACH_USER", "Ada")
    prefs = load_preferences(tmp_path / "none.toml")
    assert prefs.user.name == "Ada"
    assert prefs.default_owner is None and prefs.default_playbook is None
    assert prefs.language == "en" and prefs.keys == {}


def test_every_section_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[user]\nname = "Camille Martin"\nemail = "c@example.com"\n'
        '[defaults]\nowner = "Léa Roux"\nplaybook = "bant"\n'
        '[interface]\nlanguage = "FR"\n'
        '[keys]\n"deal.note" = "ctrl+n"\n',
    )
    prefs = load_preferences(path)
    assert prefs.user.name == "Camille Martin" and prefs.user.email == "c@example.com"
    assert (prefs.default_owner, prefs.default_playbook) == ("Léa Roux", "bant")
    assert prefs.language == "fr"
    assert prefs.keys == {"deal.note": "ctrl+n"}
    assert load_user(path).name == "Camille Martin"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[usr]\nname='x'\n", "usr: unknown section"),
        ("[user]\nnom='x'\n", "user.nom: unknown key"),
        ("[defaults]\nowner=3\n", "defaults.owner: expected a non-empty string"),
        ("[defaults]\nplaybook=''\n", "defaults.playbook: expected a non-empty string"),
        ("[interface]\nlanguage='de'\n", "interface.language: 'de' is not one of en, fr"),
        ("[keys]\n'deal.note'=1\n", "keys.deal.note: expected a non-empty string"),
        ("user = 3\n", "user: expected a table"),
        ("[user\n", "not valid TOML"),
    ],
)
def test_broken_file_names_file_and_key(tmp_path: Path, text: str, where: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_preferences(path)
    assert str(info.value).startswith(str(path)) and where in str(info.value)


@pytest.mark.parametrize(("lang", "expected"), [("fr_FR.UTF-8", "fr"), ("en_GB.UTF-8", "en")])
def test_language_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, expected: str
) -> None:
    monkeypatch.setenv("LANG", lang)
    assert load_preferences(tmp_path / "none.toml").language == expected


def test_state_file_is_separate_and_survives_garbage(tmp_path: Path) -> None:
    assert load_state() == {}
    assert remember("theme", "kamcoach-light")
    assert load_state() == {"theme": "kamcoach-light"}
    assert state_file().parent.name == "kamcoach"
    state_file().write_text("{not json", encoding="utf-8")
    assert load_state() == {}
    assert remember("theme", "kamcoach-dark")
    assert load_state()["theme"] == "kamcoach-dark"
