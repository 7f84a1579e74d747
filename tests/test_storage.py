"""The store keeps the user's data: migrations, transactions, clear errors."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from kamcoach.domain.models import CriterionScore, Review
from kamcoach.errors import DatabaseError, InputError, NotFoundError
from kamcoach.storage import repo
from kamcoach.storage.db import latest_schema_version, open_db, schema_version
from kamcoach.storage.migrations import SCHEMA_VERSION_NAMES, migrations


def _seed(db: Database) -> int:
    db["accounts"].insert({"id": 1, "name": "Acme", "created_at": "2026-01-01T00:00:00"})
    db["opportunities"].insert(
        {
            "id": 10,
            "account_id": 1,
            "name": "Acme WMS",
            "amount": 50000,
            "stage": "proposal",
            "close_date": "2026-12-31",
            "owner": "Camille",
            "created_at": "2026-01-01T00:00:00",
            "stage_changed_at": "2026-01-01T00:00:00",
        }
    )
    db.table("notes").insert(
        {
            "id": 100,
            "opportunity_id": 10,
            "created_at": "2026-11-01T10:00:00",
            "text": "Budget frozen until next year, project on hold.",
            "content_hash": repo.content_hash("Budget frozen until next year, project on hold."),
        }
    )
    return 10


def test_new_database_is_migrated_with_wal_and_foreign_keys(db_path: Path) -> None:
    db = open_db(db_path)
    assert schema_version(db) == latest_schema_version() == len(SCHEMA_VERSION_NAMES)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {"accounts", "opportunities", "notes", "reviews", "review_scores"} <= set(
        db.table_names()
    )
    db.close()
    # Re-opening applies nothing twice.
    again = open_db(db_path)
    assert len(migrations.applied(again)) == len(SCHEMA_VERSION_NAMES)


@pytest.mark.parametrize("stop_index", range(1, len(SCHEMA_VERSION_NAMES)))
def test_upgrade_from_each_older_schema_keeps_data(db_path: Path, stop_index: int) -> None:
    conn = sqlite3.connect(db_path)
    old = Database(conn)
    migrations.apply(old, stop_before=SCHEMA_VERSION_NAMES[stop_index])
    _seed(old)
    conn.commit()
    old.close()
    db = open_db(db_path)
    assert schema_version(db) == latest_schema_version()
    assert repo.get_deal(db, 10)["name"] == "Acme WMS"
    assert [n["id"] for n in repo.deal_notes(db, 10)] == [100]
    # Indexes added by later migrations cover rows written before them.
    hits = db.execute("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'frozen'").fetchall()
    assert hits == [(100,)]


def test_upgrade_from_first_schema_keeps_data(db_path: Path) -> None:
    """Holds even while there is a single migration: data written at v1 survives re-open."""
    db = open_db(db_path)
    _seed(db)
    db.close()
    assert repo.get_deal(open_db(db_path), "acme wms")["id"] == 10


def test_failed_multi_row_write_leaves_database_unchanged(db: Database) -> None:
    deal = _seed(db)
    before = db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    review = Review(
        opportunity_id=deal,
        playbook="meddic",
        author_kind="manager",
        overall=50,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        scores={
            "metrics": CriterionScore("metrics", 2, "specific"),
            # score 7 violates the CHECK constraint: the second row fails.
            "champion": CriterionScore("champion", 7, "specific"),
        },
    )
    with pytest.raises(sqlite3.IntegrityError):
        repo.save_review(db, review)
    assert db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == before
    assert db.execute("SELECT COUNT(*) FROM review_scores").fetchone()[0] == 0


def test_update_deal_records_history_once(db: Database) -> None:
    deal = _seed(db)
    written = repo.update_deal(db, deal, {"close_date": "2027-01-31", "amount": 40000})
    assert {h["field"] for h in written} == {"close_date", "amount"}
    assert repo.update_deal(db, deal, {"close_date": "2027-01-31", "amount": 40000}) == []
    assert len(repo.deal_history(db, deal)) == 2


def test_update_deal_rejects_bad_values_without_writing(db: Database) -> None:
    deal = _seed(db)
    with pytest.raises(InputError, match="unknown stage"):
        repo.update_deal(db, deal, {"stage": "won", "amount": 1})
    assert repo.get_deal(db, deal)["amount"] == 50000
    assert repo.deal_history(db, deal) == []


def test_unknown_ids_are_clear_errors(db: Database) -> None:
    _seed(db)
    with pytest.raises(NotFoundError, match="no deal with id or name 999"):
        repo.get_deal(db, 999)
    with pytest.raises(NotFoundError, match="no account"):
        repo.get_account(db, "Nobody Inc")
    with pytest.raises(NotFoundError):
        repo.add_note(db, 999, "hello")


def test_refuses_files_that_are_not_kamcoach_databases(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00\xffnot a database at all" * 10)
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        open_db(junk)
    assert junk.read_bytes().startswith(b"\x00\xff")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="did not create"):
        open_db(other)
    assert Database(other).table_names() == ["invoices"]
