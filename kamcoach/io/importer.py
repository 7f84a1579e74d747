"""Import CRM exports (opportunities or notes) into the kamcoach store: plan, then apply.

The whole file is first turned into an :class:`ImportPlan` in memory, reading
the database but never writing it: which accounts, contacts, deals and notes
are new, which deals changed (with the history rows those changes produce),
which rows are unchanged and which are bad, each with its row number and a
reason. ``--dry-run`` prints that plan. Applying it runs in ONE transaction,
so an import that fails half-way leaves the database exactly as it was.

Identity rules, chosen so that re-importing the same file writes nothing:
- a deal is the same when (CRM, CRM id) match, else when (account, name) match;
- an account is the same when its normalised name (legal suffixes, case,
  accents and punctuation removed) matches an existing account or an earlier
  row of the file, exactly or with rapidfuzz token_sort_ratio >= 90;
- a contact is the same when its normalised name matches within the account;
- a note is the same when (CRM, CRM id) match, else (deal, time, content hash).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlite_utils import Database

from kamcoach.clock import iso_datetime, iso_now
from kamcoach.errors import InputError
from kamcoach.io.csv_cells import restore
from kamcoach.io.csv_read import CsvData, read_csv
from kamcoach.io.mapping import (
    DATE_FIELDS,
    CrmMapping,
    HeaderMapping,
    detect,
    load_mappings,
    normalise,
)
from kamcoach.io.values import (
    AmbiguousDates,
    DateStyle,
    MixedDates,
    detect_date_style,
    parse_amount,
    parse_datetime,
)
from kamcoach.storage.repo import TRACKED_FIELDS, content_hash, get_meta, set_meta
from kamcoach.storage.tx import write_transaction

ACCOUNT_CUTOFF = 90.0
PROGRESS_EVERY = 1000

#: Words that do not tell two companies apart ("Carrefour SA" is "CARREFOUR").
LEGAL_WORDS = frozenset(
    {
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sca",
        "snc",
        "gmbh",
        "ag",
        "kg",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "bv",
        "nv",
        "spa",
        "srl",
        "sl",
        "ab",
        "oy",
        "group",
        "groupe",
        "the",
    }
)

ProgressFn = Callable[[int, int], None]


def account_key(name: str) -> str:
    """The normalised form accounts are compared on: no legal words, words sorted."""
    # "S.A.S." must read as "SAS", not as three one-letter words.
    tokens = normalise(name.replace(".", "")).split()
    kept = [t for t in tokens if t not in LEGAL_WORDS]
    return " ".join(sorted(kept or tokens))


def person_key(name: str) -> str:
    """Contacts compare on their name's words in any order ("Dupont Marie" = "Marie Dupont")."""
    return " ".join(sorted(normalise(name).split()))


@dataclass(frozen=True, slots=True)
class BadRow:
    row: int
    reason: str


@dataclass(slots=True)
class DealUpdate:
    deal_id: int
    name: str
    changes: dict[str, Any]
    history: list[dict[str, Any]]


@dataclass(slots=True)
class ImportPlan:
    """Everything an import would do; nothing is written until :func:`apply_plan`."""

    path: Path
    encoding: str
    delimiter: str
    mapping: HeaderMapping
    date_style: DateStyle
    rows: int = 0
    new_accounts: list[dict[str, Any]] = field(default_factory=list)
    new_contacts: list[dict[str, Any]] = field(default_factory=list)
    new_deals: list[dict[str, Any]] = field(default_factory=list)
    updates: list[DealUpdate] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    new_notes: list[dict[str, Any]] = field(default_factory=list)
    note_updates: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    #: existing deals whose only change is a new contact or contact link
    contact_only: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    merged_accounts: list[tuple[str, str]] = field(default_factory=list)
    next_ids: dict[str, int] = field(default_factory=dict)

    @property
    def crm(self) -> CrmMapping:
        return self.mapping.crm

    @property
    def kind(self) -> str:
        return self.mapping.kind

    @property
    def history(self) -> list[dict[str, Any]]:
        return [h for u in self.updates for h in u.history]

    @property
    def new_count(self) -> int:
        return len(self.new_deals) if self.kind == "opportunities" else len(self.new_notes)

    @property
    def updated_count(self) -> int:
        if self.kind == "opportunities":
            return len(self.updates) + self.contact_only
        return len(self.note_updates)

    @property
    def writes(self) -> int:
        return (
            len(self.new_accounts)
            + len(self.new_contacts)
            + len(self.new_deals)
            + len(self.updates)
            + len(self.links)
            + len(self.new_notes)
            + len(self.note_updates)
        )

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "new": self.new_count,
            "updated": self.updated_count,
            "unchanged": self.unchanged,
            "bad": len(self.bad_rows),
            "new_accounts": len(self.new_accounts),
            "new_contacts": len(self.new_contacts),
            "history": len(self.history),
        }


# ---------------------------------------------------------------- indexes


class _Accounts:
    """Existing accounts plus those the file adds, matched on normalised names."""

    def __init__(self, db: Database, source: str) -> None:
        self.by_key: dict[str, tuple[int, str]] = {}
        self.by_ext: dict[str, int] = {}
        self.cache: dict[str, tuple[int, str]] = {}
        for acc_id, name, ext, src in db.execute(
            "SELECT id, name, external_id, source FROM accounts ORDER BY id"
        ):
            self.by_key.setdefault(account_key(name), (acc_id, name))
            if ext and src == source:
                self.by_ext[ext] = acc_id
        self.keys = list(self.by_key)

    def find(self, name: str) -> tuple[int, str] | None:
        if name in self.cache:
            return self.cache[name]
        key = account_key(name)
        found = self.by_key.get(key)
        if found is None and self.keys:
            digits = _digits(key)
            # Keys are stored with sorted words, so plain ratio here equals
            # token_sort_ratio without re-sorting every candidate on every call.
            for candidate, _score, _index in process.extract(
                key, self.keys, scorer=fuzz.ratio, score_cutoff=ACCOUNT_CUTOFF, limit=5
            ):
                # "Client 12" is not "Client 13": numbers must agree exactly.
                if _digits(candidate) == digits:
                    found = self.by_key[candidate]
                    break
        if found is not None:  # a miss may turn into a hit once the file adds the account
            self.cache[name] = found
        return found

    def add(self, name: str, acc_id: int) -> None:
        key = account_key(name)
        self.by_key[key] = (acc_id, name)
        self.keys.append(key)


def _digits(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _next_id(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])


def _deal_row(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = (
        "id",
        "account_id",
        "name",
        "stage",
        "amount",
        "currency",
        "close_date",
        "owner",
        "type",
        "external_id",
        "source",
    )
    return dict(zip(keys, row, strict=True))


_DEAL_COLUMNS = (
    "id, account_id, name, stage, amount, currency, close_date, owner, type, external_id, source"
)


# ---------------------------------------------------------------- planning


def plan_import(
    db: Database,
    path: Path,
    *,
    mapping: str | Path | None = None,
    kind: str | None = None,
    date_format: str | None = None,
    progress: ProgressFn | None = None,
) -> ImportPlan:
    """Read ``path`` and work out what importing it would change; writes nothing.

    ``mapping`` is None/"auto", a CRM name or a TOML mapping file. File-level
    problems (unknown headers, ambiguous dates, unreadable file) raise
    :class:`InputError`; row-level problems become ``plan.bad_rows``.
    """
    extra = None
    crm_name: str | None = None
    if isinstance(mapping, Path) or (isinstance(mapping, str) and mapping.endswith(".toml")):
        extra = Path(mapping)
    elif mapping and mapping != "auto":
        crm_name = str(mapping)
    mappings, chosen = load_mappings(extra)
    crm_name = crm_name or chosen
    data = read_csv(path)
    header_map = detect(data.headers, mappings, crm=crm_name, kind=kind, path=path)
    style = _date_style(data, header_map, date_format)
    plan = ImportPlan(
        path=path,
        encoding=data.encoding,
        delimiter=data.delimiter,
        mapping=header_map,
        date_style=style,
        rows=len(data.rows),
    )
    if header_map.kind == "opportunities":
        _plan_deals(db, data, plan, progress)
    else:
        _plan_notes(db, data, plan, progress)
    plan.bad_rows.sort(key=lambda b: b.row)
    return plan


def _date_style(data: CsvData, header_map: HeaderMapping, forced: str | None) -> DateStyle:
    columns = [m for m in header_map.matches if m.field in DATE_FIELDS]
    values = (row[m.index] for m in columns for _, row in data.rows if m.index < len(row))
    try:
        return detect_date_style(values, forced)
    except AmbiguousDates as exc:
        where = _column_of(data, columns, exc.example)
        raise InputError(
            f"{data.path}: dates are ambiguous: {exc.example!r}{where} reads as day/month and "
            "as month/day and no date in the file settles it; "
            "rerun with --date-format dmy or --date-format mdy"
        ) from None
    except MixedDates as exc:
        raise InputError(
            f"{data.path}: dates mix day-first ({exc.dmy_example!r}) and month-first "
            f"({exc.mdy_example!r}) forms; fix the file or pass --date-format dmy|mdy"
        ) from None


def _column_of(data: CsvData, columns: list[Any], value: str) -> str:
    for m in columns:
        for number, row in data.rows:
            if m.index < len(row) and row[m.index].strip() == value:
                return f" (column {m.header!r}, row {number})"
    return ""


class _RowError(Exception):
    pass


class _Row:
    """One data row, read through the header mapping."""

    __slots__ = ("cells", "columns", "number", "plan")

    def __init__(
        self, plan: ImportPlan, number: int, cells: list[str], columns: dict[str, int]
    ) -> None:
        self.plan = plan
        self.number = number
        self.cells = cells
        self.columns = columns

    def get(self, name: str) -> str:
        index = self.columns.get(name)
        if index is None:
            return ""
        return restore(self.cells[index].strip())  # undo our export's formula quote

    def header(self, name: str) -> str:
        for m in self.plan.mapping.matches:
            if m.field == name:
                return m.header
        return name

    def required(self, name: str, what: str) -> str:
        value = self.get(name)
        if not value:
            raise _RowError(f"no {what} (column {self.header(name)!r} is empty)")
        return value

    def moment(self, name: str) -> datetime | None:
        try:
            return parse_datetime(self.get(name), self.plan.date_style.order)
        except ValueError as exc:
            raise _RowError(f"column {self.header(name)!r}: {exc}") from None


def _rows(
    data: CsvData, plan: ImportPlan, progress: ProgressFn | None
) -> Iterator[tuple[int, _Row]]:
    width = len(data.headers)
    columns = plan.mapping.columns()
    total = len(data.rows)
    for done, (number, cells) in enumerate(data.rows, start=1):
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
        if len(cells) < width or any(c.strip() for c in cells[width:]):
            lines = 1 + sum(c.rstrip("\r\n").count("\n") for c in cells)
            # An unclosed quote swallows the following lines into this row: say so.
            hint = (
                f"it runs over {lines} lines: an unclosed quote?"
                if lines > 1
                else "a stray separator or quote?"
            )
            plan.bad_rows.append(
                BadRow(number, f"has {len(cells)} values but the header has {width} ({hint})")
            )
            continue
        yield number, _Row(plan, number, cells, columns)


def _plan_deals(db: Database, data: CsvData, plan: ImportPlan, progress: ProgressFn | None) -> None:
    crm = plan.crm
    source = crm.name
    accounts = _Accounts(db, source)
    next_account = _next_id(db, "accounts")
    next_contact = _next_id(db, "contacts")
    next_deal = _next_id(db, "opportunities")
    plan.next_ids = {
        "accounts": next_account,
        "contacts": next_contact,
        "opportunities": next_deal,
    }
    by_ext: dict[str, dict[str, Any]] = {}
    by_name: dict[tuple[int, str], dict[str, Any]] = {}
    for raw in db.execute(f"SELECT {_DEAL_COLUMNS} FROM opportunities ORDER BY id"):
        deal = _deal_row(raw)
        if deal["external_id"] and deal["source"] == source:
            by_ext[deal["external_id"]] = deal
        by_name.setdefault((deal["account_id"], normalise(deal["name"])), deal)
    contacts: dict[tuple[int, str], int] = {}
    for cid, acc_id, name in db.execute("SELECT id, account_id, name FROM contacts"):
        contacts.setdefault((acc_id, person_key(name)), cid)
    links: set[tuple[int, int]] = {
        (o, c) for o, c in db.execute("SELECT opportunity_id, contact_id FROM opportunity_contacts")
    }
    seen: dict[Any, int] = {}
    now = iso_now()

    for number, row in _rows(data, plan, progress):
        try:
            values = _deal_values(row, crm)
        except _RowError as exc:
            plan.bad_rows.append(BadRow(number, str(exc)))
            continue
        # -- account
        account_name = values.pop("account")
        account_ext = values.pop("account_ext")
        acc_id = accounts.by_ext.get(account_ext) if account_ext else None
        if acc_id is None:
            found = accounts.find(account_name)
            if found is not None:
                acc_id = found[0]
                if found[1] != account_name:
                    pair = (account_name, found[1])
                    if pair not in plan.merged_accounts:
                        plan.merged_accounts.append(pair)
        if acc_id is None:
            acc_id = next_account
            next_account += 1
            plan.new_accounts.append(
                {
                    "id": acc_id,
                    "name": account_name,
                    "external_id": account_ext or None,
                    "source": source,
                    "created_at": now,
                }
            )
            accounts.add(account_name, acc_id)
            if account_ext:
                accounts.by_ext[account_ext] = acc_id
        # -- deal identity
        ext = values.pop("external_id")
        identity: Any = ("ext", ext) if ext else ("name", acc_id, normalise(values["name"]))
        if identity in seen:
            plan.bad_rows.append(
                BadRow(
                    number,
                    f"same deal as row {seen[identity]} ({values['name']!r}); kept the first",
                )
            )
            continue
        seen[identity] = number
        existing = by_ext.get(ext) if ext else None
        if existing is None:
            existing = by_name.get((acc_id, normalise(values["name"])))
            if existing is not None and ext and existing["external_id"] not in (None, ext):
                existing = None  # same name, but another CRM record
        contact = values.pop("contact")
        deal_changed = False
        if existing is None:
            deal_id = next_deal
            next_deal += 1
            created = values.pop("created_at") or now
            record = {
                "id": deal_id,
                "account_id": acc_id,
                "name": values["name"],
                "amount": values["amount"] if values["amount"] is not None else 0.0,
                "currency": values["currency"] or crm.default_currency,
                "stage": values["stage"],
                "close_date": values["close_date"],
                "owner": values["owner"] or "",
                "type": values["type"] or "new",
                "playbook": "meddic",
                "created_at": created,
                "stage_changed_at": created,
                "external_id": ext or None,
                "source": source,
            }
            plan.new_deals.append(record)
            by_name.setdefault((acc_id, normalise(values["name"])), record)
            if ext:
                by_ext[ext] = record
        else:
            deal_id = existing["id"]
            values.pop("created_at")
            changes = _deal_changes(existing, values, ext)
            if changes:
                history = [
                    {
                        "opportunity_id": deal_id,
                        "changed_at": now,
                        "field": key,
                        "old_value": None if existing[key] is None else str(existing[key]),
                        "new_value": None if changes[key] is None else str(changes[key]),
                        "source": source,
                    }
                    for key in TRACKED_FIELDS
                    if key in changes
                ]
                if "stage" in changes:
                    changes["stage_changed_at"] = now
                plan.updates.append(DealUpdate(deal_id, existing["name"], changes, history))
                deal_changed = True
        # -- contact
        wrote_contact = False
        if contact["name"]:
            ckey = (acc_id, person_key(contact["name"]))
            cid = contacts.get(ckey)
            if cid is None:
                cid = next_contact
                next_contact += 1
                contacts[ckey] = cid
                plan.new_contacts.append(
                    {
                        "id": cid,
                        "account_id": acc_id,
                        "name": contact["name"],
                        "title": contact["title"] or None,
                        "email": contact["email"] or None,
                        "created_at": now,
                    }
                )
                wrote_contact = True
            if (deal_id, cid) not in links:
                links.add((deal_id, cid))
                plan.links.append({"opportunity_id": deal_id, "contact_id": cid})
                wrote_contact = True
        if existing is not None and not deal_changed:
            if wrote_contact:
                plan.contact_only += 1
            else:
                plan.unchanged += 1


def _deal_values(row: _Row, crm: CrmMapping) -> dict[str, Any]:
    name = row.required("name", "deal name")
    account = row.required("account", "account name")
    stage = None
    status = row.get("status")
    if status:
        stage = crm.map_status(status)
    if stage is None:
        raw_stage = row.get("stage")
        if not raw_stage:
            raise _RowError(f"no stage (column {row.header('stage')!r} is empty)")
        try:
            stage = crm.map_stage(raw_stage)
        except ValueError as exc:
            raise _RowError(str(exc)) from None
    amount = currency = None
    raw_amount = row.get("amount")
    if raw_amount:
        try:
            parsed = parse_amount(raw_amount)
        except ValueError as exc:
            raise _RowError(f"column {row.header('amount')!r}: {exc}") from None
        if parsed is not None:
            amount, currency = parsed
            if amount < 0:
                raise _RowError(
                    f"column {row.header('amount')!r}: amount {raw_amount!r} is negative"
                )
    raw_currency = row.get("currency").upper()
    if raw_currency:
        if len(raw_currency) != 3 or not raw_currency.isalpha():
            raise _RowError(
                f"column {row.header('currency')!r}: {raw_currency!r} is not a currency code"
            )
        if currency and currency != raw_currency:
            raise _RowError(
                f"amount {raw_amount!r} is in {currency} but column "
                f"{row.header('currency')!r} says {raw_currency}"
            )
        currency = raw_currency
    close = row.moment("close_date")
    created = row.moment("created_at")
    deal_type = None
    raw_type = row.get("type")
    if raw_type:
        deal_type = crm.map_type(raw_type)
    return {
        "external_id": row.get("external_id"),
        "name": name,
        "account": account,
        "account_ext": row.get("account_id"),
        "stage": stage,
        "amount": amount,
        "currency": currency,
        "close_date": close.date().isoformat() if close else None,
        "owner": row.get("owner"),
        "type": deal_type,
        "created_at": iso_datetime(created) if created else None,
        "contact": {
            "name": row.get("contact"),
            "title": row.get("contact_title"),
            "email": row.get("contact_email"),
        },
    }


def _deal_changes(existing: dict[str, Any], values: dict[str, Any], ext: str) -> dict[str, Any]:
    """Fields the export changes; blank cells never erase what kamcoach holds."""
    changes: dict[str, Any] = {}
    if ext and values["name"] != existing["name"]:
        changes["name"] = values["name"]
    if values["stage"] != existing["stage"]:
        changes["stage"] = values["stage"]
    amount = values["amount"]
    if amount is not None and abs(float(existing["amount"] or 0) - amount) >= 0.005:
        changes["amount"] = amount
    for key in ("currency", "close_date", "owner", "type"):
        value = values[key]
        if value and value != existing[key]:
            changes[key] = value
    return changes


def _plan_notes(db: Database, data: CsvData, plan: ImportPlan, progress: ProgressFn | None) -> None:
    source = plan.crm.name
    deals_by_ext: dict[str, int] = {}
    deals_by_name: dict[str, list[tuple[int, int]]] = {}
    for deal_id, acc_id, name, ext, src in db.execute(
        "SELECT id, account_id, name, external_id, source FROM opportunities"
    ):
        if ext and src == source:
            deals_by_ext[ext] = deal_id
        deals_by_name.setdefault(normalise(name), []).append((deal_id, acc_id))
    accounts = _Accounts(db, source)
    notes_by_ext: dict[str, tuple[int, str]] = {}
    notes_seen: set[tuple[int, str, str]] = set()
    for note_id, deal_id, created, digest, ext, src in db.execute(
        "SELECT id, opportunity_id, created_at, content_hash, external_id, source FROM notes"
    ):
        if ext and src == source:
            notes_by_ext[ext] = (note_id, digest)
        notes_seen.add((deal_id, created, digest))
    in_file: dict[Any, int] = {}

    for number, row in _rows(data, plan, progress):
        try:
            deal_id = _note_deal(row, deals_by_ext, deals_by_name, accounts)
            subject, body = row.get("subject"), row.get("text")
            if subject and body and not body.startswith(subject):
                text = f"{subject}\n\n{body}"
            else:
                text = body or subject
            if not text:
                raise _RowError("the note is empty (no subject and no body)")
            moment = row.moment("created_at")
            if moment is None:
                raise _RowError(f"no date (column {row.header('created_at')!r} is empty)")
        except _RowError as exc:
            plan.bad_rows.append(BadRow(number, str(exc)))
            continue
        created = iso_datetime(moment)
        digest = content_hash(text)
        ext = row.get("external_id")
        identity: Any = ("ext", ext) if ext else (deal_id, created, digest)
        if identity in in_file:
            plan.bad_rows.append(BadRow(number, f"same note as row {in_file[identity]}"))
            continue
        in_file[identity] = number
        if ext and ext in notes_by_ext:
            note_id, old_digest = notes_by_ext[ext]
            if old_digest == digest:
                plan.unchanged += 1
            else:
                plan.note_updates.append({"id": note_id, "text": text, "content_hash": digest})
            continue
        if (deal_id, created, digest) in notes_seen:
            plan.unchanged += 1
            continue
        notes_seen.add((deal_id, created, digest))
        plan.new_notes.append(
            {
                "opportunity_id": deal_id,
                "created_at": created,
                "author": row.get("author") or None,
                "lang": None,
                "text": text,
                "content_hash": digest,
                "external_id": ext or None,
                "source": source,
            }
        )


def _note_deal(
    row: _Row,
    by_ext: dict[str, int],
    by_name: dict[str, list[tuple[int, int]]],
    accounts: _Accounts,
) -> int:
    ext = row.get("deal_id")
    if ext:
        if ext in by_ext:
            return by_ext[ext]
        if not row.get("deal_name"):
            raise _RowError(
                f"no {row.plan.crm.label} deal with id {ext!r} in kamcoach "
                "(import the deals export first)"
            )
    name = row.get("deal_name")
    if not name:
        raise _RowError("the note is linked to no deal (deal id and deal name are empty)")
    candidates = by_name.get(normalise(name), [])
    account = row.get("account")
    if len(candidates) > 1 and account:
        found = accounts.find(account)
        if found is not None:
            candidates = [c for c in candidates if c[1] == found[0]]
    if not candidates:
        raise _RowError(f"no deal named {name!r} in kamcoach (import the deals export first)")
    if len(candidates) > 1:
        ids = ", ".join(str(c[0]) for c in candidates)
        raise _RowError(f"deal name {name!r} is ambiguous (deals {ids}); add a deal id column")
    return candidates[0][0]


# ---------------------------------------------------------------- applying


def apply_plan(db: Database, plan: ImportPlan) -> dict[str, int]:
    """Write the plan in one transaction; a failure leaves the database untouched."""
    summary = plan.summary()
    if not plan.writes:
        return summary
    try:
        with write_transaction(db):
            for table, first in plan.next_ids.items():
                if _next_id(db, table) != first:
                    raise InputError(
                        f"{plan.path}: the database changed while the import was planned; "
                        "run the import again"
                    )
            db.table("accounts").insert_all(plan.new_accounts)
            db.table("contacts").insert_all(plan.new_contacts)
            db.table("opportunities").insert_all(plan.new_deals, batch_size=500)
            grouped: dict[tuple[str, ...], list[list[Any]]] = {}
            for update in plan.updates:
                keys = tuple(sorted(update.changes))
                grouped.setdefault(keys, []).append(
                    [update.changes[k] for k in keys] + [update.deal_id]
                )
            for keys, params in grouped.items():
                assignments = ", ".join(f"{k} = ?" for k in keys)
                db.conn.executemany(f"UPDATE opportunities SET {assignments} WHERE id = ?", params)
            history = plan.history
            if history:
                db.table("opportunity_history").insert_all(history, batch_size=500)
            if plan.links:
                db.table("opportunity_contacts").insert_all(plan.links, ignore=True)
            if plan.new_notes:
                db.table("notes").insert_all(plan.new_notes, batch_size=500)
            for note in plan.note_updates:
                db.table("notes").update(
                    note["id"], {"text": note["text"], "content_hash": note["content_hash"]}
                )
            if get_meta(db, "contents") != "user":
                set_meta(db, "contents", "user")
            set_meta(db, "last_import", f"{iso_now()} {plan.crm.name} {plan.path.name}")
    except sqlite3.IntegrityError as exc:
        raise InputError(
            f"{plan.path}: import refused by the database ({exc}); nothing written"
        ) from None
    return summary


def import_file(
    db: Database,
    path: Path,
    *,
    mapping: str | Path | None = None,
    kind: str | None = None,
    date_format: str | None = None,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> ImportPlan:
    """Plan and (unless ``dry_run``) apply an import; the CLI and tests share this."""
    plan = plan_import(
        db, path, mapping=mapping, kind=kind, date_format=date_format, progress=progress
    )
    if not dry_run:
        apply_plan(db, plan)
    return plan
