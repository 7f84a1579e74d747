"""Issue 13: `kamcoach config show|edit|path`, and the preferences used by the CLI.

config.toml's [defaults] owner owns deals added without --owner and is what
--mine filters on; [defaults] playbook comes before team.toml's default.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.preferences import config_file


def _ok(runner: CliRunner, *args: str, **kwargs: object) -> str:
    result = runner.invoke(main, list(args), **kwargs)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    return result.stdout


def _editor(tmp_path: Path, text: str) -> str:
    """An $EDITOR that appends ``text`` to the file it is given, as a user typing would."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        f"with open(sys.argv[1], 'a', encoding='utf-8') as fh:\n    fh.write({text!r})\n",
        encoding="utf-8",
    )
    return f"{sys.executable} {script}"


def test_path_and_show_without_a_file(runner: CliRunner) -> None:
    path = config_file()
    assert _ok(runner, "config", "path").strip() == str(path)
    shown = _ok(runner, "config", "show", "--format", "json")
    data = json.loads(shown)
    assert data["path"] == str(path) and data["exists"] is False
    assert all(s["default"] for s in data["settings"].values())
    table = _ok(runner, "config", "show")
    assert "not created yet" in table and "(default" in table


def test_edit_creates_the_template_then_show_marks_file_values(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = config_file()
    editor = _editor(tmp_path, '\n[defaults]\nowner = "Sarah Collins"\n')
    result = runner.invoke(main, ["config", "edit"], env={"EDITOR": editor, "VISUAL": ""})
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    for key in ("name =", "email =", "owner =", "playbook =", "language =", "[keys]"):
        assert f"# {key}" in text or f"# [{key.strip('[]')}]" in text  # every key documented
    assert text.endswith('owner = "Sarah Collins"\n')
    data = json.loads(_ok(runner, "config", "show", "--format", "json"))
    assert data["exists"] is True
    assert data["settings"]["defaults.owner"] == {"value": "Sarah Collins", "default": False}
    assert data["settings"]["defaults.playbook"]["default"] is True
    line = next(
        row
        for row in _ok(runner, "config", "show").splitlines()
        if row.startswith("defaults.owner")
    )
    assert "Sarah Collins" in line and "(default" not in line


@pytest.mark.parametrize(
    "typed,key",
    [
        ('\n[defaults]\nownr = "x"\n', "defaults.ownr"),
        ('\n[defaults]\nplaybook = "medic"\n', "defaults.playbook"),
        ('\n[interface]\nlanguage = "de"\n', "interface.language"),
    ],
)
def test_edit_names_the_mistake_and_keeps_the_file(
    runner: CliRunner, tmp_path: Path, typed: str, key: str
) -> None:
    path = config_file()
    editor = _editor(tmp_path, typed)
    result = runner.invoke(main, ["config", "edit"], env={"EDITOR": editor, "VISUAL": ""})
    assert result.exit_code == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(f"error: {path}: {key}:"), error
    assert path.read_text(encoding="utf-8").endswith(typed)  # kept as the user left it


def _config(text: str) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_deals_add_takes_the_default_owner_and_playbook(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    _config('[user]\nname = "Ann Lee"\n[defaults]\nowner = "Sarah Collins"\nplaybook = "bant"\n')
    args = ["--db", str(db_path), "deals", "add", "--account", "Northmoor Retail Group"]
    row = json.loads(_ok(runner, *args, "Shelf sensors", "--format", "json"))
    assert (row["owner"], row["playbook"]) == ("Sarah Collins", "bant")
    given = json.loads(
        _ok(
            runner,
            *args,
            "Shelf sensors 2",
            "--owner",
            "Julien Roux",
            "--playbook",
            "meddic",
            "--format",
            "json",
        )
    )
    assert (given["owner"], given["playbook"]) == ("Julien Roux", "meddic")


def test_mine_filters_on_the_default_owner(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    _config('[defaults]\nowner = "camille martin"\n')
    base = ["--db", str(db_path)]
    deals = json.loads(_ok(runner, *base, "deals", "list", "--mine", "--format", "json"))
    assert deals and {d["owner"] for d in deals} == {"Camille Martin"}
    report = json.loads(_ok(runner, *base, "pipeline", "--mine", "--format", "json"))
    assert report["deals"] and {d["owner"] for d in report["deals"]} == {"Camille Martin"}
    both = runner.invoke(main, [*base, "pipeline", "--mine", "--owner", "Julien Roux"])
    assert both.exit_code == 1 and "--mine and --owner" in both.stderr
    _config('[defaults]\nowner = "Camile Martin"\n')
    typo = runner.invoke(main, [*base, "deals", "list", "--mine"])
    assert typo.exit_code == 1
    assert "unknown owner 'Camile Martin'; did you mean 'Camille Martin'?" in typo.stderr


def test_readme_config_block_is_a_valid_config(tmp_path: Path) -> None:
    """The README's config.toml block is read by load_preferences as it stands."""
    from kamcoach.preferences import load_preferences

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "config.toml"
    path.write_text(block, encoding="utf-8")
    prefs = load_preferences(path)
    assert (prefs.default_owner, prefs.default_playbook, prefs.language) == (
        "Camille Martin",
        "meddpicc",
        "fr",
    )
    assert prefs.keys == {"deal.note": "ctrl+n"}
