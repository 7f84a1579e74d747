"""The people rules of one language (``playbooks/language/people/<lang>.toml``), validated.

What a note says about people (titles, buying roles, stances, departures and
arrivals, and the words that deny or doubt them) is data a team tunes without
touching code, like the criterion patterns. Every problem names the file and
the dotted key; unknown keys are refused so a typo is never silently ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kamcoach.domain.stages import BUYING_ROLES, STANCES
from kamcoach.errors import PlaybookError
from kamcoach.paths import config_dir, playbooks_dir
from kamcoach.playbooks.model import LANGS

#: Roles a title or a phrase may give ("unknown" is what no proposal says).
ROLE_KEYS: tuple[str, ...] = tuple(r for r in BUYING_ROLES if r != "unknown")
TITLE_KEYS: tuple[str, ...] = (
    "economic_buyer",
    "executive_sponsor",
    "technical_evaluator",
    "procurement",
    "none",
)
MOVE_KEYS: tuple[str, ...] = (
    "departure",
    "departure_bare",
    "departure_follow",
    "arrival",
    "new_words",
    "champion_words",
)
CONTEXT_KEYS: tuple[str, ...] = ("negation", "uncertain", "hypothetical", "links")
SECTIONS: dict[str, tuple[str, ...]] = {
    "titles": TITLE_KEYS,
    "roles": ROLE_KEYS,
    "stances": STANCES,
    "moves": MOVE_KEYS,
    "context": CONTEXT_KEYS,
}
#: Lists that must hold at least one entry (the rest may be empty).
REQUIRED: frozenset[str] = frozenset(
    {
        "moves.departure",
        "moves.departure_bare",
        "moves.arrival",
        "moves.new_words",
        "context.negation",
        "context.links",
    }
)


@dataclass(frozen=True, slots=True)
class PeopleRules:
    """The people phrase lists of one language, by section and key."""

    lang: str
    titles: dict[str, tuple[str, ...]]
    roles: dict[str, tuple[str, ...]]
    stances: dict[str, tuple[str, ...]]
    moves: dict[str, tuple[str, ...]]
    context: dict[str, tuple[str, ...]]
    source: Path

    def digest_parts(self) -> tuple[Any, ...]:
        """What the analyser version hashes: editing a list re-reads the notes."""
        return (self.lang, self.titles, self.roles, self.stances, self.moves, self.context)


def people_files(lang: str) -> list[Path]:
    """Bundled file first, then a team override in ``<config>/playbooks/language/people``."""
    files = [playbooks_dir() / "language" / "people" / f"{lang}.toml"]
    team = config_dir() / "playbooks" / "language" / "people" / f"{lang}.toml"
    if team.is_file():
        files.append(team)
    return files


def _strings(table: dict[str, Any], section: str, key: str, path: Path) -> tuple[str, ...]:
    where = f"{section}.{key}"
    if key not in table:
        raise PlaybookError(path, where, "missing required key")
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PlaybookError(path, where, "expected a list of non-empty strings")
    if not value and where in REQUIRED:
        raise PlaybookError(path, where, "expected at least one entry")
    for v in value:
        if v != v.strip():
            raise PlaybookError(path, where, f"untrimmed {v!r}")
    return tuple(value)


def parse_people_rules(data: dict[str, Any], path: Path) -> PeopleRules:
    """Validate one file's data; raises :class:`PlaybookError` naming file and key."""
    for name in data:
        if name != "lang" and name not in SECTIONS:
            allowed = ", ".join(("lang", *SECTIONS))
            raise PlaybookError(path, str(name), f"unknown key (allowed: {allowed})")
    lang = data.get("lang")
    if lang not in LANGS:
        raise PlaybookError(path, "lang", f"expected one of {', '.join(LANGS)}, got {lang!r}")
    if lang != path.stem:
        raise PlaybookError(path, "lang", f"lang {lang!r} must match the file name {path.stem!r}")
    parsed: dict[str, dict[str, tuple[str, ...]]] = {}
    for section, keys in SECTIONS.items():
        table = data.get(section)
        if table is None:
            raise PlaybookError(path, section, "missing required table")
        if not isinstance(table, dict):
            raise PlaybookError(path, section, f"expected a table, got {type(table).__name__}")
        for key in table:
            if key not in keys:
                raise PlaybookError(
                    path, f"{section}.{key}", f"unknown key (allowed: {', '.join(keys)})"
                )
        parsed[section] = {key: _strings(table, section, key, path) for key in keys}
    return PeopleRules(
        lang=lang,
        titles=parsed["titles"],
        roles=parsed["roles"],
        stances=parsed["stances"],
        moves=parsed["moves"],
        context=parsed["context"],
        source=path,
    )


def read_people_rules(path: Path) -> PeopleRules:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaybookError(path, "", f"cannot read file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlaybookError(path, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(path, "", f"invalid TOML: {exc}") from None
    except RecursionError:
        raise PlaybookError(path, "", "invalid TOML: nested too deeply") from None
    return parse_people_rules(data, path)


@cache
def load_people_rules(lang: str) -> PeopleRules:
    """The people rules of ``lang`` (team override wins), read once per process."""
    if lang not in LANGS:
        raise PlaybookError(Path(f"{lang}.toml"), "lang", f"unsupported language {lang!r}")
    return read_people_rules(people_files(lang)[-1])
