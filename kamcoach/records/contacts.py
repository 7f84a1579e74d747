"""Contacts, one model: add, edit, list, link to deals, mark as gone.

A contact is one person at one account. ``contacts.buying_role`` is their role
in the account's buying group and rules (m011); a deal link stores a role only
when it differs on that deal (``opportunity_contacts.role``, NULL = "as the
contact's"), so the effective role on a deal is ``COALESCE(oc.role,
c.buying_role)`` everywhere. The CLI (``kamcoach contacts``) and the TUI
contacts screen call these functions, so both refuse the same mistakes the same
way: unknown vocabulary, a manager from another account or a reporting cycle,
an implausible e-mail, a date that is not a date, and a second record of a
person already there (unless forced).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now
from kamcoach.domain.ids import is_utf8, parse_id
from kamcoach.domain.models import Contact
from kamcoach.errors import InputError, NotFoundError
from kamcoach.records import contact_checks as check
from kamcoach.storage import repo
from kamcoach.storage.repo import _one, _rows
from kamcoach.storage.tx import write_transaction

#: What ``edit_contact`` may change (``reports_to`` takes an id or a name).
EDITABLE = (
    "name",
    "title",
    "email",
    "buying_role",
    "stance",
    "influence",
    "reports_to",
    "last_contact_at",
    "left_company",
)
SOURCE = "user"
"""``contacts.source`` of a contact created by hand."""


class DuplicateContactError(InputError):
    """The account already has this person; ``existing_id`` says which record."""

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


# ---------------------------------------------------------------- reading


def contact_from_row(row: Mapping[str, Any]) -> Contact:
    last = row.get("last_contact_at")
    return Contact(
        id=int(row["id"]),
        account_id=int(row["account_id"]),
        name=str(row["name"]),
        title=row.get("title"),
        buying_role=row.get("buying_role") or "unknown",
        email=row.get("email"),
        left_company=bool(row.get("left_company")),
        reports_to_id=row.get("reports_to_id"),
        stance=row.get("stance"),
        influence=row.get("influence"),
        last_contact_at=date.fromisoformat(last) if last else None,
    )


def find_contact(db: Database, ref: str | int, *, account_id: int | None = None) -> Contact:
    """A contact by id or exact name (case-blind), within one account when given.

    Two people of that name: InputError naming their ids, as deals and accounts do.
    """
    scope, params = ("", []) if account_id is None else (" AND account_id = ?", [account_id])
    row_id = parse_id(ref)
    if row_id is not None:
        row = _one(db, f"SELECT * FROM contacts WHERE id = ?{scope}", [row_id, *params])
        if row:
            return contact_from_row(row)
    text = str(ref).strip()
    # Case-blind in Python: SQLite's lower() folds ASCII only ('ÉLODIE' != 'élodie' there).
    wanted = text.casefold()
    rows = (
        [
            r
            for r in _rows(
                db,
                "SELECT c.id, c.name, a.name AS account FROM contacts c"
                " JOIN accounts a ON a.id = c.account_id"
                f" WHERE true{scope.replace('account_id', 'c.account_id')} ORDER BY c.id",
                params,
            )
            if str(r["name"]).strip().casefold() == wanted
        ]
        if is_utf8(text)
        else []
    )
    if len(rows) > 1:
        ids = ", ".join(f"{r['id']} at {r['account']}" for r in rows)
        raise InputError(f"contact name {text!r} is ambiguous (ids {ids}); use the id")
    if not rows:
        where = "" if account_id is None else f" at {_account_name(db, account_id)}"
        raise NotFoundError(
            f"no contact with id or name {text!r}{where} (see `kamcoach contacts list`)"
        )
    return find_contact(db, int(rows[0]["id"]))


def _contact(db: Database, ref: Contact | str | int) -> Contact:
    return ref if isinstance(ref, Contact) else find_contact(db, ref)


def _account_name(db: Database, account_id: int) -> str:
    row = _one(db, "SELECT name FROM accounts WHERE id = ?", [account_id])
    return str(row["name"]) if row else f"account {account_id}"


_LIST_SQL = """
    SELECT c.id, c.name, c.title, c.email, c.account_id, a.name AS account,
           {role} AS role, {deal_role} AS deal_role, c.buying_role, c.stance, c.influence,
           c.reports_to_id, m.name AS reports_to, c.last_contact_at, c.left_company,
           {linked} AS linked, {engaged} AS engaged
    FROM contacts c
    JOIN accounts a ON a.id = c.account_id
    LEFT JOIN contacts m ON m.id = c.reports_to_id
    {join}
    {where}
    ORDER BY a.name, c.name COLLATE NOCASE, c.id
"""


def list_contacts(
    db: Database, *, account: str | int | None = None, deal: str | int | None = None
) -> list[dict[str, Any]]:
    """Contacts with their effective role (``role``), for an account, a deal, or all.

    With a deal, ``role`` is the role on that deal (``deal_role`` the override,
    None when the contact's own ``buying_role`` applies) and ``linked`` says
    whether the contact is on it: the deal alone lists its linked contacts, the
    account and the deal together list the account's people, linked or not
    (what the TUI's contacts screen shows).
    """
    where: list[str] = []
    params: list[Any] = []
    parts = {
        "role": "c.buying_role",
        "deal_role": "NULL",
        "linked": "NULL",
        "engaged": "NULL",
        "join": "",
    }
    if deal is not None:
        deal_id = repo.get_deal(db, deal)["id"]
        parts = {
            "role": "COALESCE(oc.role, c.buying_role)",
            "deal_role": "oc.role",
            "linked": "oc.contact_id IS NOT NULL",
            "engaged": "oc.engaged",
            "join": "LEFT JOIN opportunity_contacts oc "
            "ON oc.contact_id = c.id AND oc.opportunity_id = ?",
        }
        params.append(deal_id)
    if account is not None:
        account_id = repo.get_account(db, account)["id"]
        where.append("(c.account_id = ?" + (" OR oc.contact_id IS NOT NULL)" if deal else ")"))
        params.append(account_id)
    elif deal is not None:
        where.append("oc.contact_id IS NOT NULL")
    sql = _LIST_SQL.format(where=("WHERE " + " AND ".join(where)) if where else "", **parts)
    rows = _rows(db, sql, params)
    for row in rows:
        row["left_company"] = bool(row["left_company"])
        if deal is not None:
            row["linked"] = bool(row["linked"])
            row["engaged"] = None if row["engaged"] is None else bool(row["engaged"])
    return rows


def contact_details(db: Database, contact: Contact | str | int) -> dict[str, Any]:
    """One contact with its deals (effective role on each), its managers upward, its reports."""
    person = _contact(db, contact)
    (row,) = [r for r in list_contacts(db, account=person.account_id) if r["id"] == person.id]
    deals = _rows(
        db,
        """
        SELECT o.id, o.name, o.stage, COALESCE(oc.role, c.buying_role) AS role,
               oc.role AS deal_role, oc.engaged
        FROM opportunity_contacts oc
        JOIN opportunities o ON o.id = oc.opportunity_id
        JOIN contacts c ON c.id = oc.contact_id
        WHERE oc.contact_id = ? ORDER BY o.close_date IS NULL, o.close_date, o.id
        """,
        [person.id],
    )
    for d in deals:
        d["engaged"] = bool(d["engaged"])
    chain: list[dict[str, Any]] = []
    seen = {person.id}
    manager = person.reports_to_id
    while manager is not None and manager not in seen:  # a legacy loop ends the walk
        seen.add(manager)
        up = _one(db, "SELECT id, name, title, reports_to_id FROM contacts WHERE id = ?", [manager])
        if up is None:
            break
        chain.append({"id": up["id"], "name": up["name"], "title": up["title"]})
        manager = up["reports_to_id"]
    reports = _rows(
        db,
        "SELECT id, name, title FROM contacts WHERE reports_to_id = ? ORDER BY name, id",
        [person.id],
    )
    return {"contact": row, "deals": deals, "reports_to_chain": chain, "reports": reports}


# ---------------------------------------------------------------- checks


def _resolve_manager(db: Database, ref: object, account_id: int) -> int | None:
    if ref is None or not str(ref).strip():
        return None
    if isinstance(ref, Contact):
        ref = ref.id
    try:
        return find_contact(db, str(ref), account_id=account_id).id
    except NotFoundError:
        raise InputError(
            f"reports-to {str(ref)!r}: no contact of that id or name at "
            f"{_account_name(db, account_id)} (a manager works at the same account)"
        ) from None


def _check_no_cycle(db: Database, contact: Contact, manager_id: int | None) -> None:
    """Refuse a reports-to that would make the contact their own manager, at any depth."""
    if manager_id is None:
        return
    if manager_id == contact.id:
        raise InputError(f"{contact.name} (id {contact.id}) cannot report to themself")
    path: list[str] = []
    current: int | None = manager_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        row = _one(db, "SELECT id, name, reports_to_id FROM contacts WHERE id = ?", [current])
        if row is None:
            return
        path.append(f"{row['name']} (id {row['id']})")
        if row["reports_to_id"] == contact.id:
            raise InputError(
                f"{contact.name} (id {contact.id}) cannot report to {path[0]}: "
                f"{' -> '.join(path)} already report(s) up to {contact.name}, "
                "which would make a reporting cycle"
            )
        current = row["reports_to_id"]


def _check_duplicate(
    db: Database,
    account_id: int,
    name: str,
    email: str | None,
    *,
    exclude_id: int | None = None,
) -> None:
    """A person already at this account (same name accent/case-blind, or same e-mail)."""
    key = check.same_person_key(name)
    mail = email.casefold() if email else None
    for row in _rows(
        db, "SELECT id, name, email FROM contacts WHERE account_id = ? ORDER BY id", [account_id]
    ):
        if row["id"] == exclude_id:
            continue
        same = (
            "name"
            if check.same_person_key(str(row["name"])) == key
            else "e-mail"
            if mail and row["email"] and str(row["email"]).casefold() == mail
            else None
        )
        if same:
            raise DuplicateContactError(
                f"{_account_name(db, account_id)} already has {row['name']} "
                f"(contact id {row['id']}, same {same})",
                int(row["id"]),
            )


# ---------------------------------------------------------------- writing


def add_contact(
    db: Database,
    account: str | int,
    name: str,
    *,
    title: str | None = None,
    email: str | None = None,
    buying_role: str | None = None,
    stance: str | None = None,
    influence: str | None = None,
    reports_to: str | int | None = None,
    last_contact_at: str | date | None = None,
    deal: str | int | None = None,
    deal_role: str | None = None,
    force: bool = False,
) -> Contact:
    """Create a contact (and link it to ``deal`` when given) in one transaction."""
    values = {
        "name": check.clean_text(name, "contact name", required=True),
        "title": check.clean_text(title, "title"),
        "email": check.email(email),
        "buying_role": check.buying_role(buying_role),
        "stance": check.stance(stance),
        "influence": check.influence(influence),
        "last_contact_at": check.contact_date(last_contact_at),
    }
    role_on_deal = check.deal_role(deal_role)
    if role_on_deal is not None and deal is None:
        raise InputError("a deal role needs a deal to apply to (--deal)")
    with write_transaction(db):
        account_id = int(repo.get_account(db, account)["id"])
        deal_row = repo.get_deal(db, deal) if deal is not None else None
        manager_id = _resolve_manager(db, reports_to, account_id)
        if not force:
            _check_duplicate(db, account_id, values["name"] or "", values["email"])
        stamp = iso_now()
        table = db.table("contacts")
        table.insert(
            {
                **values,
                "account_id": account_id,
                "reports_to_id": manager_id,
                "left_company": 0,
                "source": SOURCE,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        contact = find_contact(db, int(table.last_pk or 0))
        if deal_row is not None:
            link_contact(db, deal_row["id"], contact, role=role_on_deal)
        repo.mark_user_data(db)
    return contact


def edit_contact(
    db: Database,
    contact: Contact | str | int,
    changes: Mapping[str, Any],
    *,
    force: bool = False,
) -> Contact:
    """Change some of a contact's values (None or "" clears an optional one).

    A deal override equal to the new buying role is cleared with it: a deal
    stores a role only while it differs from the contact's.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InputError(f"cannot edit {', '.join(unknown)} (editable: {', '.join(EDITABLE)})")
    cleaners = {
        "name": lambda v: check.clean_text(v, "contact name", required=True),
        "title": lambda v: check.clean_text(v, "title"),
        "email": check.email,
        "buying_role": check.buying_role,
        "stance": check.stance,
        "influence": check.influence,
        "last_contact_at": check.contact_date,
        "left_company": lambda v: int(bool(v)),
    }
    values: dict[str, Any] = {k: cleaners[k](v) for k, v in changes.items() if k in cleaners}
    with write_transaction(db):
        person = find_contact(db, contact.id if isinstance(contact, Contact) else contact)
        if "reports_to" in changes:
            values["reports_to_id"] = _resolve_manager(db, changes["reports_to"], person.account_id)
            _check_no_cycle(db, person, values["reports_to_id"])
        current = _one(db, "SELECT * FROM contacts WHERE id = ?", [person.id]) or {}
        updates = {k: v for k, v in values.items() if current.get(k) != v}
        if not updates:
            return person
        if not force and ("name" in updates or "email" in updates):
            _check_duplicate(
                db,
                person.account_id,
                values.get("name") or person.name,
                values.get("email", person.email),
                exclude_id=person.id,
            )
        db.table("contacts").update(person.id, {**updates, "updated_at": iso_now()})
        if "buying_role" in updates:
            db.execute(
                "UPDATE opportunity_contacts SET role = NULL WHERE contact_id = ? AND role = ?",
                [person.id, updates["buying_role"]],
            )
        repo.mark_user_data(db)
        return find_contact(db, person.id)


def mark_left(db: Database, contact: Contact | str | int, *, left: bool = True) -> Contact:
    """Record that a contact left the company (or came back): their links stay, as history.

    A champion who left is what the ``champion_lost`` flag reports.
    """
    return edit_contact(db, contact, {"left_company": left})


def link_contact(
    db: Database,
    deal: str | int,
    contact: Contact | str | int,
    role: str | None = None,
    engaged: bool | None = True,
) -> dict[str, Any]:
    """Put a contact on a deal, or change their role or engagement there.

    ``role`` None means "as the contact's buying role" and is stored as NULL;
    a role equal to the contact's is stored as NULL too, so changing the
    contact's role later changes it on the deal. ``engaged`` None keeps an
    existing link's engagement (a new link is engaged).
    """
    role_on_deal = check.deal_role(role)
    with write_transaction(db):
        deal_row = repo.get_deal(db, deal)
        person = find_contact(db, contact.id if isinstance(contact, Contact) else contact)
        if person.account_id != deal_row["account_id"]:
            raise InputError(
                f"{person.name} (contact id {person.id}) works at "
                f"{_account_name(db, person.account_id)}, not at {deal_row['account']} "
                f"(deal {deal_row['id']})"
            )
        stored = None if role_on_deal == person.buying_role else role_on_deal
        key = [deal_row["id"], person.id]
        link = _one(
            db,
            "SELECT role, engaged FROM opportunity_contacts "
            "WHERE opportunity_id = ? AND contact_id = ?",
            key,
        )
        if link is None:
            db.execute(
                "INSERT INTO opportunity_contacts (opportunity_id, contact_id, role, engaged) "
                "VALUES (?, ?, ?, ?)",
                [*key, stored, int(engaged is not False)],
            )
        else:
            keep = int(link["engaged"]) if engaged is None else int(engaged)
            if (link["role"], int(link["engaged"])) != (stored, keep):
                db.execute(
                    "UPDATE opportunity_contacts SET role = ?, engaged = ? "
                    "WHERE opportunity_id = ? AND contact_id = ?",
                    [stored, keep, *key],
                )
        repo.mark_user_data(db)
    return {
        "deal_id": deal_row["id"],
        "contact_id": person.id,
        "deal_role": stored,
        "role": stored or person.buying_role,
    }


def unlink_contact(db: Database, deal: str | int, contact: Contact | str | int) -> None:
    """Take a contact off a deal (the contact stays at the account)."""
    with write_transaction(db):
        deal_row = repo.get_deal(db, deal)
        person = find_contact(db, contact.id if isinstance(contact, Contact) else contact)
        cursor = db.execute(
            "DELETE FROM opportunity_contacts WHERE opportunity_id = ? AND contact_id = ?",
            [deal_row["id"], person.id],
        )
        if not cursor.rowcount:
            raise InputError(
                f"{person.name} (contact id {person.id}) is not on deal {deal_row['id']} "
                f"{deal_row['name']}"
            )
        repo.mark_user_data(db)
