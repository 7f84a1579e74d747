"""Flag rules configuration: bundled ``playbooks/flags.toml`` plus a team override.

Thresholds are data a sales manager tunes ("stale after 10 days in
negotiation"), so they live in TOML next to the playbooks. The team file
``<config dir>/flags.toml`` is merged over the bundled one key by key, and
both are validated strictly: an unknown key or a bad value is an error that
names the file and the dotted key, never a silently ignored typo.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kamcoach.domain.stages import OPEN_STAGES
from kamcoach.errors import PlaybookError
from kamcoach.paths import config_dir, playbooks_dir
from kamcoach.team_files import merge_tables, read_toml

#: Flag ids in the order reports list them.
FLAG_IDS: tuple[str, ...] = (
    "stage_ahead",
    "no_power",
    "no_champion",
    "no_metrics",
    "single_threaded",
    "stale",
    "stuck",
    "overdue",
    "pushed",
    "shrunk",
    "champion_lost",
    "red_flag",
)
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")

# Keys each flag accepts besides `severity` and `enabled`.
_ALLOWED: dict[str, tuple[str, ...]] = {
    "stage_ahead": (),
    "no_power": ("from_stage", "criteria", "min_score"),
    "no_champion": ("from_stage", "criteria", "min_score"),
    "no_metrics": ("from_stage", "criteria", "min_score"),
    "single_threaded": ("min_amount", "max_engaged"),
    "stale": ("days",),
    "stuck": ("days",),
    "overdue": (),
    "pushed": ("min_pushes",),
    "shrunk": (),
    "champion_lost": ("lookback_days",),
    "red_flag": ("phrases", "lookback_days"),
}


@dataclass(frozen=True, slots=True)
class FlagRule:
    """One rule's settings; fields a rule does not use keep their defaults."""

    id: str
    severity: str = "medium"
    enabled: bool = True
    from_stage: str = "discovery"
    criteria: tuple[str, ...] = ()
    min_score: int = 1
    min_amount: float = 0.0
    max_engaged: int = 1
    min_pushes: int = 2
    days: dict[str, int] = field(default_factory=dict)
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lookback_days: int = 0

    def days_for(self, stage: str) -> int | None:
        """Threshold in days for a stage (``default`` when the stage is not listed)."""
        return self.days.get(stage, self.days.get("default"))


@dataclass(frozen=True, slots=True)
class FlagConfig:
    rules: dict[str, FlagRule]
    sources: tuple[Path, ...] = ()

    def rule(self, flag_id: str) -> FlagRule:
        return self.rules[flag_id]

    def enabled(self, flag_id: str) -> bool:
        rule = self.rules.get(flag_id)
        return bool(rule and rule.enabled)


def bundled_flags_file() -> Path:
    return playbooks_dir() / "flags.toml"


def team_flags_file() -> Path:
    return config_dir() / "flags.toml"


def load_flag_config(
    bundled: Path | None = None, team: Path | None = None, *, use_team: bool = True
) -> FlagConfig:
    """Read the bundled thresholds, then the team override if it exists.

    Each file is validated on its own first so an error names the file that
    holds the mistake.
    """
    bundled = bundled or bundled_flags_file()
    data = read_toml(bundled)
    _validate(data, bundled)
    sources = [bundled]
    team = team if team is not None else (team_flags_file() if use_team else None)
    if team is not None and team.is_file():
        extra = read_toml(team)
        _validate(extra, team, partial=True)
        data = merge_tables(data, extra)
        sources.append(team)
    return FlagConfig(rules=_build(data, sources[-1]), sources=tuple(sources))


def _err(path: Path, key: str, problem: str) -> PlaybookError:
    return PlaybookError(path, key, problem)


def _validate(data: dict[str, Any], path: Path, *, partial: bool = False) -> None:
    for key in data:
        if key != "flags":
            raise _err(path, key, "unknown key (allowed: flags)")
    flags = data.get("flags", {})
    if not isinstance(flags, dict):
        raise _err(path, "flags", "expected a table")
    for fid, body in flags.items():
        where = f"flags.{fid}"
        if fid not in _ALLOWED:
            raise _err(path, where, f"unknown flag (known: {', '.join(FLAG_IDS)})")
        if not isinstance(body, dict):
            raise _err(path, where, "expected a table")
        allowed = ("severity", "enabled", *_ALLOWED[fid])
        for key, value in body.items():
            k = f"{where}.{key}"
            if fid == "champion_lost" and key == "phrases":
                raise _err(
                    path,
                    k,
                    "no longer used: departures are read from the notes by the people "
                    "extractor (playbooks/language/people/<lang>.toml) and proposed to the rep",
                )
            if key not in allowed:
                raise _err(path, k, f"unknown key (allowed: {', '.join(allowed)})")
            _check_value(path, k, key, value)
    if not partial:
        missing = [f for f in FLAG_IDS if f not in flags]
        if missing:
            raise _err(path, "flags", f"missing flag tables: {', '.join(missing)}")


def _check_value(path: Path, where: str, key: str, value: Any) -> None:
    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if key == "severity":
        if value not in SEVERITIES:
            raise _err(path, where, f"expected one of {', '.join(SEVERITIES)}, got {value!r}")
    elif key == "enabled":
        if not isinstance(value, bool):
            raise _err(path, where, f"expected true or false, got {value!r}")
    elif key == "from_stage":
        if value not in OPEN_STAGES:
            raise _err(path, where, f"expected an open stage ({', '.join(OPEN_STAGES)})")
    elif key == "criteria":
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
            raise _err(path, where, "expected a non-empty list of criterion ids")
    elif key == "min_score":
        if not is_int(value) or not 0 <= value <= 3:
            raise _err(path, where, f"expected an integer 0-3, got {value!r}")
    elif key in ("max_engaged", "min_pushes", "lookback_days"):
        if not is_int(value) or value < 0:
            raise _err(path, where, f"expected a whole number >= 0, got {value!r}")
    elif key == "min_amount":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _err(path, where, f"expected an amount >= 0, got {value!r}")
    elif key == "days":
        if not isinstance(value, dict):
            raise _err(path, where, "expected a table of stage = days")
        for stage, days in value.items():
            if stage != "default" and stage not in OPEN_STAGES:
                raise _err(
                    path,
                    f"{where}.{stage}",
                    f"unknown stage (allowed: default, {', '.join(OPEN_STAGES)})",
                )
            if not is_int(days) or days < 1:
                raise _err(path, f"{where}.{stage}", f"expected days >= 1, got {days!r}")
    elif key == "phrases":
        if not isinstance(value, dict):
            raise _err(path, where, "expected a table of language = [phrases]")
        for lang, items in value.items():
            if lang not in ("en", "fr"):
                raise _err(path, f"{where}.{lang}", "unknown language (allowed: en, fr)")
            if not (
                isinstance(items, list) and all(isinstance(p, str) and p.strip() for p in items)
            ):
                raise _err(path, f"{where}.{lang}", "expected a list of non-empty phrases")


def _build(data: dict[str, Any], last: Path) -> dict[str, FlagRule]:
    rules: dict[str, FlagRule] = {}
    for fid in FLAG_IDS:
        body = dict(data["flags"][fid])
        if "criteria" in body:
            body["criteria"] = tuple(body["criteria"])
        if "phrases" in body:
            body["phrases"] = {lang: tuple(p) for lang, p in body["phrases"].items()}
        if "min_amount" in body:
            body["min_amount"] = float(body["min_amount"])
        if fid in ("stale", "stuck") and "default" not in body.get("days", {}):
            missing = [s for s in OPEN_STAGES if s not in body.get("days", {})]
            if missing:
                raise _err(
                    last, f"flags.{fid}.days", f"no `default` and no value for {', '.join(missing)}"
                )
        rules[fid] = FlagRule(id=fid, **body)
    return rules


# ---------------------------------------------------------------- phrase matching

_APOSTROPHES = "'’ʼ"


def _fold(text: str) -> str:
    """Lower case without accents, so "gelé", "gele" and "GELÉ" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _char_class(ch: str) -> str:
    if ch in _APOSTROPHES:
        return "['’ʼ]"
    if ch == " ":
        return r"\s+"
    base = _fold(ch)
    if base != ch and len(base) == 1:
        return f"[{re.escape(base)}{re.escape(ch)}]"
    return re.escape(ch)


def phrase_pattern(phrases: list[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any phrase, with or without accents.

    Accented letters in a phrase also match their plain form ("gelé" matches
    "gele"), apostrophes match typographic ones and spaces match any run of
    whitespace, so a note typed quickly on a phone still counts. Phrases are
    matched on word boundaries.
    """
    alternatives = []
    for phrase in sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True):
        alternatives.append("".join(_char_class(ch) for ch in phrase))
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
