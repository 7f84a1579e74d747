"""Each account's or rep's open pipeline, in the team's base currency.

``accounts list``, ``reps list``, ``reps show``, the TUI's reps screen and its
command palette used to ``SUM(amount)`` in SQL, adding dollars to euros. The
open deals are read here with their currency and summed by
:func:`~kamcoach.records.currency.sum_deals` per account or rep, so these
figures agree with the pipeline review's totals and name the same left-out
deals.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlite_utils import Database

from kamcoach.clock import today as clock_today
from kamcoach.domain.currency import ExchangeRates
from kamcoach.records.currency import LeftOut, MoneySum, group_left_out, sum_deals


def team_rates() -> ExchangeRates:
    """The base currency and rates of ``team.toml`` (bundled, then the team's)."""
    from kamcoach.team import load_team_settings

    return load_team_settings().rates


def open_pipelines(
    db: Database,
    by: Literal["account_id", "rep_id"],
    *,
    rates: ExchangeRates | None = None,
    on: date | None = None,
) -> dict[Any, MoneySum]:
    """Open deals summed per account (or rep) id in the base currency."""
    if by not in ("account_id", "rep_id"):
        raise ValueError(by)
    rates = rates or team_rates()
    on = on or clock_today()
    deals: dict[Any, list[tuple[int, float, str]]] = {}
    for key, deal_id, amount, currency in db.execute(
        f"SELECT {by}, id, amount, currency FROM opportunities "
        "WHERE stage NOT IN ('closed_won', 'closed_lost') ORDER BY id"
    ).fetchall():
        deals.setdefault(key, []).append((deal_id, float(amount or 0), currency))
    return {key: sum_deals(items, rates, on) for key, items in deals.items()}


def with_open_pipeline(
    rows: list[dict[str, Any]],
    sums: dict[Any, MoneySum],
    base: str,
    key: str = "id",
) -> tuple[LeftOut, ...]:
    """Set each row's ``open_pipeline`` (converted), ``base_currency`` and ``left_out`` ids.

    Returns every row's left-out deals together, for the line under a table.
    """
    pairs: list[tuple[int, str]] = []
    for row in rows:
        found = sums.get(row[key])
        row["open_pipeline"] = round(found.total, 2) if found else 0
        row["base_currency"] = base
        ids = [i for lo in found.left_out for i in lo.deal_ids] if found else []
        row["left_out"] = ids
        if found:
            pairs += [(i, lo.currency) for lo in found.left_out for i in lo.deal_ids]
    return group_left_out(pairs)


def accounts_with_pipeline(
    db: Database, *, rates: ExchangeRates | None = None, on: date | None = None
) -> tuple[list[dict[str, Any]], tuple[LeftOut, ...]]:
    """Every account (``repo.list_accounts``) with its open pipeline converted, and the
    deals left out of those figures for want of a rate."""
    from kamcoach.storage import repo

    rates = rates or team_rates()
    rows = repo.list_accounts(db)
    sums = open_pipelines(db, "account_id", rates=rates, on=on)
    return rows, with_open_pipeline(rows, sums, rates.base)
