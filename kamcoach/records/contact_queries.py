"""Reading contacts: look one up by id or name, list them with their role on a deal.

Apart from the writes (:mod:`kamcoach.records.contacts`, which re-exports these)
so the screens and commands that only read stay small. The role on a deal is
always the one in force, ``COALESCE(oc.role, c.buying_role)`` (m011).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcoach.domain.ids import is_utf8, parse_id
from kamcoach.domain.models import Contact
from kamcoach.errors import InputError, NotFoundError
from kamcoach.storage import repo
from kamcoach.storage.repo import _one, _rows


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
        where = "" if account_id is None else f" at {account_name(db, account_id)}"
        raise NotFoundError(
            f"no contact with id or name {text!r}{where} (see `kamcoach contacts list`)"
        )
    return find_contact(db, int(rows[0]["id"]))


def as_contact(db: Database, ref: Contact | str | int) -> Contact:
    return ref if isinstance(ref, Contact) else find_contact(db, ref)


def account_name(db: Database, account_id: int) -> str:
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
        if deal is None:
            where.append("c.account_id = ?")
            params.append(account_id)
        else:  # an OR of two indexed lookups, not a scan of every contact
            where.append(
                "(c.account_id = ? OR c.id IN "
                "(SELECT contact_id FROM opportunity_contacts WHERE opportunity_id = ?))"
            )
            params += [account_id, params[0]]
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
    person = as_contact(db, contact)
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
