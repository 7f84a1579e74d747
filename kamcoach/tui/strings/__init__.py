"""The interface's words in English and French, kept as data (``en.toml``, ``fr.toml``).

Screen headings, footer labels, key descriptions and the help text live in one
TOML file per language rather than in the screens, so a translation is a file
to read side by side with the English one, and a key forgotten in one language
is caught when the files are read (:func:`check_catalogues`), not when a French
user meets an English word. Analysis text is not here: it follows the deal's
language and comes from the playbooks.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "fr")
SECTIONS = ("ui", "titles", "about", "palette", "textual", "keys", "tips")
HERE = Path(__file__).parent


class StringsError(ValueError):
    """A catalogue that does not match the English one (names the file and key)."""


def catalogue_path(language: str) -> Path:
    return HERE / f"{language}.toml"


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def _read(language: str) -> dict[str, dict[str, str]]:
    path = catalogue_path(language)
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    tables: dict[str, dict[str, str]] = {}
    for section in SECTIONS:
        table = data.get(section)
        if not isinstance(table, dict):
            raise StringsError(f"{path.name}: [{section}] missing")
        for key, value in table.items():
            if not isinstance(value, str) or not value.strip():
                raise StringsError(f"{path.name}: {section}.{key}: expected a non-empty string")
        tables[section] = dict(table)
    extra = sorted(set(data) - set(SECTIONS))
    if extra:
        raise StringsError(f"{path.name}: [{extra[0]}]: unknown section")
    return tables


@cache
def check_catalogues() -> dict[str, dict[str, dict[str, str]]]:
    """Every catalogue read and compared with English: same sections, same keys,
    same ``{placeholders}``. Raises StringsError naming the file and the key."""
    catalogues = {language: _read(language) for language in LANGUAGES}
    reference = catalogues["en"]
    for language, tables in catalogues.items():
        name = catalogue_path(language).name
        for section in SECTIONS:
            missing = sorted(set(reference[section]) - set(tables[section]))
            if missing:
                raise StringsError(f"{name}: {section}.{missing[0]}: missing (en.toml has it)")
            extra = sorted(set(tables[section]) - set(reference[section]))
            if extra:
                raise StringsError(f"{name}: {section}.{extra[0]}: not in en.toml")
            for key, text in tables[section].items():
                if _fields(text) != _fields(reference[section][key]):
                    raise StringsError(f"{name}: {section}.{key}: placeholders differ from en.toml")
    return catalogues


@dataclass(frozen=True, slots=True)
class Strings:
    """The catalogue of one language; ``ui()``, ``title()``... look words up."""

    language: str
    tables: dict[str, dict[str, str]]

    def get(self, section: str, key: str) -> str | None:
        return self.tables[section].get(key)

    def ui(self, key: str, **values: object) -> str:
        text = self.tables["ui"][key]
        return text.format(**values) if values else text

    def palette(self, key: str, **values: object) -> str:
        text = self.tables["palette"][key]
        return text.format(**values) if values else text

    def title(self, screen_id: str) -> str | None:
        return self.tables["titles"].get(screen_id)

    def about(self, screen_id: str) -> str | None:
        return self.tables["about"].get(screen_id)

    def key_label(self, binding_id: str | None) -> str | None:
        return self.tables["keys"].get(binding_id) if binding_id else None

    def textual_label(self, action: str) -> str | None:
        """Label of one of Textual's own bindings (no id), by its action."""
        return self.tables["textual"].get(action)

    def key_tip(self, binding_id: str | None) -> str | None:
        return self.tables["tips"].get(binding_id) if binding_id else None


def load_strings(language: str) -> Strings:
    """The catalogue of ``language`` ("en" or "fr"), after checking both agree."""
    if language not in LANGUAGES:
        raise StringsError(f"interface language {language!r} is not one of {', '.join(LANGUAGES)}")
    return Strings(language, check_catalogues()[language])


def screen_id(obj: object) -> str:
    """'PipelineScreen' -> 'pipeline', 'ManagerReviewScreen' -> 'manager_review',
    'NoteDialog' -> 'note': the key of a screen's title and help text."""
    name = re.sub(r"(Screen|Dialog)$", "", type(obj).__name__) or type(obj).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
