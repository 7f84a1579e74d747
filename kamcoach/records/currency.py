"""Totals of deals in several currencies: converted to the team's base, or left out and named.

Every money total kamcoach shows (the pipeline review and its reports, the
TUI's totals line, the accounts' and reps' open pipeline) goes through here,
so a deal in a currency the team has no rate for is treated the same way
everywhere: its amount is neither dropped in silence nor added as if it were
in the base currency; it is listed in :attr:`MoneySum.left_out`, which every
view prints under its totals (:func:`left_out_line`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from kamcoach.domain.currency import ExchangeRates, Rate

#: Where a missing rate is added, said with every "left out" line.
WHERE_RATES = "team.toml"


@dataclass(frozen=True, slots=True)
class LeftOut:
    """The deals of one currency with no rate on the day: out of every total."""

    currency: str
    deal_ids: tuple[int, ...]

    def describe(self) -> str:
        """``2 deals in CHF with no rate (#12, #14)``."""
        n = len(self.deal_ids)
        ids = ", ".join(f"#{i}" for i in self.deal_ids)
        return f"{n} deal{'s' if n != 1 else ''} in {self.currency} with no rate ({ids})"

    def to_dict(self) -> dict[str, object]:
        return {"currency": self.currency, "deals": list(self.deal_ids)}


@dataclass(slots=True)
class MoneySum:
    """A set of deals summed in the base currency."""

    base: str
    total: float = 0.0
    """Sum of the converted amounts (left-out deals excluded)."""
    amounts: dict[int, float] = field(default_factory=dict)
    """Deal id -> amount in the base currency (converted deals only)."""
    left_out: tuple[LeftOut, ...] = ()
    rates: dict[str, Rate] = field(default_factory=dict)
    """The rates used, per currency other than the base."""


def group_left_out(pairs: Iterable[tuple[int, str]]) -> tuple[LeftOut, ...]:
    """(deal id, currency) pairs of unconverted deals grouped by currency, ids in order."""
    by_currency: dict[str, list[int]] = {}
    for deal_id, currency in pairs:
        by_currency.setdefault(currency, []).append(deal_id)
    return tuple(LeftOut(c, tuple(sorted(ids))) for c, ids in sorted(by_currency.items()))


def sum_deals(deals: Iterable[tuple[int, float, str]], rates: ExchangeRates, on: date) -> MoneySum:
    """Convert and sum ``(deal id, amount, currency)`` with the rates in force on ``on``."""
    found: dict[str, Rate | None] = {}
    result = MoneySum(rates.base)
    missing: list[tuple[int, str]] = []
    for deal_id, amount, currency in deals:
        code = (currency or "").strip().upper()
        if code not in found:
            found[code] = rates.rate(code, on)
        rate = found[code]
        if rate is None:
            missing.append((deal_id, code))
            continue
        converted = float(amount or 0) * rate.value
        result.amounts[deal_id] = converted
        result.total += converted
    result.left_out = group_left_out(missing)
    result.rates = {c: r for c, r in found.items() if r is not None and c != rates.base}
    return result


def left_out_line(left_out: Sequence[LeftOut]) -> str:
    """The line printed under totals, or '' when every deal was converted."""
    if not left_out:
        return ""
    return (
        "left out of totals: "
        + "; ".join(lo.describe() for lo in left_out)
        + f" — add a rate in {WHERE_RATES}"
    )


def rates_line(base: str, rates: dict[str, Rate]) -> str:
    """``Totals in EUR at team rates of 2025-02-28: 1 GBP = 1.2105, 1 USD = 0.9605.``"""
    if not rates:
        return f"Totals in {base}."
    by_date: dict[str, list[str]] = {}
    for code, rate in sorted(rates.items()):
        by_date.setdefault(rate.since.isoformat(), []).append(f"1 {code} = {rate.value:g}")
    parts = "; ".join(f"of {day}: {', '.join(pairs)}" for day, pairs in sorted(by_date.items()))
    return f"Totals in {base} at team rates {parts}."


def amount_text(amount: float, currency: str, converted: float | None, base: str) -> str:
    """``45,000 USD (≈ 41,400 EUR)``; the amount alone when already in the base currency."""
    text = f"{amount:,.0f} {currency}"
    if currency == base:
        return text
    if converted is None:
        return f"{text} (no rate)"
    return f"{text} (≈ {converted:,.0f} {base})"
