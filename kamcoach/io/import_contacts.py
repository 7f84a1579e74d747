"""One streaming pass over a contacts (people) export, then a second pass for reports-to.

Identity rules, chosen so that re-importing the same file writes nothing and
an export enriches the contacts a deals import or a rep already created:
- a contact is the same when (CRM, CRM id) match; else, within its account,
  when the e-mail matches (case aside); else when the name's words match and
  neither the e-mails nor the CRM ids tell them apart;
- the same contact twice in one file is a bad row ("same contact as row N");
- blank cells never erase what kamcoach holds, and an "Other"/"Autre" buying
  role never replaces a known one.

Accounts are found by CRM id, then by name as the deals import does (and
created like it when unknown); a row naming only an unknown account id is a
bad row. "Reports to" names a manager (by CRM id or by name, in the same
account) who may come later in the file, so it is resolved once every row has
been read; a manager found nowhere, a contact reporting to itself or a loop
is a bad row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now
from kamcoach.io import contact_values
from kamcoach.io.import_accounts import Accounts, person_key
from kamcoach.io.import_index import TempIndex
from kamcoach.io.import_plan import BadRow, ImportPlan, Row, RowError
from kamcoach.io.import_writer import ImportWriter

_CONTACT_COLUMNS = (
    "id",
    "name",
    "title",
    "email",
    "buying_role",
    "stance",
    "influence",
    "last_contact_at",
    "external_id",
    "source",
    "reports_to_id",
)
_PENDING = "kc_import_contact_reports"
#: Longest reports-to chain walked when looking for a loop.
_MAX_CHAIN = 1000


def plan_contacts(
    db: Database, plan: ImportPlan, rows: Iterator[Row | BadRow], writer: ImportWriter
) -> None:
    """Read every row, count what changes into ``plan`` and hand the writes to ``writer``."""
    people = _ContactPass(db, plan, writer)
    try:
        for item in rows:
            if isinstance(item, BadRow):
                plan.bad_rows.add(item.row, item.reason)
                continue
            try:
                people.row(item)
            except RowError as exc:
                plan.bad_rows.add(item.number, str(exc))
        people.reports_to()
    finally:
        people.close()


def _email_key(email: str) -> str:
    return email.casefold()


class _ContactPass:
    """The state of one pass: ids to hand out and the pass's temp-table indexes."""

    def __init__(self, db: Database, plan: ImportPlan, writer: ImportWriter) -> None:
        conn = self.conn = db.conn
        self.plan = plan
        self.writer = writer
        self.source = plan.crm.name
        self.accounts = Accounts(db, self.source)
        self.next_account = _next_id(db, "accounts")
        self.next_contact = _next_id(db, "contacts")
        self.now = iso_now()
        self.merged: set[tuple[str, str]] = set()
        # "x<CRM id>", "e<account><e-mail>", "n<account><name>" -> (contact id, its
        # e-mail key, its CRM id in this CRM)
        self.keys = TempIndex(conn, "kc_import_contact_keys")
        self.keys.fill(self._stored_keys())
        self.seen = TempIndex(conn, "kc_import_contact_seen")  # contact id -> its row
        conn.execute(f"DROP TABLE IF EXISTS temp.{_PENDING}")
        conn.execute(
            f"CREATE TEMP TABLE {_PENDING} (row INTEGER PRIMARY KEY, contact_id, account_id, "
            "ref_ext, ref_name, status, current)"
        )
        header = plan.mapping.matches
        self.headers = {m.field: m.header for m in header}

    def _stored_keys(self) -> Iterator[tuple[Any, Any, Any, Any]]:
        for cid, acc, name, email, ext, src in self.conn.execute(
            "SELECT id, account_id, name, email, external_id, source FROM contacts ORDER BY id"
        ):
            mine = ext if ext and src == self.source else None
            mail = _email_key(email) if email else None
            if mine:
                yield ("x\x1f" + mine, cid, mail, mine)
            if mail:
                yield (f"e\x1f{acc}\x1f{mail}", cid, mail, mine)
            yield (f"n\x1f{acc}\x1f{person_key(name)}", cid, mail, mine)

    def close(self) -> None:
        self.keys.drop()
        self.seen.drop()
        self.conn.execute(f"DROP TABLE IF EXISTS temp.{_PENDING}")

    def header(self, name: str) -> str:
        return self.headers.get(name, name)

    # ------------------------------------------------------------ one row

    def row(self, row: Row) -> None:
        values = _read(row)
        acc_id = self._account(row, values["account"], values["account_ext"])
        ext, email, name = values["external_id"], values["email"], values["name"]
        mail = _email_key(email) if email else ""
        cid = self._match(acc_id, ext, mail, name)
        if cid is not None:
            first = self.seen.get(cid)
            if first is not None:
                raise RowError(f"same contact as row {first[0]} ({name!r}); kept the first")
            status, current = self._update(cid, values)
        else:
            cid = self._insert(acc_id, values)
            status, current = "new", None
        self.seen.put(cid, row.number)
        if ext:
            self.keys.put("x\x1f" + ext, cid, mail or None, ext)
        if mail:
            self.keys.put(f"e\x1f{acc_id}\x1f{mail}", cid, mail, ext or None)
        self.keys.fill([(f"n\x1f{acc_id}\x1f{person_key(name)}", cid, mail or None, ext or None)])
        if values["reports_to"] or values["reports_to_id"]:
            self.conn.execute(
                f"INSERT INTO temp.{_PENDING} VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    row.number,
                    cid,
                    acc_id,
                    values["reports_to_id"],
                    values["reports_to"],
                    status,
                    current,
                ),
            )

    def _match(self, acc_id: int, ext: str, mail: str, name: str) -> int | None:
        keys = self.keys
        if ext:
            hit = keys.get("x\x1f" + ext)
            if hit is not None:
                return int(hit[0])
        if mail:
            hit = keys.get(f"e\x1f{acc_id}\x1f{mail}")
            if hit is not None:
                return int(hit[0])
        hit = keys.get(f"n\x1f{acc_id}\x1f{person_key(name)}")
        if hit is None:
            return None
        _cid, their_mail, their_ext = hit
        # Same name, but another e-mail or another CRM record: a namesake.
        if mail and their_mail and their_mail != mail:
            return None
        if ext and their_ext and their_ext != ext:
            return None
        return int(hit[0])

    def _account(self, row: Row, name: str, ext: str) -> int:
        accounts = self.accounts
        acc_id = accounts.by_ext.get(ext) if ext else None
        if acc_id is not None:
            return acc_id
        if not name:
            raise RowError(
                f"column {self.header('account_id')!r}: no account with id {ext!r} in kamcoach "
                "(import the deals export first, or add the account name column)"
            )
        found = accounts.find(name)
        if found is not None:
            if found[1] != name and (name, found[1]) not in self.merged:
                self.merged.add((name, found[1]))
                self.plan.merged_accounts.append((name, found[1]))
            return found[0]
        acc_id = self.next_account
        self.next_account += 1
        self.plan.new_accounts += 1
        self.writer.insert(
            "accounts",
            {
                "id": acc_id,
                "name": name,
                "external_id": ext or None,
                "source": self.source,
                "created_at": self.now,
                "rep_id": None,
            },
        )
        accounts.add(name, acc_id)
        if ext:
            accounts.by_ext[ext] = acc_id
        return acc_id

    def _insert(self, acc_id: int, values: dict[str, Any]) -> int:
        cid = self.next_contact
        self.next_contact += 1
        self.plan.new_contacts += 1
        self.writer.insert(
            "contact_records",
            {
                "id": cid,
                "account_id": acc_id,
                "name": values["name"],
                "title": values["title"] or None,
                "email": values["email"] or None,
                "buying_role": values["buying_role"] or "unknown",
                "stance": values["stance"],
                "influence": values["influence"],
                "last_contact_at": values["last_contact_at"],
                "external_id": values["external_id"] or None,
                "source": self.source if values["external_id"] else None,
                "created_at": self.now,
                "updated_at": self.now,
            },
        )
        return cid

    def _update(self, cid: int, values: dict[str, Any]) -> tuple[str, int | None]:
        """Record the changes to a stored contact; returns its status and its current manager."""
        found = self.conn.execute(
            f"SELECT {', '.join(_CONTACT_COLUMNS)} FROM contacts WHERE id = ?", (cid,)
        ).fetchone()
        if found is None:
            # Created by an earlier row of this file under another identity (e-mail, then
            # CRM id): nothing stored to compare with yet.
            return "new", None
        stored = dict(zip(_CONTACT_COLUMNS, found, strict=True))
        changes = _changes(stored, values, self.source)
        if not changes:
            self.plan.unchanged += 1
            return "unchanged", stored["reports_to_id"]
        changes["updated_at"] = self.now
        self.plan.contact_updates += 1
        self.writer.update_row("contacts", cid, changes)
        return "updated", stored["reports_to_id"]

    # ------------------------------------------------------------ reports-to

    def reports_to(self) -> None:
        """Second pass: point each contact at its manager, now that every row is known."""
        assigned: dict[int, int] = {}
        pending = list(
            self.conn.execute(
                f"SELECT row, contact_id, account_id, ref_ext, ref_name, status, current "
                f"FROM temp.{_PENDING} ORDER BY row"
            )
        )
        for number, cid, acc_id, ref_ext, ref_name, status, current in pending:
            try:
                target = self._manager(acc_id, ref_ext, ref_name)
                if target == cid:
                    raise RowError(f"{self._ref(ref_ext, ref_name)} is the contact itself")
                loop = self._loop(cid, target, assigned)
                if loop:
                    raise RowError(
                        f"{self._ref(ref_ext, ref_name)} makes a reporting loop "
                        f"(contacts {' -> '.join(str(c) for c in loop)})"
                    )
            except RowError as exc:
                self.plan.bad_rows.add(number, f"{exc} (the contact is imported without it)")
                continue
            assigned[cid] = target
            if target == current:
                continue
            self.writer.update_row(
                "contacts", cid, {"reports_to_id": target, "updated_at": self.now}
            )
            if status == "unchanged":
                self.plan.unchanged -= 1
                self.plan.contact_updates += 1

    def _ref(self, ref_ext: str, ref_name: str) -> str:
        if ref_name:
            return f"column {self.header('reports_to')!r}: {ref_name!r}"
        return f"column {self.header('reports_to_id')!r}: {ref_ext!r}"

    def _manager(self, acc_id: int, ref_ext: str, ref_name: str) -> int:
        if ref_ext:
            hit = self.keys.get("x\x1f" + ref_ext)
            if hit is not None:
                return int(hit[0])
        if ref_name:
            hit = self.keys.get(f"n\x1f{acc_id}\x1f{person_key(ref_name)}")
            if hit is not None:
                return int(hit[0])
        raise RowError(
            f"{self._ref(ref_ext, ref_name)} is not a contact of this account, "
            "in the file or in kamcoach"
        )

    def _loop(self, cid: int, target: int, assigned: dict[int, int]) -> list[int]:
        """The chain from ``target`` back to ``cid`` when ``cid -> target`` closes a loop."""
        chain = [cid, target]
        current: int | None = target
        for _ in range(_MAX_CHAIN):
            assert current is not None
            nxt = assigned.get(current)
            if nxt is None:
                found = self.conn.execute(
                    "SELECT reports_to_id FROM contacts WHERE id = ?", (current,)
                ).fetchone()
                nxt = found[0] if found else None
            if nxt is None:
                return []
            chain.append(nxt)
            if nxt == cid:
                return chain
            current = nxt
        return []


def _next_id(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])


def _read(row: Row) -> dict[str, Any]:
    """One row's contact fields, checked; RowError names the column at fault."""
    get = row.get
    first, last = get("first_name"), get("last_name")
    name = get("name") or " ".join(p for p in (first, last) if p)
    if not name:
        raise RowError(f"no contact name ({_empty(row, ('name', 'first_name', 'last_name'))})")
    account, account_ext = get("account"), get("account_id")
    if not account and not account_ext:
        raise RowError(f"no account ({_empty(row, ('account', 'account_id'))})")
    email = get("email")
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise RowError(f"column {row.header('email')!r}: {email!r} is not an e-mail address")
    moment = row.moment("last_contact_at")
    return {
        "external_id": get("external_id"),
        "name": name,
        "title": get("title"),
        "email": email,
        "account": account,
        "account_ext": account_ext,
        "reports_to": get("reports_to"),
        "reports_to_id": get("reports_to_id"),
        "buying_role": _vocabulary(row, "buying_role", contact_values.buying_role),
        "stance": _vocabulary(row, "stance", contact_values.stance),
        "influence": _vocabulary(row, "influence", contact_values.influence),
        "last_contact_at": moment.date().isoformat() if moment else None,
    }


def _empty(row: Row, fields: tuple[str, ...]) -> str:
    """ "column 'X' is empty" / "columns 'X' and 'Y' are empty", for the mapped ``fields``."""
    names = [repr(row.header(f)) for f in fields if f in row.columns]
    if len(names) == 1:
        return f"column {names[0]} is empty"
    return f"columns {', '.join(names[:-1])} and {names[-1]} are empty"


def _vocabulary(row: Row, name: str, read: Callable[[str], str]) -> str | None:
    value = row.get(name)
    if not value:
        return None
    try:
        return read(value)
    except ValueError as exc:
        raise RowError(f"column {row.header(name)!r}: {exc}") from None


def _changes(stored: dict[str, Any], values: dict[str, Any], source: str) -> dict[str, Any]:
    """Fields the export changes; blank cells and "unknown" roles never erase what is known."""
    changes: dict[str, Any] = {}
    ext = values["external_id"]
    if ext and stored["external_id"] == ext and values["name"] != stored["name"]:
        changes["name"] = values["name"]  # the CRM record renamed the person
    if values["title"] and values["title"] != stored["title"]:
        changes["title"] = values["title"]
    email = values["email"]
    if email and _email_key(email) != _email_key(stored["email"] or ""):
        changes["email"] = email
    role = values["buying_role"]
    if role and role != "unknown" and role != stored["buying_role"]:
        changes["buying_role"] = role
    for key in ("stance", "influence"):
        if values[key] and values[key] != stored[key]:
            changes[key] = values[key]
    last = values["last_contact_at"]
    if last and (stored["last_contact_at"] is None or last > stored["last_contact_at"]):
        changes["last_contact_at"] = last
    if ext and stored["external_id"] is None:
        changes["external_id"], changes["source"] = ext, source
    return changes
