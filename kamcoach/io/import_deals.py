"""One streaming pass over a deals (opportunities) export: resolve, compare, write.

Identity rules, chosen so that re-importing the same file writes nothing:
- a deal is the same when (CRM, CRM id) match, else when (account, name) match;
- the same deal twice in one file is a bad row ("same deal as row N");
- a contact is the same when its normalised name matches within the account.

Changes are computed against the deal as it is read in this pass; when the
pass writes, it runs inside the write transaction, so the history's old
values are the values being replaced, even when another import committed in
between (issue 11.7).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_datetime, iso_now
from kamcoach.io.import_accounts import Accounts, person_key
from kamcoach.io.import_index import TempIndex
from kamcoach.io.import_plan import ImportPlan, Row, RowError
from kamcoach.io.import_writer import ImportWriter
from kamcoach.io.mapping import CrmMapping, normalise
from kamcoach.io.values import parse_amount
from kamcoach.storage.repo import TRACKED_FIELDS

_DEAL_COLUMNS = (
    "id, account_id, name, stage, amount, currency, close_date, owner, type, external_id, source"
)
_DEAL_KEYS = tuple(c.strip() for c in _DEAL_COLUMNS.split(","))


def _next_id(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])


def _name_key(account_id: int, name: str) -> str:
    return f"n\x1f{account_id}\x1f{normalise(name)}"


def plan_deals(db: Database, plan: ImportPlan, rows: Iterator[Row], writer: ImportWriter) -> None:
    """Read every row, count what changes into ``plan`` and hand the writes to ``writer``."""
    conn = db.conn
    crm = plan.crm
    source = crm.name
    accounts = Accounts(db, source)
    next_account = _next_id(db, "accounts")
    next_contact = _next_id(db, "contacts")
    next_deal = first_new_deal = _next_id(db, "opportunities")
    # key -> (deal id, its CRM id, row that created it): "n..." (account, name) for
    # every deal, "x..." CRM ids of deals this file creates (others are in the index).
    keys = TempIndex(conn, "kc_import_deal_keys")
    keys.fill(
        (_name_key(acc, name), deal_id, ext, None)
        for deal_id, acc, name, ext in conn.execute(
            "SELECT id, account_id, name, external_id FROM opportunities ORDER BY id"
        )
    )
    claimed = TempIndex(conn, "kc_import_claimed")  # existing deal id -> row that matched it
    contacts = TempIndex(conn, "kc_import_contacts")  # account + person key -> contact id
    contacts.fill(
        (f"{acc}\x1f{person_key(name)}", cid, None, None)
        for cid, acc, name in conn.execute("SELECT id, account_id, name FROM contacts ORDER BY id")
    )
    by_ext_sql = f"SELECT {_DEAL_COLUMNS} FROM opportunities WHERE source = ? AND external_id = ?"
    by_id_sql = f"SELECT {_DEAL_COLUMNS} FROM opportunities WHERE id = ?"
    # The contact and whether the deal already has it, in one statement.
    contact_sql = (
        "SELECT c.a, EXISTS (SELECT 1 FROM main.opportunity_contacts l "
        "WHERE l.opportunity_id = ? AND l.contact_id = c.a) "
        "FROM temp.kc_import_contacts c WHERE c.key = ?"
    )
    # CRM ids are looked up in the database only when it holds deals of this CRM
    # (those this file creates are in ``keys``).
    stored_ext = (
        conn.execute("SELECT 1 FROM opportunities WHERE source = ? LIMIT 1", (source,)).fetchone()
        is not None
    )
    now = iso_now()
    bad = plan.bad_rows

    for row in rows:
        number = row.number
        try:
            values = _deal_values(row, crm)
        except RowError as exc:
            bad.add(number, str(exc))
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
            plan.new_accounts += 1
            writer.insert(
                "accounts",
                {
                    "id": acc_id,
                    "name": account_name,
                    "external_id": account_ext or None,
                    "source": source,
                    "created_at": now,
                },
            )
            accounts.add(account_name, acc_id)
            if account_ext:
                accounts.by_ext[account_ext] = acc_id
        # -- deal identity
        ext = values.pop("external_id")
        ext_key = "x\x1f" + ext if ext else ""
        name_key = _name_key(acc_id, values["name"])
        existing: dict[str, Any] | None = None
        deal_id: int | None = None
        origin: int | None = None  # the row that created the deal, when this file did
        if ext and stored_ext:
            found_row = conn.execute(by_ext_sql, (source, ext)).fetchone()
            if found_row is not None:
                existing = dict(zip(_DEAL_KEYS, found_row, strict=True))
                deal_id = existing["id"]
        if deal_id is None:
            hits = keys.get_two(ext_key, name_key)
            hit = hits.get(ext_key) if ext else None
            if hit is None:
                hit = hits.get(name_key)
                # Same name, but another CRM record: a different deal.
                if hit is not None and ext and hit[1] not in (None, ext):
                    hit = None
            if hit is not None:
                deal_id, origin = hit[0], hit[2]
        if deal_id is not None:
            if deal_id >= first_new_deal:  # an earlier row of this file created it
                if origin is None:
                    first = keys.get(ext_key)
                    origin = first[2] if first else None
                bad.add(number, f"same deal as row {origin} ({values['name']!r}); kept the first")
                continue
            if not claimed.claim(deal_id, number):
                claim = claimed.get(deal_id)
                where = claim[0] if claim else None
                bad.add(number, f"same deal as row {where} ({values['name']!r}); kept the first")
                continue
            if existing is None:
                found_row = conn.execute(by_id_sql, (deal_id,)).fetchone()
                existing = dict(zip(_DEAL_KEYS, found_row, strict=True))
        contact = values.pop("contact")
        deal_changed = False
        if existing is None:
            deal_id = next_deal
            next_deal += 1
            created = values.pop("created_at") or now
            plan.new_deals += 1
            writer.insert(
                "opportunities",
                {
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
                },
            )
            if ext:
                keys.add_two((name_key, deal_id, ext, number), (ext_key, deal_id, ext, number))
            else:
                keys.add(name_key, deal_id, None, number)
        else:
            assert deal_id is not None
            values.pop("created_at")
            changes = _deal_changes(existing, values, ext)
            if changes:
                for key in TRACKED_FIELDS:
                    if key in changes:
                        plan.history += 1
                        writer.insert(
                            "opportunity_history",
                            {
                                "opportunity_id": deal_id,
                                "changed_at": now,
                                "field": key,
                                "old_value": _text(existing[key]),
                                "new_value": _text(changes[key]),
                                "source": source,
                            },
                        )
                if "stage" in changes:
                    changes["stage_changed_at"] = now
                plan.updates += 1
                writer.update_deal(deal_id, changes)
                deal_changed = True
        # -- contact
        wrote_contact = False
        if contact["name"]:
            ckey = f"{acc_id}\x1f{person_key(contact['name'])}"
            found = conn.execute(contact_sql, (deal_id, ckey)).fetchone()
            if found is None:
                cid = next_contact
                next_contact += 1
                contacts.put(ckey, cid)
                plan.new_contacts += 1
                writer.insert(
                    "contacts",
                    {
                        "id": cid,
                        "account_id": acc_id,
                        "name": contact["name"],
                        "title": contact["title"] or None,
                        "email": contact["email"] or None,
                        "created_at": now,
                    },
                )
                new_link = True
            else:
                cid, new_link = found[0], not found[1]
            if new_link:
                plan.links += 1
                writer.link(deal_id, cid)
                wrote_contact = True
        if existing is not None and not deal_changed:
            if wrote_contact:
                plan.contact_only += 1
            else:
                plan.unchanged += 1
    for index in (keys, claimed, contacts):
        index.drop()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _deal_values(row: Row, crm: CrmMapping) -> dict[str, Any]:
    name = row.required("name", "deal name")
    account = row.required("account", "account name")
    stage = None
    status = row.get("status")
    if status:
        stage = crm.map_status(status)
    if stage is None:
        raw_stage = row.get("stage")
        if not raw_stage:
            raise RowError(f"no stage (column {row.header('stage')!r} is empty)")
        try:
            stage = crm.map_stage(raw_stage)
        except ValueError as exc:
            raise RowError(str(exc)) from None
    amount = currency = None
    raw_amount = row.get("amount")
    if raw_amount:
        try:
            parsed = parse_amount(raw_amount)
        except ValueError as exc:
            raise RowError(f"column {row.header('amount')!r}: {exc}") from None
        if parsed is not None:
            amount, currency = parsed
            if amount < 0:
                raise RowError(
                    f"column {row.header('amount')!r}: amount {raw_amount!r} is negative"
                )
    raw_currency = row.get("currency").upper()
    if raw_currency:
        if len(raw_currency) != 3 or not raw_currency.isalpha():
            raise RowError(
                f"column {row.header('currency')!r}: {raw_currency!r} is not a currency code"
            )
        if currency and currency != raw_currency:
            raise RowError(
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
