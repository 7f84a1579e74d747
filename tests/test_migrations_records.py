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


# ---------------------------------------------------------------- m010


def test_m010_makes_one_rep_per_owner_and_points_deals_and_accounts_at_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    conn, old = _old(path, "m010_reps")
    _accounts(old, 1, 2, 3)
    _deal(old, 1, "Alice Martin", 1)
    _deal(old, 2, "alice martin ", 1)  # same person, typed differently
    _deal(old, 3, "Bob", 1)
    _deal(old, 4, "Bob", 2)
    _deal(old, 5, "", 3)  # no owner: no rep
    conn.commit()
    old.close()
    db = open_db(path)
    reps = db.execute("SELECT id, name FROM reps ORDER BY id").fetchall()
    assert [name for _, name in reps] == ["Alice Martin", "Bob"]
    alice, bob = (rep_id for rep_id, _ in reps)
    deals = db.execute("SELECT id, rep_id, owner FROM opportunities ORDER BY id").fetchall()
    assert deals == [
        (1, alice, "Alice Martin"),
        (2, alice, "Alice Martin"),
        (3, bob, "Bob"),
        (4, bob, "Bob"),
        (5, None, ""),
    ]
    accounts = db.execute("SELECT id, rep_id FROM accounts ORDER BY id").fetchall()
    assert accounts == [(1, alice), (2, bob), (3, None)]


def test_m010_triggers_keep_the_owner_name_in_step_with_the_rep(db_path: Path) -> None:
    db = open_db(db_path)
    _accounts(db, 1)
    # A writer that only knows an owner's name still lands on a rep.
    _deal(db, 1, "Camille")
    _deal(db, 2, "camille")
    camille = db.execute("SELECT id FROM reps WHERE name = 'Camille'").fetchone()[0]
    assert db.execute("SELECT rep_id, owner FROM opportunities ORDER BY id").fetchall() == [
        (camille, "Camille"),
        (camille, "Camille"),
    ]
    # rep_id rules: given with a stale owner text, the owner becomes the rep's name.
    db["reps"].insert({"id": 50, "name": "Dana", "created_at": T0})
    _deal(db, 3, "whoever", rep_id=50)
    assert db.execute("SELECT owner FROM opportunities WHERE id = 3").fetchone()[0] == "Dana"
    # Re-assigning a deal renames its owner; renaming a rep renames every deal's owner.
    db.execute("UPDATE opportunities SET rep_id = 50 WHERE id = 1")
    db.execute("UPDATE reps SET name = 'Dana Leroy' WHERE id = 50")
    rows = db.execute("SELECT id, rep_id, owner FROM opportunities ORDER BY id").fetchall()
    assert rows == [(1, 50, "Dana Leroy"), (2, camille, "Camille"), (3, 50, "Dana Leroy")]
    # Setting the owner text alone moves the deal to that rep (created when new).
    db.execute("UPDATE opportunities SET owner = 'Eli' WHERE id = 2")
    eli = db.execute("SELECT id FROM reps WHERE name = 'Eli'").fetchone()[0]
    assert db.execute("SELECT rep_id FROM opportunities WHERE id = 2").fetchone()[0] == eli
    db.execute("UPDATE opportunities SET owner = '' WHERE id = 2")
    assert db.execute("SELECT rep_id, owner FROM opportunities WHERE id = 2").fetchone() == (
        None,
        "",
    )


def test_ensure_rep_finds_before_it_creates(db_path: Path) -> None:
    from kamcoach.errors import InputError, NotFoundError
    from kamcoach.records.reps import ensure_rep, get_rep

    db = open_db(db_path)
    first = ensure_rep(db, "  Hugo Petit ")
    assert ensure_rep(db, "hugo petit") == first
    assert get_rep(db, "HUGO PETIT")["name"] == "Hugo Petit"
    assert get_rep(db, first)["id"] == first
    with pytest.raises(InputError, match="empty"):
        ensure_rep(db, "  ")
    with pytest.raises(NotFoundError, match="no rep"):
        get_rep(db, "Nobody")
    assert db.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 1


# ---------------------------------------------------------------- m011


def _contact(db: Database, cid: int, role: str, left: int = 0) -> None:
    db["contacts"].insert(
        {
            "id": cid,
            "account_id": 1,
            "name": f"Person {cid}",
            "buying_role": role,
            "left_company": left,
            "created_at": T0,
        }
    )


def test_m011_settles_which_role_rules_and_keeps_every_link(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn, old = _old(path, "m011_contacts_one_model")
    _accounts(old, 1)
    _deal(old, 1, "Alice")
    _deal(old, 2, "Alice")
    _contact(old, 1, "champion")  # deal role equal to the contact's: redundant
    _contact(old, 2, "unknown")  # only the deals know: lifted onto the contact
    _contact(old, 3, "coach")  # not in the vocabulary any more
    _contact(old, 4, "user")  # a real per-deal override
    _contact(old, 5, "economic_buyer", left=1)
    old["opportunity_contacts"].insert_all(
        [
            {"opportunity_id": 1, "contact_id": 1, "role": "champion", "engaged": 1},
            {"opportunity_id": 1, "contact_id": 2, "role": "technical_evaluator", "engaged": 1},
            {"opportunity_id": 2, "contact_id": 2, "role": "technical_evaluator", "engaged": 1},
            {"opportunity_id": 1, "contact_id": 3, "role": "unknown", "engaged": 1},
            {"opportunity_id": 1, "contact_id": 4, "role": "blocker", "engaged": 1},
            {"opportunity_id": 2, "contact_id": 5, "role": "champion", "engaged": 0},
        ]
    )
    conn.commit()
    old.close()
    db = open_db(path)
    roles = db.execute("SELECT id, buying_role FROM contacts ORDER BY id").fetchall()
    assert roles == [
        (1, "champion"),
        (2, "technical_evaluator"),
        (3, "influencer"),
        (4, "user"),
        (5, "economic_buyer"),
    ]
    links = db.execute(
        "SELECT opportunity_id, contact_id, role, engaged FROM opportunity_contacts "
        "ORDER BY opportunity_id, contact_id"
    ).fetchall()
    assert links == [
        (1, 1, None, 1),
        (1, 2, None, 1),
        (1, 3, None, 1),
        (1, 4, "blocker", 1),
        (2, 2, None, 1),
        (2, 5, "champion", 0),
    ]
    # The contact who left was this deal's champion (its per-deal role).
    facts = db.execute(
        "SELECT opportunity_id, engaged, lost_champion FROM deal_facts ORDER BY 1"
    ).fetchall()
    assert facts == [(1, 4, None), (2, 1, "Person 5")]


def test_m011_triggers_use_the_role_in_force_and_refuse_words_outside_the_vocabulary(
    db_path: Path,
) -> None:
    db = open_db(db_path)
    _accounts(db, 1)
    _deal(db, 1, "Alice")
    _contact(db, 1, "champion")
    _contact(db, 2, "champion")
    db["opportunity_contacts"].insert({"opportunity_id": 1, "contact_id": 1})
    db["opportunity_contacts"].insert({"opportunity_id": 1, "contact_id": 2, "role": "user"})
    db.execute("UPDATE contacts SET left_company = 1 WHERE id IN (1, 2)")
    # Contact 2 is a champion elsewhere but only a user on this deal.
    assert db.execute("SELECT lost_champion FROM deal_facts").fetchone()[0] == "Person 1"
    for statement in (
        "UPDATE contacts SET stance = 'friendly' WHERE id = 1",
        "UPDATE contacts SET influence = 'huge' WHERE id = 1",
        "UPDATE contacts SET buying_role = 'coach' WHERE id = 1",
        "UPDATE opportunity_contacts SET role = 'unknown' WHERE contact_id = 2",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(statement)
    with pytest.raises(sqlite3.IntegrityError):
        _contact(db, 3, "decision maker")
    db.execute("UPDATE contacts SET stance = 'sceptic', influence = 'high' WHERE id = 1")
    assert db.execute("SELECT stance, influence FROM contacts WHERE id = 1").fetchone() == (
        "sceptic",
        "high",
    )
