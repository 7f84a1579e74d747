"""The team's base currency and dated exchange rates, and which rate applies on a day.

Deals carry their own currency; a total is only meaningful in one. The team
agrees on a base currency and on the rates to convert into it (``[currency]``
in ``team.toml``, read and validated by :mod:`kamcoach.team`), so two managers
reading the same team folder see the same totals, whatever day the market is.

Which rate applies: for each currency, the latest ``[[currency.rates]]`` table
dated on or before the day of the review that lists that currency. A rate
dated later is never used (a review replayed with ``KAMCOACH_TODAY`` sees the
rates the team had then), and a currency no table covers yet has no rate: its
deals are left out of totals and named, never summed unconverted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Rate:
    """What one unit of a currency is worth in the base currency, and since when."""

    currency: str
    value: float
    since: date
    """The date of the ``[[currency.rates]]`` table the value comes from."""

    def to_dict(self) -> dict[str, object]:
        return {"rate": self.value, "date": self.since.isoformat()}


@dataclass(frozen=True, slots=True)
class RateTable:
    """One ``[[currency.rates]]`` table: the rates a team recorded on one date."""

    on: date
    rates: Mapping[str, float]
    """Currency code -> value of one unit in the base currency."""


@dataclass(frozen=True, slots=True)
class ExchangeRates:
    """The team's base currency and its rate tables (oldest first)."""

    base: str = "EUR"
    tables: tuple[RateTable, ...] = field(default_factory=tuple)

    def rate(self, currency: str, on: date) -> Rate | None:
        """The rate that applies to ``currency`` on ``on``; None when no table covers it.

        The base currency is always worth 1 of itself. Codes are compared in
        capitals, as deals store them.
        """
        code = (currency or "").strip().upper()
        if code == self.base:
            return Rate(code, 1.0, date.min)
        for table in reversed(self.tables):
            if table.on <= on and code in table.rates:
                return Rate(code, table.rates[code], table.on)
        return None

    def rates_on(self, currencies: Iterable[str], on: date) -> dict[str, Rate | None]:
        """Each currency's rate on ``on`` (None: no rate), each looked up once."""
        return {c: self.rate(c, on) for c in set(currencies)}
