"""What an import did or would do: counts, a bounded list of bad rows, the file it read.

An :class:`ImportPlan` holds no row of the file: the importer streams the
rows and keeps only counters, the first :data:`BAD_ROWS_KEPT` bad rows for
display and every bad row in a spooled temporary file (memory up to 1 MiB,
then disk) for the ``--bad-rows`` report. So a 100,000-row file costs the same
memory as a 10,000-row one.
"""

from __future__ import annotations

import csv
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, overload

from kamcoach.io.csv_cells import restore
from kamcoach.io.csv_read import CsvSource
from kamcoach.io.mapping import CrmMapping, HeaderMapping
from kamcoach.io.values import DateStyle, parse_datetime

#: Bad rows kept in memory for display; the CLI shows 50 of them.
BAD_ROWS_KEPT = 200
_SPOOL_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class BadRow:
    row: int
    reason: str


class BadRows:
    """Every bad row of one import, in row order, without holding them all in memory.

    ``len()`` is the total; indexing and slicing within the first
    :data:`BAD_ROWS_KEPT` rows are served from memory; iterating reads them all
    back from the spool file.
    """

    def __init__(self) -> None:
        self.count = 0
        self.kept: list[BadRow] = []
        self._spool: IO[str] | None = None
        self._writer: csv._writer | None = None  # type: ignore[name-defined]

    def add(self, row: int, reason: str) -> None:
        self.count += 1
        bad = BadRow(row, reason)
        if len(self.kept) < BAD_ROWS_KEPT:
            self.kept.append(bad)
            return
        if self._spool is None:
            self._spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (lives with the plan)
                max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
            )
            self._writer = csv.writer(self._spool)
        assert self._writer is not None
        self._spool.seek(0, 2)  # a reader may have left the position anywhere
        self._writer.writerow([row, reason])

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[BadRow]:
        yield from self.kept
        if self._spool is None:
            return
        spool = self._spool
        spool.flush()
        spool.seek(0)
        # readline, not iteration over the file: that would disable the tell()
        # the spool needs to decide when to move to disk.
        for number, reason in csv.reader(iter(spool.readline, "")):
            yield BadRow(int(number), reason)

    @overload
    def __getitem__(self, index: int) -> BadRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[BadRow]: ...

    def __getitem__(self, index: int | slice) -> BadRow | list[BadRow]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.count)
            return list(itertools.islice(self, start, stop, step))
        position = index + self.count if index < 0 else index
        if not 0 <= position < self.count:
            raise IndexError(index)
        if position < len(self.kept):
            return self.kept[position]
        return next(itertools.islice(self, position, None))


@dataclass(frozen=True, slots=True)
class ImportSource:
    """A checked CSV file and how to read it: the part of an import that needs no database."""

    csv: CsvSource
    mapping: HeaderMapping
    date_style: DateStyle
    rows: int
    default_playbook: str = "meddic"
    """Playbook of a new deal whose row names none (``--playbook``, else the team default)."""
    playbooks: dict[str, str] = field(default_factory=dict)
    """Normalised playbook id or name -> playbook id: what a Playbook column may say."""

    @property
    def path(self) -> Path:
        return self.csv.path


@dataclass(slots=True)
class ImportPlan:
    """What an import writes (or, for a dry run, would write): counts and bad rows.

    Nothing of the file is kept; :func:`kamcoach.io.importer.apply_plan` reads
    the file again inside the write transaction, against the database as it
    is then.
    """

    source: ImportSource
    new_accounts: int = 0
    new_contacts: int = 0
    new_deals: int = 0
    updates: int = 0
    links: int = 0
    new_notes: int = 0
    note_updates: int = 0
    history: int = 0
    #: next steps read from a "Next Step" column that differ from the deal's current one
    next_steps: int = 0
    unchanged: int = 0
    #: existing deals whose only change is a new contact or contact link
    contact_only: int = 0
    #: reps created for owners not known yet (deal or account owner columns)
    new_reps: int = 0
    #: existing accounts whose rep the file's account owner column changes
    account_updates: int = 0
    #: existing contacts a contacts export changes
    contact_updates: int = 0
    bad_rows: BadRows = field(default_factory=BadRows)
    merged_accounts: list[tuple[str, str]] = field(default_factory=list)
    #: new deals whose export gave no stage-change date: their stage age counts from the import
    stage_age_from_import: int = 0
    #: CRM stage labels no mapping knows, placed by the win probability the export gives
    placed_stages: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: True once the plan's writes are committed.
    applied: bool = False

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def encoding(self) -> str:
        return self.source.csv.encoding

    @property
    def delimiter(self) -> str:
        return self.source.csv.delimiter

    @property
    def mapping(self) -> HeaderMapping:
        return self.source.mapping

    @property
    def date_style(self) -> DateStyle:
        return self.source.date_style

    @property
    def rows(self) -> int:
        return self.source.rows

    @property
    def crm(self) -> CrmMapping:
        return self.mapping.crm

    @property
    def kind(self) -> str:
        return self.mapping.kind

    @property
    def new_count(self) -> int:
        if self.kind == "contacts":
            return self.new_contacts
        return self.new_deals if self.kind == "opportunities" else self.new_notes

    @property
    def updated_count(self) -> int:
        if self.kind == "opportunities":
            return self.updates + self.contact_only
        if self.kind == "contacts":
            return self.contact_updates
        return self.note_updates

    @property
    def writes(self) -> int:
        return (
            self.new_accounts
            + self.new_contacts
            + self.new_deals
            + self.updates
            + self.links
            + self.new_notes
            + self.note_updates
            + self.new_reps
            + self.account_updates
            + self.contact_updates
            + self.next_steps
        )

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "new": self.new_count,
            "updated": self.updated_count,
            "unchanged": self.unchanged,
            "bad": len(self.bad_rows),
            "new_accounts": self.new_accounts,
            "new_contacts": self.new_contacts,
            "history": self.history,
            "new_reps": self.new_reps,
            "next_steps": self.next_steps,
        }


class RowError(Exception):
    """One row cannot be imported; the message becomes its bad-row reason."""


class Row:
    """One data row, read through the header mapping."""

    __slots__ = ("cells", "columns", "mapping", "number", "order", "values")

    def __init__(
        self,
        mapping: HeaderMapping,
        order: str,
        number: int,
        cells: list[str],
        columns: dict[str, int],
    ) -> None:
        self.mapping = mapping
        self.order = order
        self.number = number
        self.cells = cells
        self.columns = columns
        #: field -> stripped cell, built once (a row is read a dozen times); the quote our
        #: own CSV export puts before a formula-like cell is taken off (csv_cells.restore).
        self.values = {name: restore(cells[index].strip()) for name, index in columns.items()}

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def header(self, name: str) -> str:
        for m in self.mapping.matches:
            if m.field == name:
                return m.header
        return name

    def required(self, name: str, what: str) -> str:
        value = self.get(name)
        if not value:
            raise RowError(f"no {what} (column {self.header(name)!r} is empty)")
        return value

    def moment(self, name: str) -> datetime | None:
        try:
            return parse_datetime(self.get(name), self.order)
        except ValueError as exc:
            raise RowError(f"column {self.header(name)!r}: {exc}") from None
