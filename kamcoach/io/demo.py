"""Load the bundled demo pipeline into a database.

Demo dates are stored relative to the day of loading ("close in 30 days",
"note from 12 days ago") so the pipeline flags tell the same story whatever
the date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import today
from kamcoach.errors import InputError, KamcoachError
from kamcoach.io.jsonl import iter_jsonl
from kamcoach.paths import data_dir
from kamcoach.storage.repo import content_hash, has_user_data, set_meta
from kamcoach.storage.tx import write_transaction

TABLES_IN_DELETE_ORDER = (
    "review_scores",
    "reviews",
    "note_analyses",
    "opportunity_history",
    "notes",
    "opportunity_contacts",
    "opportunities",
    "contacts",
    "accounts",
)


class DemoRefused(KamcoachError):
    """The target database already holds the user's own data."""


def demo_folder() -> Path:
    return data_dir() / "demo"


def _day(base: date, offset: int | None) -> str | None:
    return None if offset is None else (base + timedelta(days=int(offset))).isoformat()


def _moment(base: date, days_ago: int, hour: int = 10) -> str:
    moment = datetime.combine(base - timedelta(days=int(days_ago)), time(hour, 0))
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _read(folder: Path, name: str) -> list[tuple[int, dict[str, Any]]]:
    return list(iter_jsonl(folder / f"{name}.jsonl"))


def _field(path: str, number: int, obj: dict[str, Any], key: str) -> Any:
    if key not in obj:
        raise InputError(f"{path}:{number}: missing key {key!r}")
    return obj[key]


def load_demo(
    db: Database,
    *,
    force: bool = False,
    folder: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Replace the database contents with the demo pipeline; returns row counts.

    Refuses (``DemoRefused``) when the database holds user data unless ``force``.
    Everything happens in one transaction: on any error nothing changes.
    """
    if has_user_data(db) and not force:
        raise DemoRefused(
            "this database already holds your own data; loading the demo would erase it. "
            "Use another --db, or add --force to replace it"
        )
    folder = folder or demo_folder()
    try:
        counts = _load(db, folder)
    except sqlite3.IntegrityError as exc:
        raise InputError(f"{folder}: demo data is inconsistent ({exc})") from None
    if progress:
        progress(f"loaded {counts['opportunities']} demo deals and {counts['notes']} notes")
    return counts


def _load(db: Database, folder: Path) -> dict[str, int]:
    base = today()
    counts: dict[str, int] = {}
    with write_transaction(db):
        for table in TABLES_IN_DELETE_ORDER:
            db.execute(f"DELETE FROM {table}")
        stamp = _moment(base, 0, 9)

        accounts = _read(folder, "accounts")
        db.table("accounts").insert_all(
            {
                "id": _field("accounts.jsonl", n, a, "id"),
                "name": _field("accounts.jsonl", n, a, "name"),
                "industry": a.get("industry"),
                "country": a.get("country"),
                "key_account": int(bool(a.get("key_account"))),
                "annual_value": a.get("annual_value"),
                "source": "demo",
                "created_at": _moment(base, 400),
            }
            for n, a in accounts
        )
        counts["accounts"] = len(accounts)

        contacts = _read(folder, "contacts")
        db.table("contacts").insert_all(
            {
                "id": _field("contacts.jsonl", n, c, "id"),
                "account_id": _field("contacts.jsonl", n, c, "account_id"),
                "name": _field("contacts.jsonl", n, c, "name"),
                "title": c.get("title"),
                "buying_role": c.get("buying_role") or "unknown",
                "email": c.get("email"),
                "left_company": int(bool(c.get("left_company"))),
                "created_at": _moment(base, 300),
            }
            for n, c in contacts
        )
        counts["contacts"] = len(contacts)
        roles = {c["id"]: c.get("buying_role") or "unknown" for _, c in contacts}
        # Before m011 a link's role was NOT NULL (older schemas, loaded by the upgrade tests).
        legacy = any(
            col.name == "role" and col.notnull for col in db.table("opportunity_contacts").columns
        )

        opportunities = _read(folder, "opportunities")
        links = []
        for n, o in opportunities:
            created = int(o.get("created_days_ago", 90))
            db.table("opportunities").insert(
                {
                    "id": _field("opportunities.jsonl", n, o, "id"),
                    "account_id": _field("opportunities.jsonl", n, o, "account_id"),
                    "name": _field("opportunities.jsonl", n, o, "name"),
                    "amount": float(_field("opportunities.jsonl", n, o, "amount")),
                    "currency": o.get("currency", "EUR"),
                    "stage": _field("opportunities.jsonl", n, o, "stage"),
                    "close_date": _day(base, o.get("close_in_days")),
                    "owner": _field("opportunities.jsonl", n, o, "owner"),
                    "type": o.get("type", "new"),
                    "playbook": o.get("playbook", "meddic"),
                    "created_at": _moment(base, created),
                    "stage_changed_at": _moment(base, int(o.get("stage_days_ago", created))),
                    "pause_reason": o.get("pause_reason"),
                    "paused_until": _day(base, o.get("paused_until_in_days")),
                    "source": "demo",
                }
            )
            for link in o.get("contacts", []):
                # A deal role is stored only when it differs from the contact's (m011).
                role = link.get("role")
                if legacy:
                    role = role or "unknown"
                elif role in ("unknown", roles.get(link["contact_id"])):
                    role = None
                links.append(
                    {
                        "opportunity_id": o["id"],
                        "contact_id": link["contact_id"],
                        "role": role,
                        "engaged": int(bool(link.get("engaged", True))),
                    }
                )
        db.table("opportunity_contacts").insert_all(links)
        counts["opportunities"] = len(opportunities)

        history = _read(folder, "history")
        rows = []
        for n, h in history:
            field = _field("history.jsonl", n, h, "field")
            old, new = h.get("old"), h.get("new")
            if field == "close_date":
                old, new = _day(base, old), _day(base, new)
            rows.append(
                {
                    "opportunity_id": _field("history.jsonl", n, h, "opportunity_id"),
                    "changed_at": _moment(base, int(_field("history.jsonl", n, h, "days_ago"))),
                    "field": field,
                    "old_value": None if old is None else str(old),
                    "new_value": None if new is None else str(new),
                    "source": "demo",
                }
            )
        db.table("opportunity_history").insert_all(rows)
        counts["history"] = len(rows)

        notes = _read(folder, "notes")
        db.table("notes").insert_all(
            {
                "id": _field("notes.jsonl", n, note, "id"),
                "opportunity_id": _field("notes.jsonl", n, note, "opportunity_id"),
                "created_at": _moment(base, int(note.get("days_ago", 0)), 11),
                "author": note.get("author"),
                "lang": note.get("lang"),
                "text": _field("notes.jsonl", n, note, "text"),
                "content_hash": content_hash(note["text"]),
                "source": "demo",
            }
            for n, note in notes
        )
        counts["notes"] = len(notes)
        set_meta(db, "contents", "demo")
        set_meta(db, "demo_loaded_at", stamp)
    return counts
