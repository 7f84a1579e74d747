"""What a pipeline review returns: flags, deal rows, totals, and the report.

Plain dataclasses shared by the CLI, the reports and the TUI. The report's
``deals`` is a :class:`DealRows`: a sequence that builds a deal's row (flag
reasons, next question, heat strip) only when it is read, so a 100k-deal
review costs the rows on show, not 100k of them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, overload

from kamcoach.domain.currency import Rate
from kamcoach.domain.stages import STAGES
from kamcoach.records.currency import LeftOut
from kamcoach.records.next_steps import NextStep
from kamcoach.textmatch import fold, haystack, search_terms

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True, slots=True)
class Flag:
    """One exception on a deal: which rule, how bad, and the evidence in one line."""

    id: str
    severity: str
    reason: str


@dataclass(frozen=True, slots=True)
class NextQuestion:
    """The question to ask next, from the playbook, for the most important failing criterion."""

    criterion: str
    text: str
    phase: str
    lang: str


@dataclass(slots=True)
class DealRow:
    id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: float
    currency: str
    close_date: date | None
    playbook: str
    score: float | None
    """Overall 0-100 score of the effective review; None when never analysed."""
    scores: dict[str, int | None]
    """Per criterion of the deal's playbook: 0-3, None when never analysed."""
    statuses: dict[str, str | None]
    flags: list[Flag] = field(default_factory=list)
    gate_passed: bool = False
    next_question: NextQuestion | None = None
    paused_until: date | None = None
    last_activity: date | None = None
    engaged_contacts: int = 0
    next_step: NextStep | None = None
    """The deal's current agreed next step (done or not), None when none was set."""
    forecast: str | None = None
    """Forecast category of the deal's latest manager review that gave one (None: none)."""
    amount_base: float | None = None
    """``amount`` in the team's base currency; None when no rate covers ``currency``."""
    base_currency: str | None = None
    """The team's base currency (None: the row was built without conversion)."""

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def analysed(self) -> bool:
        return self.score is not None

    def flag_ids(self) -> list[str]:
        return [f.id for f in self.flags]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["close_date"] = self.close_date.isoformat() if self.close_date else None
        data["paused_until"] = self.paused_until.isoformat() if self.paused_until else None
        data["last_activity"] = self.last_activity.isoformat() if self.last_activity else None
        data["next_step"] = self.next_step.to_dict() if self.next_step else None
        if self.amount_base is not None:
            data["amount_base"] = round(self.amount_base, 2)
        return data


@dataclass(slots=True)
class Totals:
    """Money in a slice of the pipeline, and how much of it is in doubt."""

    key: str
    deals: int = 0
    flagged_deals: int = 0
    pipeline: float = 0.0
    weighted: float = 0.0
    qualified: float = 0.0
    """Amount of deals passing their stage gate."""
    flagged: float = 0.0
    """Amount of flagged deals."""

    @property
    def share_flagged(self) -> float:
        """Share of the pipeline amount carried by flagged deals (0-1)."""
        return self.flagged / self.pipeline if self.pipeline else 0.0

    @property
    def share_qualified(self) -> float:
        return self.qualified / self.pipeline if self.pipeline else 0.0

    def add(self, deal: DealRow, probability: float) -> None:
        """Count the deal; add its amount in the base currency (none when it has no rate)."""
        self.deals += 1
        if deal.flags:
            self.flagged_deals += 1
        amount = deal.amount if deal.base_currency is None else deal.amount_base
        if amount is None:
            return
        self.pipeline += amount
        self.weighted += amount * probability
        if deal.gate_passed:
            self.qualified += amount
        if deal.flags:
            self.flagged += amount

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "deals": self.deals,
            "flagged_deals": self.flagged_deals,
            "pipeline": round(self.pipeline, 2),
            "weighted": round(self.weighted, 2),
            "qualified": round(self.qualified, 2),
            "flagged": round(self.flagged, 2),
            "share_flagged": round(self.share_flagged, 4),
            "share_qualified": round(self.share_qualified, 4),
        }


#: One deal as the review keeps it: (sort key, 0 flagged / 1 not, overall score or -1,
#: id, facts). The key packs the default order into one int; the facts tuple is what the
#: row is built from.
Entry = tuple[int, int, float, int, tuple[Any, ...]]


class DealRows(Sequence[DealRow]):
    """The review's deals in order, each :class:`DealRow` built when first read.

    Counting, filtering and re-sorting work on the compact entries; reading
    an item builds its row once (rows are cached, so the TUI and the reports
    see the same objects). Entries are put in order only when order is
    needed, and a short prefix (``report.deals[:100]``, the first page) is
    picked with a heap instead of sorting every deal. A slice is another lazy
    view.
    """

    __slots__ = ("_accounts", "_build", "_cache", "_entries", "_folded", "_ordered")

    def __init__(
        self,
        entries: list[Entry],
        build: Callable[[tuple[Any, ...]], DealRow],
        cache: dict[int, DealRow] | None = None,
        *,
        ordered: bool = False,
        accounts: dict[int, str] | None = None,
        folded: dict[int, str] | None = None,
    ) -> None:
        self._entries = entries
        self._build = build
        self._cache: dict[int, DealRow] = {} if cache is None else cache
        self._ordered = ordered
        self._accounts = accounts or {}
        """Account id -> name (a deal's facts hold the id)."""
        self._folded: dict[int, str] = {} if folded is None else folded
        """Deal id -> its name, account and owner folded for :meth:`matching` (shared by views)."""

    def _row(self, entry: Entry) -> DealRow:
        row = self._cache.get(entry[3])
        if row is None:
            row = self._cache[entry[3]] = self._build(entry[4])
        return row

    def _view(self, entries: list[Entry], ordered: bool = True) -> DealRows:
        return DealRows(
            entries,
            self._build,
            self._cache,
            ordered=ordered,
            accounts=self._accounts,
            folded=self._folded,
        )

    def _in_order(self) -> list[Entry]:
        if not self._ordered:
            self._entries.sort()  # the first element is a unique int key
            self._ordered = True
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> DealRow: ...

    @overload
    def __getitem__(self, index: slice) -> DealRows: ...

    def __getitem__(self, index: int | slice) -> DealRow | DealRows:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self._entries))
            if not self._ordered and start == 0 and step == 1 and stop * 8 < len(self._entries):
                return self._view(heapq.nsmallest(stop, self._entries))
            return self._view(self._in_order()[index])
        if not self._ordered and 0 <= index < 64 and index * 8 < len(self._entries):
            return self._row(heapq.nsmallest(index + 1, self._entries)[index])
        return self._row(self._in_order()[index])

    def __iter__(self) -> Iterator[DealRow]:
        for entry in self._in_order():
            yield self._row(entry)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DealRows({len(self)} deals)"

    @property
    def ids(self) -> list[int]:
        """Deal ids in order, without building any row."""
        return [e[3] for e in self._in_order()]

    def flagged(self) -> DealRows:
        """The flagged deals (no row built)."""
        return self._view([e for e in self._entries if not e[1]], ordered=self._ordered)

    def find(self, deal_id: int) -> DealRow | None:
        """The row of one deal, building only that one."""
        for entry in self._entries:
            if entry[3] == deal_id:
                return self._row(entry)
        return None

    def score_points(self) -> Iterator[tuple[str, float | None]]:
        """(stage, overall score or None) per deal, for charts, without building rows."""
        for _k, _f, score, _id, facts in self._in_order():
            yield facts[4], (None if score < 0 else score)

    def sorted_by(self, key: str, reverse: bool = False) -> DealRows:
        """Another order (the TUI's sorts), computed on the facts, not on built rows.

        ``close`` (soonest first, undated last), ``amount`` (largest first),
        ``score`` (not analysed first, then lowest), ``owner``, ``name``,
        ``account`` (without case or accents), ``stage`` (funnel order), ``id``;
        anything else keeps the default order (exceptions first). Ties go to the
        lower deal id, as the TUI sorted built rows. ``reverse`` turns the whole
        order round (a second click on a column header).
        """
        entries = self._in_order()
        if key == "close":
            ordered = sorted(
                entries, key=lambda e: (not e[4][7], e[4][7][:10] if e[4][7] else "", e[3])
            )
        elif key == "amount":
            ordered = sorted(entries, key=lambda e: (-float(e[4][5] or 0), e[3]))
        elif key == "score":
            ordered = sorted(entries, key=lambda e: (e[2] >= 0, max(e[2], 0), e[3]))
        elif key == "owner":
            ordered = sorted(entries, key=lambda e: (e[4][3], e[3]))
        elif key == "name":
            ordered = sorted(entries, key=lambda e: (fold(e[4][1]), e[3]))
        elif key == "account":
            names = self._accounts
            ordered = sorted(entries, key=lambda e: (fold(names.get(e[4][2], "")), e[3]))
        elif key == "stage":
            rank = {s: i for i, s in enumerate(STAGES)}
            ordered = sorted(entries, key=lambda e: (rank.get(e[4][4], len(rank)), e[3]))
        elif key == "id":
            ordered = sorted(entries, key=lambda e: e[3])
        else:
            ordered = list(entries)
        if reverse:
            ordered.reverse()
        return self._view(ordered)

    def matching(self, query: str) -> DealRows:
        """The deals whose name, account or owner hold every word of ``query`` (no row built).

        Case and accents are ignored (:func:`kamcoach.textmatch.matcher`); an
        empty query keeps every deal. Each deal's folded text is kept, so the
        next key typed costs substring tests only (100k deals in a few ms).
        """
        terms = search_terms(query)
        if not terms:
            return self
        names, folded = self._accounts, self._folded

        def text(e: Entry) -> str:
            found = folded.get(e[3])
            if found is None:
                found = folded[e[3]] = haystack((e[4][1], names.get(e[4][2], ""), e[4][3]))
            return found

        return self._view(
            [e for e in self._entries if all(t in text(e) for t in terms)],
            ordered=self._ordered,
        )

    def for_account(self, name: str) -> DealRows:
        """The deals of the account(s) with this name (no row built)."""
        ids = {i for i, n in self._accounts.items() if n == name}
        return self._view([e for e in self._entries if e[4][2] in ids], ordered=self._ordered)


@dataclass(slots=True)
class PipelineReport:
    today: date
    deals: Sequence[DealRow]
    """Exceptions first (flagged deals), then the rest; each by soonest close then lowest score.

    A :class:`DealRows` from :func:`review_pipeline`: rows are built as they are read."""
    by_owner: dict[str, Totals]
    by_stage: dict[str, Totals]
    total: Totals
    filters: dict[str, str | None]
    flag_counts: dict[str, int]
    currencies: tuple[str, ...] = ()
    scope_total: Totals | None = None
    """With a flag filter: every deal matching owner and stage (``total`` covers the listed)."""
    base_currency: str = ""
    """The team's base currency: every amount in the totals is in it."""
    rates: dict[str, Rate] = field(default_factory=dict)
    """The team rates the totals used, per listed currency other than the base."""
    left_out: tuple[LeftOut, ...] = ()
    """Listed deals whose currency has no rate: counted, but out of every amount total."""

    @property
    def flagged(self) -> Sequence[DealRow]:
        if isinstance(self.deals, DealRows):
            return self.deals.flagged()
        return [d for d in self.deals if d.flags]

    def score_points(self) -> Iterator[tuple[str, float | None]]:
        """(stage, overall score or None) of every listed deal, without building rows."""
        if isinstance(self.deals, DealRows):
            return self.deals.score_points()
        return ((d.stage, d.score) for d in self.deals)

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "filters": self.filters,
            "currencies": list(self.currencies),
            "base_currency": self.base_currency,
            "rates": {c: r.to_dict() for c, r in sorted(self.rates.items())},
            "left_out": [lo.to_dict() for lo in self.left_out],
            "total": self.total.to_dict(),
            "scope_total": self.scope_total.to_dict() if self.scope_total else None,
            "by_owner": [t.to_dict() for t in self.by_owner.values()],
            "by_stage": [t.to_dict() for t in self.by_stage.values()],
            "flag_counts": self.flag_counts,
            "deals": [d.to_dict() for d in self.deals],
        }
