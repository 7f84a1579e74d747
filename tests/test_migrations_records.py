"""The records migrations (m009-m015) keep every row and settle one model per concept.

Each test builds a database at the schema just before a migration, writes what
users had then, upgrades through ``open_db`` and checks the rows, the new rule
and the triggers that keep derived columns in step.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from kamcoach.storage.db import open_db
from kamcoach.storage.migrations import migrations

T0 = "2026-01-05T09:00:00"


def _old(path: Path, stop_before: str) -> tuple[sqlite3.Connection, Database]:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    db = Database(conn)
    migrations.apply(db, stop_before=stop_before)
    return conn, db


def _deal(db: Database, deal_id: int, owner: str, account_id: int = 1, **extra: object) -> None:
    row = {
        "id": deal_id,
        "account_id": account_id,
        "name": f"Deal {deal_id}",
        "amount": 1000.0 * deal_id,
        "stage": "proposal",
        "owner": owner,
        "created_at": T0,
        "stage_changed_at": T0,
    }
    row.update(extra)
    db["opportunities"].insert(row)


def _accounts(db: Database, *ids: int) -> None:
    for i in ids:
        db["accounts"].insert({"id": i, "name": f"Account {i}", "created_at": T0})


# ---------------------------------------------------------------- m009


def test_m009_keeps_history_rows_and_accepts_the_new_fields(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn, old = _old(path, "m009_history_fields")
    _accounts(old, 1)
    _deal(old, 1, "Alice")
    old["opportunity_history"].insert_all(
        [
            {
                "opportunity_id": 1,
                "changed_at": "2026-02-01T00:00:00",
                "field": "close_date",
                "old_value": "2026-03-01",
                "new_value": "2026-04-01",
                "source": "crm",
            },
            {
                "opportunity_id": 1,
                "changed_at": "2026-02-02T00:00:00",
                "field": "stage",
                "old_value": "discovery",
                "new_value": "proposal",
                "source": "crm",
            },
        ]
    )
    conn.commit()
    old.close()
    db = open_db(path)
    rows = db.execute(
        "SELECT id, field, old_value, new_value, source, author, reason "
        "FROM opportunity_history ORDER BY id"
    ).fetchall()
    assert rows == [
        (1, "close_date", "2026-03-01", "2026-04-01", "crm", None, None),
        (2, "stage", "discovery", "proposal", "crm", None, None),
    ]
    facts = db.execute("SELECT last_change_at, pushes FROM deal_facts").fetchone()
    assert facts == ("2026-02-02T00:00:00", 1)
    # An owner change is history, but not a sign of life for the stale/stuck flags.
    db["opportunity_history"].insert(
        {
            "opportunity_id": 1,
            "changed_at": "2026-03-01T00:00:00",
            "field": "owner",
            "old_value": "Alice",
            "new_value": "Bob",
            "author": "Mgr",
            "reason": "territory",
        }
    )
    assert db.execute("SELECT last_change_at FROM deal_facts").fetchone()[0] == (
        "2026-02-02T00:00:00"
    )
    db["opportunity_history"].insert(
        {
            "opportunity_id": 1,
            "changed_at": "2026-03-02T00:00:00",
            "field": "amount",
            "old_value": "1000",
            "new_value": "800",
        }
    )
    assert db.execute("SELECT last_change_at, cut_new FROM deal_facts").fetchone() == (
        "2026-03-02T00:00:00",
        "800",
    )
    with pytest.raises(sqlite3.IntegrityError):
        db["opportunity_history"].insert(
            {"opportunity_id": 1, "changed_at": T0, "field": "colour", "new_value": "red"}
        )
    assert "close_reason" in db["opportunities"].columns_dict
