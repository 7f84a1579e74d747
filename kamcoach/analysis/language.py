"""Shared per-language cue lists (``playbooks/language/<lang>.toml``), validated.

Negation, uncertainty and loss triggers, validation and teaching cues and role
words are data a team can tune without touching code, exactly like the
criterion patterns. Every problem names the file and the dotted key, and
unknown keys are refused so a typo is never silently ignored.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kamcoach.errors import PlaybookError
from kamcoach.paths import config_dir, playbooks_dir
from kamcoach.playbooks.model import LANGS

CONTEXT_KEYS: tuple[str, ...] = (
    "negation_pre",
    "negation_post",
    "uncertainty_pre",
    "uncertainty_post",
    "loss_pre",
    "loss_post",
    "loss_criteria",
    "terminators",
    "pseudo",
    "hedges",
    "validation",
    "teaching",
    "teaching_nouns",
    "vendor",
    "vendor_criteria",
    "customer_quote",
    "customer_speech",
    "seller_names",
    "requirement",
    "requirement_criteria",
    "request",
    "seller_actions",
    "need_objects",
)
PEOPLE_KEYS: tuple[str, ...] = (
    "economic_buyer_titles",
    "other_titles",
    "name_prefixes",
    "not_names",
)
#: Lists that may be empty; every other list needs at least one entry.
OPTIONAL_KEYS = frozenset(
    {
        "pseudo",
        "hedges",
        "teaching_nouns",
        "name_prefixes",
        "not_names",
        "vendor",
        "vendor_criteria",
        "customer_quote",
        "customer_speech",
        "seller_names",
        "requirement",
        "requirement_criteria",
        "request",
        "seller_actions",
        "need_objects",
    }
)


#: Keys added after the first release: optional in team override files.
LATER_KEYS = frozenset({"request", "seller_actions", "need_objects"})


@dataclass(frozen=True, slots=True)
class LanguageCues:
    """The shared cue lists of one language."""

    lang: str
    stopwords: frozenset[str]
    context: dict[str, tuple[str, ...]]
    people: dict[str, tuple[str, ...]]
    source: Path

    def __getitem__(self, key: str) -> tuple[str, ...]:
        if key in self.context:
            return self.context[key]
        return self.people[key]


def unaccent(text: str) -> str:
    """Drop diacritics but keep the length (é -> e, œ stays), so offsets still match."""
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def language_files(lang: str) -> list[Path]:
    """Bundled file first, then a team override in ``<config>/playbooks/language``."""
    files = [playbooks_dir() / "language" / f"{lang}.toml"]
    team = config_dir() / "playbooks" / "language" / f"{lang}.toml"
    if team.is_file():
        files.append(team)
    return files


def _strings(data: dict[str, Any], key: str, path: Path, prefix: str) -> tuple[str, ...]:
    where = f"{prefix}.{key}"
    if key not in data and key in LATER_KEYS:
        return ()  # a team file written before the key existed still loads
    if key not in data:
        raise PlaybookError(path, where, "missing required key")
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PlaybookError(path, where, "expected a list of non-empty strings")
    if not value and key not in OPTIONAL_KEYS:
        raise PlaybookError(path, where, "expected at least one entry")
    return tuple(v.strip() for v in value)


def _table(data: dict[str, Any], key: str, path: Path, allowed: tuple[str, ...]) -> dict[str, Any]:
    if key not in data:
        raise PlaybookError(path, key, "missing required table")
    table = data[key]
    if not isinstance(table, dict):
        raise PlaybookError(path, key, f"expected a table, got {type(table).__name__}")
    for name in table:
        if name not in allowed:
            raise PlaybookError(
                path, f"{key}.{name}", f"unknown key (allowed: {', '.join(allowed)})"
            )
    return table


def parse_language(
    data: dict[str, Any], path: Path, criteria: frozenset[str] = frozenset()
) -> LanguageCues:
    """Validate one language file; ``criteria`` (when given) checks ``loss_criteria``."""
    for name in data:
        if name not in ("lang", "detect", "context", "people"):
            raise PlaybookError(
                path, str(name), "unknown key (allowed: lang, detect, context, people)"
            )
    lang = data.get("lang")
    if lang not in LANGS:
        raise PlaybookError(path, "lang", f"expected one of {', '.join(LANGS)}, got {lang!r}")
    if lang != path.stem:
        raise PlaybookError(path, "lang", f"lang {lang!r} must match the file name {path.stem!r}")
    detect = _table(data, "detect", path, ("stopwords",))
    context = _table(data, "context", path, CONTEXT_KEYS)
    people = _table(data, "people", path, PEOPLE_KEYS)
    ctx = {key: _strings(context, key, path, "context") for key in CONTEXT_KEYS}
    if criteria:
        for key in ("loss_criteria", "vendor_criteria", "requirement_criteria"):
            for cid in ctx[key]:
                if cid not in criteria:
                    raise PlaybookError(path, f"context.{key}", f"unknown criterion {cid!r}")
    return LanguageCues(
        lang=lang,
        stopwords=frozenset(w.lower() for w in _strings(detect, "stopwords", path, "detect")),
        context=ctx,
        people={key: _strings(people, key, path, "people") for key in PEOPLE_KEYS},
        source=path,
    )


def read_language(path: Path, criteria: frozenset[str] = frozenset()) -> LanguageCues:
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
    return parse_language(data, path, criteria)


@cache
def load_language(lang: str) -> LanguageCues:
    """The cue lists of ``lang`` (team override wins), read once per process."""
    if lang not in LANGS:
        raise PlaybookError(Path(f"{lang}.toml"), "lang", f"unsupported language {lang!r}")
    return read_language(language_files(lang)[-1])
