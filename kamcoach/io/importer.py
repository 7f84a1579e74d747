"""Import CRM exports (opportunities, notes or contacts) into the kamcoach store, streaming.

An import reads the file in passes that never hold it in memory:

1. :func:`open_import` checks the file (encoding, separator, headers, CRM
   and record kind) and reads every date once to settle day/month order;
2. a planning pass (:func:`plan_import`, the ``--dry-run``) reads the rows
   and counts what would change, writing nothing;
3. the writing pass (:func:`import_file`, or :func:`apply_plan` after a
   plan) reads the rows again INSIDE one write transaction (``BEGIN
   IMMEDIATE``) and writes as it goes, in batches. Everything it compares is
   read under the write lock, so two imports of the same deals take turns and
   the second records the first's values as its "old values" (issue 11.7);
   an import that fails half-way, or is refused for bad rows, rolls back and
   leaves the database exactly as it was.

Rows are matched as :mod:`kamcoach.io.import_deals`,
:mod:`kamcoach.io.import_notes` and :mod:`kamcoach.io.import_contacts` describe, accounts as
:mod:`kamcoach.io.import_accounts` does; re-importing the same file writes
nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from kamcoach.clock import iso_now
from kamcoach.errors import InputError
from kamcoach.io.csv_read import CsvSource, FileStamp, open_csv
from kamcoach.io.import_accounts import account_key, person_key
from kamcoach.io.import_contacts import plan_contacts
from kamcoach.io.import_deals import plan_deals
from kamcoach.io.import_notes import plan_notes
from kamcoach.io.import_plan import BadRow, BadRows, ImportPlan, ImportSource, Row
from kamcoach.io.import_writer import ImportWriter
from kamcoach.io.mapping import DATE_FIELDS, ColumnMatch, HeaderMapping, detect, load_mappings
from kamcoach.io.values import AmbiguousDates, DateEvidence, DateStyle, MixedDates
from kamcoach.storage.repo import get_meta, set_meta
from kamcoach.storage.tx import write_transaction

if TYPE_CHECKING:
    from kamcoach.playbooks.model import PlaybookSet

__all__ = [
    "BadRow",
    "BadRows",
    "ImportPlan",
    "ImportSource",
    "account_key",
    "apply_plan",
    "import_file",
    "open_import",
    "person_key",
    "plan_import",
]

PROGRESS_EVERY = 1000
#: Page cache of the temp schema during a pass, in KiB: the lookup tables of a
#: 100,000-row file fit; longer files spill to SQLite's temporary file.
TEMP_CACHE_KIB = 32 * 1024

ProgressFn = Callable[[int, int], None]


# ---------------------------------------------------------------- the file


def open_import(
    path: Path,
    *,
    mapping: str | Path | None = None,
    kind: str | None = None,
    date_format: str | None = None,
    playbook: str | None = None,
    playbooks: PlaybookSet | None = None,
) -> ImportSource:
    """Check ``path`` and decide how to read it; reads no database.

    ``mapping`` is None/"auto", a CRM name or a TOML mapping file. File-level
    problems (unknown headers, ambiguous dates, unreadable file, an unknown
    ``playbook``) raise :class:`InputError`. A deal whose row names no
    playbook gets ``playbook``, else the team default (:mod:`kamcoach.team`);
    ``playbooks`` are loaded when not given.
    """
    extra = None
    crm_name: str | None = None
    if isinstance(mapping, Path) or (isinstance(mapping, str) and mapping.endswith(".toml")):
        extra = Path(mapping)
    elif mapping and mapping != "auto":
        crm_name = str(mapping)
    mappings, chosen = load_mappings(extra)
    crm_name = crm_name or chosen
    source = open_csv(path)
    header_map = detect(source.headers, mappings, crm=crm_name, kind=kind, path=path)
    style, count = _scan(source, header_map, date_format)
    if header_map.kind != "opportunities":
        return ImportSource(csv=source, mapping=header_map, date_style=style, rows=count)
    default, names = _playbooks(playbook, playbooks)
    return ImportSource(
        csv=source,
        mapping=header_map,
        date_style=style,
        rows=count,
        default_playbook=default,
        playbooks=names,
    )


def _playbooks(chosen: str | None, playbooks: PlaybookSet | None) -> tuple[str, dict[str, str]]:
    """The default playbook of new deals and what a Playbook cell may say (id or name)."""
    from kamcoach.io.mapping import normalise
    from kamcoach.team import load_team_settings

    if playbooks is None:
        from kamcoach.playbooks.loader import load_playbooks

        playbooks = load_playbooks()
    names: dict[str, str] = {}
    for pid, book in playbooks.playbooks.items():
        for label in (book.name.en, book.name.fr, pid):  # the id last: it wins over a name
            if normalise(label):
                names[normalise(label)] = pid
    if chosen is not None:
        found = names.get(normalise(chosen))
        if found is None:
            known = ", ".join(sorted(playbooks.playbooks))
            raise InputError(f"--playbook {chosen!r}: unknown playbook (known: {known})")
        return found, names
    return load_team_settings(tuple(playbooks.playbooks)).default_playbook, names


def _scan(
    source: CsvSource, header_map: HeaderMapping, forced: str | None
) -> tuple[DateStyle, int]:
    """Date order and number of data rows, in one streaming read of the file."""
    columns = [m for m in header_map.matches if m.field in DATE_FIELDS]
    evidence = [DateEvidence() for _ in columns]
    count = 0
    for _number, cells in source.rows():
        count += 1
        for m, seen in zip(columns, evidence, strict=True):
            if m.index < len(cells):
                seen.add(cells[m.index])
    merged = DateEvidence()
    for seen in evidence:  # column after column, as the examples were always chosen
        merged.merge(seen)
    try:
        return merged.style(forced), count
    except AmbiguousDates as exc:
        where = _column_of(source, columns, exc.example)
        raise InputError(
            f"{source.path}: dates are ambiguous: {exc.example!r}{where} reads as day/month and "
            "as month/day and no date in the file settles it; "
            "rerun with --date-format dmy or --date-format mdy"
        ) from None
    except MixedDates as exc:
        raise InputError(
            f"{source.path}: dates mix day-first ({exc.dmy_example!r}) and month-first "
            f"({exc.mdy_example!r}) forms; fix the file or pass --date-format dmy|mdy"
        ) from None


def _column_of(source: CsvSource, columns: list[ColumnMatch], value: str) -> str:
    for m in columns:
        for number, cells in source.rows():
            if m.index < len(cells) and cells[m.index].strip() == value:
                return f" (column {m.header!r}, row {number})"
    return ""


def _rows(
    plan: ImportPlan, progress: ProgressFn | None, on_bad: Callable[[], None] | None
) -> Iterator[Row | BadRow]:
    """The file's rows as :class:`Row`, or :class:`BadRow` for those of the wrong width."""
    source = plan.source
    width = len(source.csv.headers)
    columns = source.mapping.columns()
    order = source.date_style.order
    total = source.rows
    bad = plan.bad_rows
    for done, (number, cells) in enumerate(source.csv.rows(), start=1):
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
        if on_bad is not None and bad:
            on_bad()
            on_bad = None
        if len(cells) != width and (len(cells) < width or any(c.strip() for c in cells[width:])):
            lines = 1 + sum(c.rstrip("\r\n").count("\n") for c in cells)
            # An unclosed quote swallows the following lines into this row: say so.
            hint = (
                f"it runs over {lines} lines: an unclosed quote?"
                if lines > 1
                else "a stray separator or quote?"
            )
            yield BadRow(number, f"has {len(cells)} values but the header has {width} ({hint})")
            continue
        yield Row(source.mapping, order, number, cells, columns)


def _pass(
    db: Database,
    plan: ImportPlan,
    writer: ImportWriter,
    progress: ProgressFn | None,
    on_bad: Callable[[], None] | None = None,
) -> None:
    rows = _rows(plan, progress, on_bad)
    conn = db.conn
    # The pass's lookup tables live in the temp schema: give its page cache
    # TEMP_CACHE_KIB (bounded, whatever the file's length) instead of 2 MiB.
    previous = conn.execute("PRAGMA temp.cache_size").fetchone()[0]
    conn.execute(f"PRAGMA temp.cache_size = -{TEMP_CACHE_KIB}")
    try:
        if plan.kind == "opportunities":
            plan_deals(db, plan, rows, writer)
        elif plan.kind == "contacts":
            plan_contacts(db, plan, rows, writer)
        else:
            plan_notes(db, plan, rows, writer)
    finally:
        conn.execute(f"PRAGMA temp.cache_size = {int(previous)}")


# ---------------------------------------------------------------- planning


def plan_import(
    db: Database,
    path: Path,
    *,
    mapping: str | Path | None = None,
    kind: str | None = None,
    date_format: str | None = None,
    progress: ProgressFn | None = None,
    playbook: str | None = None,
    playbooks: PlaybookSet | None = None,
) -> ImportPlan:
    """Read ``path`` and count what importing it would change; writes nothing.

    Row-level problems become ``plan.bad_rows``. The pass runs in a read
    transaction (one consistent view of the database, no write lock) that is
    rolled back at the end, taking the pass's temporary tables with it.
    """
    source = open_import(
        path,
        mapping=mapping,
        kind=kind,
        date_format=date_format,
        playbook=playbook,
        playbooks=playbooks,
    )
    plan = ImportPlan(source=source)
    conn = db.conn
    outer = conn.in_transaction
    conn.execute("SAVEPOINT kc_import_plan" if outer else "BEGIN")
    try:
        _pass(db, plan, ImportWriter(db, enabled=False), progress)
    finally:
        if outer:
            conn.execute("ROLLBACK TO kc_import_plan")
            conn.execute("RELEASE kc_import_plan")
        elif conn.in_transaction:
            conn.execute("ROLLBACK")
    return plan


# ---------------------------------------------------------------- applying


class _Refused(Exception):
    """Bad rows and no --skip-bad-rows: roll the writing pass back."""


def _write(
    db: Database,
    source: ImportSource,
    *,
    skip_bad_rows: bool,
    progress: ProgressFn | None,
) -> ImportPlan:
    """The writing pass: one transaction, batched writes, rolled back on any failure."""
    plan = ImportPlan(source=source)
    writer = ImportWriter(db, enabled=True)
    # Without --skip-bad-rows the first bad row dooms the import: stop writing,
    # but read on so that every bad row is reported.
    on_bad = None if skip_bad_rows else writer.disable
    try:
        with write_transaction(db):
            _pass(db, plan, writer, progress, on_bad)
            if plan.bad_rows and not skip_bad_rows:
                raise _Refused
            writer.flush()
            if plan.writes:
                if get_meta(db, "contents") != "user":
                    set_meta(db, "contents", "user")
                set_meta(db, "last_import", f"{iso_now()} {plan.crm.name} {plan.path.name}")
    except _Refused:
        return plan
    except sqlite3.IntegrityError as exc:
        raise InputError(
            f"{source.path}: import refused by the database ({exc}); nothing written"
        ) from None
    plan.applied = True
    return plan


def apply_plan(db: Database, plan: ImportPlan) -> dict[str, int]:
    """Import the file ``plan`` was made from, as the database is now; returns what was written.

    The file is read again inside the write transaction, so a change committed
    since the plan (another import, an edit in the TUI) is compared against,
    never overwritten with stale "old values". Bad rows are skipped, as the
    plan listed them. ``plan`` is updated to what was actually written.
    """
    source = plan.source
    try:
        changed = FileStamp.of(source.path) != source.csv.stamp
    except OSError:
        changed = True
    if changed:
        raise InputError(f"{source.path}: the file changed since it was read; run the import again")
    done = _write(db, source, skip_bad_rows=True, progress=None)
    for item in fields(ImportPlan):
        if item.name != "source":
            setattr(plan, item.name, getattr(done, item.name))
    return plan.summary()


def import_file(
    db: Database,
    path: Path,
    *,
    mapping: str | Path | None = None,
    kind: str | None = None,
    date_format: str | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = True,
    progress: ProgressFn | None = None,
    playbook: str | None = None,
    playbooks: PlaybookSet | None = None,
) -> ImportPlan:
    """Import ``path`` in one writing pass (or plan it, for ``dry_run``); the CLI and tests share this.

    With ``skip_bad_rows=False`` a file with any bad row writes nothing: the
    returned plan lists the bad rows and has ``applied`` False.
    """
    if dry_run:
        return plan_import(
            db,
            path,
            mapping=mapping,
            kind=kind,
            date_format=date_format,
            progress=progress,
            playbook=playbook,
            playbooks=playbooks,
        )
    source = open_import(
        path,
        mapping=mapping,
        kind=kind,
        date_format=date_format,
        playbook=playbook,
        playbooks=playbooks,
    )
    return _write(db, source, skip_bad_rows=skip_bad_rows, progress=progress)
