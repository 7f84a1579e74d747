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
from kamcoach.domain.models import Contact
from kamcoach.errors import InputError, NotFoundError
from kamcoach.records import contact_checks as check
from kamcoach.records.contact_queries import (
    account_name,
    contact_details,
    contact_from_row,
    find_contact,
    list_contacts,
)
from kamcoach.storage import repo
from kamcoach.storage.repo import _one, _rows
from kamcoach.storage.tx import write_transaction

__all__ = [
    "EDITABLE",
    "Contact",
    "DuplicateContactError",
    "add_contact",
    "contact_details",
    "contact_from_row",
    "edit_contact",
    "find_contact",
    "link_contact",
    "list_contacts",
    "mark_left",
    "unlink_contact",
]

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
            f"{account_name(db, account_id)} (a manager works at the same account)"
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
            chain = " -> ".join([*path, f"{contact.name} (id {contact.id})"])
            raise InputError(
                f"{contact.name} (id {contact.id}) cannot report to {path[0]}, who already "
                f"reports up to them ({chain}): that would be a reporting cycle"
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
                f"{account_name(db, account_id)} already has {row['name']} "
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
    with write_transaction(db):
        person = find_contact(db, contact.id if isinstance(contact, Contact) else contact)
        current = _one(db, "SELECT * FROM contacts WHERE id = ?", [person.id]) or {}
        # Only what changes is checked: an odd e-mail imported long ago does not stop
        # anyone from recording a stance (it is checked when someone edits it).
        values: dict[str, Any] = {
            k: cleaners[k](v)
            for k, v in changes.items()
            if k in cleaners and not _as_stored(current.get(k), v)
        }
        if "reports_to" in changes:
            values["reports_to_id"] = _resolve_manager(db, changes["reports_to"], person.account_id)
            _check_no_cycle(db, person, values["reports_to_id"])
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


def _as_stored(stored: object, given: object) -> bool:
    """``given`` says what is stored already (blank = nothing, spaces around ignored)."""
    if isinstance(given, bool) or isinstance(stored, int):
        return stored == int(bool(given))
    return ("" if stored is None else str(stored)) == ("" if given is None else str(given).strip())


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
                f"{account_name(db, person.account_id)}, not at {deal_row['account']} "
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
