"""Team settings: the bundled ``playbooks/team.toml`` plus the team's ``<config dir>/team.toml``.

What a whole team agrees on and no playbook holds (the playbook a new deal
gets when nobody names one; the base currency totals are shown in and the
dated exchange rates into it) lives in one small file every member shares,
next to ``flags.toml``, so two managers never see different totals. The team's file is
merged over the bundled one key by key, and both are validated strictly: an
unknown key or a playbook that does not exist is one error naming the file and
the dotted key, never a silently ignored typo that would score every imported
deal against the wrong playbook.

    [defaults]
    playbook = "meddpicc"

    [currency]
    base = "EUR"
    [[currency.rates]]      # value of 1 unit of each currency in the base currency
    date = 2026-01-01
    USD = 0.92

``currency.rates`` is a list: a team file that gives it replaces the bundled
rates as a whole (tables are merged key by key, lists are not), and a team
file that changes ``base`` must give its own rates, since the bundled ones are
worth something only in the bundled base.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kamcoach.domain.currency import ExchangeRates, RateTable
from kamcoach.errors import PlaybookError
from kamcoach.paths import config_dir, playbooks_dir
from kamcoach.team_files import merge_tables, read_toml

#: The file's name, bundled and in the config folder.
TEAM_FILE = "team.toml"


@dataclass(frozen=True, slots=True)
class TeamSettings:
    default_playbook: str
    """Playbook of a deal created or imported without one (``[defaults] playbook``)."""
    rates: ExchangeRates = field(default_factory=ExchangeRates)
    """Base currency of every total and the dated rates into it (``[currency]``)."""
    sources: tuple[Path, ...] = ()
    """The files read, bundled first: the last one holds the team's choices."""


def bundled_team_file() -> Path:
    return playbooks_dir() / TEAM_FILE


def team_settings_file() -> Path:
    return config_dir() / TEAM_FILE


Check = Callable[[Path, str, Any, Collection[str]], None]


def _playbook(path: Path, where: str, value: Any, known: Collection[str]) -> None:
    if not isinstance(value, str) or not value.strip():
        raise PlaybookError(path, where, f"expected a playbook id, got {value!r}")
    if value not in known:
        raise PlaybookError(
            path, where, f"unknown playbook {value!r} (known: {', '.join(sorted(known))})"
        )


_CODE = re.compile(r"[A-Z]{3}")


def _currency_code(path: Path, where: str, value: Any, _known: Collection[str]) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise PlaybookError(
            path, where, f"expected a 3-letter currency code like EUR, got {value!r}"
        )


def _rates(path: Path, where: str, value: Any, _known: Collection[str]) -> None:
    """A list of ``[[currency.rates]]`` tables: a date, then CODE = positive number."""
    if not isinstance(value, list):
        raise PlaybookError(path, where, "expected [[currency.rates]] tables")
    seen: dict[date, int] = {}
    for i, table in enumerate(value):
        here = f"{where}[{i}]"
        if not isinstance(table, dict):
            raise PlaybookError(path, here, "expected a table ([[currency.rates]])")
        if "date" not in table:
            raise PlaybookError(path, f"{here}.date", "missing required key")
        day = table["date"]
        if isinstance(day, datetime) or not isinstance(day, date):
            got = f"{day.isoformat()} (a time too)" if isinstance(day, datetime) else repr(day)
            raise PlaybookError(
                path, f"{here}.date", f"expected a date like 2026-01-01 (no quotes), got {got}"
            )
        if day in seen:
            raise PlaybookError(
                path,
                f"{here}.date",
                f"{day.isoformat()} is already the date of {where}[{seen[day]}]",
            )
        seen[day] = i
        for code, rate in table.items():
            if code == "date":
                continue
            if not _CODE.fullmatch(code):
                raise PlaybookError(
                    path,
                    f"{here}.{code}",
                    "unknown key (expected date or a currency code like USD)",
                )
            if (
                isinstance(rate, bool)
                or not isinstance(rate, int | float)
                or not math.isfinite(rate)
                or rate <= 0
            ):
                raise PlaybookError(
                    path, f"{here}.{code}", f"expected a positive number, got {rate!r}"
                )


#: section -> key -> check. Adding a setting is one line here and one field above.
SCHEMA: dict[str, dict[str, Check]] = {
    "defaults": {"playbook": _playbook},
    "currency": {"base": _currency_code, "rates": _rates},
}


def _exchange_rates(
    data: dict[str, Any],
    bundled: Path,
    bundled_base: str,
    team: dict[str, Any],
    team_path: Path | None,
) -> ExchangeRates:
    """The merged ``[currency]`` as :class:`ExchangeRates`, checked across the two files.

    Rates are worth something only in the base they were written for: a team
    file naming another base must bring its own rates, and no rate may be
    given for the base itself (it is 1 by definition, anything else a typo).
    """
    currency = data.get("currency", {})
    own = team.get("currency", {}) if team_path is not None else {}
    if "base" not in currency:
        raise PlaybookError(bundled, "currency.base", "missing required key")
    base = currency["base"]
    if "base" in own and "rates" not in own and base != bundled_base:
        raise PlaybookError(
            team_path,
            "currency.base",
            f"the bundled rates are in {bundled_base}: give your own [[currency.rates]] in {base}",
        )
    rates_file = team_path if "rates" in own else bundled
    tables = []
    for i, table in enumerate(currency.get("rates", [])):
        if base in table:
            raise PlaybookError(
                rates_file,
                f"currency.rates[{i}].{base}",
                f"{base} is the base currency (always 1): remove it",
            )
        tables.append(
            RateTable(table["date"], {k: float(v) for k, v in table.items() if k != "date"})
        )
    return ExchangeRates(base, tuple(sorted(tables, key=lambda t: t.on)))


def _validate(data: dict[str, Any], path: Path, known: Collection[str]) -> None:
    for section, body in data.items():
        keys = SCHEMA.get(section)
        if keys is None:
            raise PlaybookError(path, section, f"unknown key (allowed: {', '.join(SCHEMA)})")
        if not isinstance(body, dict):
            raise PlaybookError(path, section, f"expected a table ([{section}])")
        for key, value in body.items():
            where = f"{section}.{key}"
            check = keys.get(key)
            if check is None:
                raise PlaybookError(path, where, f"unknown key (allowed: {', '.join(keys)})")
            check(path, where, value, known)


def load_team_settings(
    playbook_ids: Collection[str] | None = None,
    *,
    bundled: Path | None = None,
    team: Path | None = None,
    use_team: bool = True,
) -> TeamSettings:
    """Read the bundled settings, then the team's file if it exists, each validated on its own.

    ``playbook_ids`` are the playbooks a default may name (the loaded
    playbooks when omitted), so a team file naming a playbook the team
    removed fails here, at start, not on the first deal created.
    """
    if playbook_ids is None:
        from kamcoach.playbooks.loader import load_playbooks

        playbook_ids = tuple(load_playbooks().playbooks)
    bundled = bundled or bundled_team_file()
    data = read_toml(bundled)
    _validate(data, bundled, playbook_ids)
    sources = [bundled]
    bundled_base = str(data.get("currency", {}).get("base", ""))
    team = team if team is not None else (team_settings_file() if use_team else None)
    extra: dict[str, Any] = {}
    if team is not None and team.is_file():
        extra = read_toml(team)
        _validate(extra, team, playbook_ids)
        data = merge_tables(data, extra)
        sources.append(team)
    else:
        team = None
    defaults = data.get("defaults", {})
    if "playbook" not in defaults:
        raise PlaybookError(bundled, "defaults.playbook", "missing required key")
    return TeamSettings(
        default_playbook=defaults["playbook"],
        rates=_exchange_rates(data, bundled, bundled_base, extra, team),
        sources=tuple(sources),
    )
