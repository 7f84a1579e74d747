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


# ---------------------------------------------------------------- m012, m013, m015


def _note(db: Database, note_id: int, deal_id: int = 1) -> None:
    db["notes"].insert(
        {
            "id": note_id,
            "opportunity_id": deal_id,
            "created_at": T0,
            "text": "x",
            "content_hash": "h",
        }
    )


def test_m012_proposals_are_idempotent_per_note_and_go_with_their_note(db_path: Path) -> None:
    db = open_db(db_path)
    _accounts(db, 1)
    _deal(db, 1, "Alice")
    _note(db, 10)
    insert = (
        "INSERT OR IGNORE INTO proposals (note_id, opportunity_id, account_id, kind, name, value,"
        " quote, created_at) VALUES (10, 1, 1, ?, ?, ?, 'Marc left.', ?)"
    )
    db.execute(insert, ["departure", "Marc Roy", None, T0])
    db.execute("UPDATE proposals SET status = 'dismissed'")
    db.execute(insert, ["departure", "marc roy", None, T0])  # the same note read again
    db.execute(insert, ["role", "Marc Roy", "champion", T0])
    rows = db.execute("SELECT kind, status FROM proposals ORDER BY id").fetchall()
    assert rows == [("departure", "dismissed"), ("role", "open")]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(insert.replace("OR IGNORE ", ""), ["rumour", "X", None, T0])
    db.execute("DELETE FROM notes WHERE id = 10")
    assert db.execute("SELECT COUNT(*) FROM proposals").fetchone()[0] == 0


def test_m013_next_steps_need_a_what_and_a_known_source(db_path: Path) -> None:
    db = open_db(db_path)
    _accounts(db, 1)
    _deal(db, 1, "Alice")
    row = {"opportunity_id": 1, "what": "Send the pricing", "set_at": T0, "source": "deal"}
    db["next_steps"].insert(row)
    for bad in ({"what": "  "}, {"source": "email"}):
        with pytest.raises(sqlite3.IntegrityError):
            db["next_steps"].insert({**row, **bad})
    db.execute("DELETE FROM opportunities WHERE id = 1")
    assert db.execute("SELECT COUNT(*) FROM next_steps").fetchone()[0] == 0


def test_m015_notes_keep_their_text_and_gain_a_title(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn, old = _old(path, "m015_note_titles")
    _accounts(old, 1)
    _deal(old, 1, "Alice")
    _note(old, 10)
    conn.commit()
    old.close()
    db = open_db(path)
    assert db.execute("SELECT text, title FROM notes").fetchone() == ("x", None)


# ---------------------------------------------------------------- m014


def _review(db: Database, rid: int, kind: str, when: str, score: int, verdict: str | None) -> None:
    row = {
        "id": rid,
        "opportunity_id": 1,
        "created_at": when,
        "author_kind": kind,
        "playbook": "meddic",
        "overall": 0,
    }
    db["reviews"].insert(row)
    scores = {"review_id": rid, "criterion": "metrics", "score": score, "status": "mentioned"}
    if verdict is not None:
        scores["verdict"] = verdict
    db["review_scores"].insert(scores)


def _in_force(db: Database) -> str:
    return str(db.execute("SELECT scores FROM deal_scores WHERE opportunity_id = 1").fetchone()[0])


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        # (kind, day, score, verdict) in the order written; the score in force after all.
        ([("analyser", 1, 1, None), ("analyser", 2, 2, None)], 2),
        ([("analyser", 1, 1, None), ("rep", 2, 3, None)], 3),
        ([("rep", 1, 3, None), ("analyser", 2, 1, None)], 3),
        ([("manager", 1, 1, "corrected"), ("rep", 2, 3, None)], 1),
        ([("manager", 1, 1, None), ("rep", 2, 3, None)], 1),  # written before m014
        ([("rep", 1, 2, None), ("manager", 2, 2, "agreed"), ("analyser", 3, 3, None)], 2),
        ([("analyser", 1, 2, None), ("manager", 2, 2, "agreed"), ("analyser", 3, 3, None)], 3),
        ([("manager", 1, 1, "corrected"), ("manager", 2, 2, "corrected")], 2),
        ([("manager", 1, 1, "corrected"), ("manager", 2, 1, "agreed"), ("rep", 3, 3, None)], 1),
    ],
)
def test_m014_a_later_rep_score_never_replaces_a_managers_correction(
    db_path: Path, sequence: list[tuple[str, int, int, str | None]], expected: int
) -> None:
    db = open_db(db_path)
    _accounts(db, 1)
    _deal(db, 1, "Alice")
    for rid, (kind, day, score, verdict) in enumerate(sequence, start=1):
        _review(db, rid, kind, f"2026-02-0{day}T10:00:00", score, verdict)
    assert _in_force(db) == f"metrics\x1f{expected}\x1fmentioned"


def test_m014_back_fills_the_scores_in_force_of_older_databases(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn, old = _old(path, "m014_manager_review")
    _accounts(old, 1)
    _deal(old, 1, "Alice")
    for rid, kind, day, score in ((1, "analyser", 1, 1), (2, "manager", 2, 0), (3, "rep", 3, 3)):
        old["reviews"].insert(
            {
                "id": rid,
                "opportunity_id": 1,
                "created_at": f"2026-02-0{day}T10:00:00",
                "author_kind": kind,
                "playbook": "meddic",
                "overall": 0,
            }
        )
        old["review_scores"].insert(
            {"review_id": rid, "criterion": "metrics", "score": score, "status": "mentioned"}
        )
    conn.commit()
    assert old.execute("SELECT scores FROM deal_scores").fetchone()[0].split("\x1f")[1] == "3"
    old.close()
    db = open_db(path)
    assert _in_force(db) == "metrics\x1f0\x1fmentioned"
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE reviews SET forecast = 'maybe' WHERE id = 2")
    db.execute("UPDATE reviews SET forecast = 'best_case' WHERE id = 2")
