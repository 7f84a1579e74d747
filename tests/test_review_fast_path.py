"""The fast pipeline review equals a straightforward recomputation, before and after writes.

``review_pipeline`` reads per-deal facts stored on write (``deal_scores``,
m007; ``deal_facts``, m008), computes flag ids and totals in one lean pass
and builds a deal's row only when it is read. ``review_pipeline_reference``
recomputes every fact from notes, history, contacts and reviews and builds
every row in full. They must agree on every flag, reason, total and the
order, on the demo data, on a generated pipeline, and after each kind of
write the application makes (note added, review saved, deal updated by an
import, contact left, note and deal deleted).
"""

from __future__ import annotations

import importlib.util
import random
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import pytest
from sqlite_utils import Database
from test_review_support import TODAY, add_review, full_scores

from kamcoach.domain.models import CriterionScore, Review
from kamcoach.io.demo import load_demo
from kamcoach.io.importer import import_file
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.review.config import FLAG_IDS, load_flag_config
from kamcoach.review.pipeline import DealRows, review_pipeline, review_pipeline_reference
from kamcoach.review.pipeline_queries import aggregate_facts
from kamcoach.storage import repo
from kamcoach.storage.db import open_db
from kamcoach.storage.migrations import migrations

ROOT = Path(__file__).resolve().parent.parent
CRM = Path(__file__).resolve().parent / "data" / "crm"
FACT_COLUMNS = (
    "last_note_at, note_lang, last_change_at, pushes, push_from, push_to,"
    " cut_at, cut_old, cut_new, engaged, lost_champion"
)


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pipeline_review_bench", ROOT / "benchmarks" / "pipeline_review.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def stored_facts(db: Database) -> dict[int, tuple[object, ...]]:
    """deal_facts rows, with an all-NULL row read as no row (a deal with no facts)."""
    out = {}
    for row in db.execute(f"SELECT opportunity_id, {FACT_COLUMNS} FROM deal_facts"):
        if any(v is not None for v in row[1:]):
            out[row[0]] = tuple(row[1:])
    return out


def assert_same_review(db: Database, playbooks: PlaybookSet) -> None:
    """Fast review == recomputed review, for the whole pipeline and each filter."""
    assert stored_facts(db) == aggregate_facts(db, "1", [], True)
    config = load_flag_config(use_team=False)
    owners = [r[0] for r in db.execute("SELECT DISTINCT owner FROM opportunities LIMIT 3")]
    scopes: list[dict[str, str | None]] = [{}, {"stage": "proposal"}, {"stage": "closed_won"}]
    scopes += [{"owner": o} for o in owners]
    scopes += [{"flag": f} for f in FLAG_IDS]
    for scope in scopes:
        fast = review_pipeline(db, playbooks, config=config, today=TODAY, **scope)  # type: ignore[arg-type]
        slow = review_pipeline_reference(db, playbooks, config=config, today=TODAY, **scope)  # type: ignore[arg-type]
        assert fast.to_dict() == slow.to_dict(), scope
        # The first page alone (what the table and reports show) is the reference's head.
        assert [d.to_dict() for d in fast.deals[:7]] == [d.to_dict() for d in slow.deals[:7]]
        assert [d.id for d in fast.flagged] == [d.id for d in slow.flagged]


def _tui_sorted(rows: list[object], key: str) -> list[int]:
    """The orders the pipeline screen offered when it sorted built rows."""
    if key == "close":
        rows = sorted(rows, key=lambda d: (d.close_date is None, d.close_date or 0, d.id))  # type: ignore[attr-defined]
    elif key == "amount":
        rows = sorted(rows, key=lambda d: (-d.amount, d.id))  # type: ignore[attr-defined]
    elif key == "score":
        rows = sorted(rows, key=lambda d: (d.score is not None, d.score or 0, d.id))  # type: ignore[attr-defined]
    elif key == "owner":
        rows = sorted(rows, key=lambda d: (d.owner, d.id))  # type: ignore[attr-defined]
    return [d.id for d in rows]  # type: ignore[attr-defined]


def _random_reviews(db: Database, seed: int) -> None:
    rnd = random.Random(seed)
    deals = [r[0] for r in db.execute("SELECT id FROM opportunities ORDER BY id")]
    for deal_id in deals:
        if rnd.random() < 0.7:
            add_review(db, deal_id, {c: rnd.randint(0, 3) for c in full_scores()}, when=-9)
        if rnd.random() < 0.2:
            add_review(db, deal_id, {"champion": (rnd.randint(0, 3), "validated")}, kind="rep")


def test_demo_pipeline_fast_equals_recomputed(tmp_path: Path, playbooks: PlaybookSet) -> None:
    db = open_db(tmp_path / "demo.db")
    load_demo(db)
    assert_same_review(db, playbooks)
    _random_reviews(db, 5)
    assert_same_review(db, playbooks)
    report = review_pipeline(db, playbooks, today=TODAY)
    assert isinstance(report.deals, DealRows)
    built = list(report.deals)
    for key in ("close", "amount", "score", "owner", "flags"):
        assert report.deals.sorted_by(key).ids == _tui_sorted(list(built), key)
    account = built[0].account
    assert [d.id for d in report.deals.for_account(account)] == [
        d.id for d in built if d.account == account
    ]


def test_generated_pipeline_fast_equals_recomputed(tmp_path: Path, playbooks: PlaybookSet) -> None:
    path = tmp_path / "generated.db"
    _bench().build(path, 1500, seed=11)
    db = open_db(path)
    assert_same_review(db, playbooks)


def test_facts_follow_every_write(tmp_path: Path, playbooks: PlaybookSet) -> None:
    db = open_db(tmp_path / "writes.db")
    import_file(db, CRM / "salesforce_opportunities_en.csv")
    import_file(db, CRM / "salesforce_tasks_en.csv")
    assert db["opportunities"].count > 0
    _random_reviews(db, 8)
    assert_same_review(db, playbooks)
    deals = [r[0] for r in db.execute("SELECT id FROM opportunities ORDER BY id")]

    # A note added (the analyser's language then a rep's forced language).
    note_id = repo.add_note(
        db, deals[0], "Our champion has left the company.", created_at="2026-11-19T09:00:00"
    )
    db["note_analyses"].insert(
        {
            "note_id": note_id,
            "playbook": "meddic",
            "content_hash": "x",
            "analyser_version": "t",
            "lang": "fr",
            "result": "{}",
            "analysed_at": "2026-11-19T09:00:00",
        }
    )
    repo.add_note(
        db, deals[1], "Budget gelé jusqu'au T3.", lang="fr", created_at="2026-11-18T09:00:00"
    )
    assert_same_review(db, playbooks)

    # A review saved (a manager overriding one criterion).
    repo.save_review(
        db,
        Review(
            opportunity_id=deals[0],
            playbook="meddic",
            author_kind="manager",
            scores={"economic_buyer": CriterionScore("economic_buyer", 3, "validated", [])},
            overall=60.0,
            created_at=datetime(2026, 11, 19, 12, 0),
        ),
    )
    assert_same_review(db, playbooks)

    # Deals updated by an import (amounts, stages, close dates: history rows).
    import_file(db, CRM / "salesforce_opportunities_en_updated.csv")
    assert db["opportunity_history"].count > 0
    assert_same_review(db, playbooks)

    # A contact leaves; a link is dropped; a note and a deal are deleted.
    contact = db.execute("SELECT contact_id FROM opportunity_contacts LIMIT 1").fetchone()
    if contact:
        db.execute(
            "UPDATE contacts SET left_company = 1, buying_role = 'champion' WHERE id = ?", contact
        )
        db.conn.commit()
        assert_same_review(db, playbooks)
        db.execute("DELETE FROM opportunity_contacts WHERE contact_id = ?", contact)
        db.conn.commit()
    db.execute("DELETE FROM notes WHERE id = ?", [note_id])
    db.execute("DELETE FROM opportunities WHERE id = ?", [deals[-1]])
    db.conn.commit()
    assert_same_review(db, playbooks)
    assert deals[-1] not in stored_facts(db)


def test_rows_are_built_only_when_read(tmp_path: Path, playbooks: PlaybookSet) -> None:
    """A 1,500-deal review builds no row until one is read, and a page builds a page."""
    path = tmp_path / "generated.db"
    _bench().build(path, 1500, seed=3)
    db = open_db(path)
    built: list[int] = []
    report = review_pipeline(db, playbooks, today=TODAY)
    assert isinstance(report.deals, DealRows)
    original = report.deals._build
    report.deals._build = lambda facts: built.append(facts[0]) or original(facts)  # type: ignore[method-assign]
    assert len(report.deals) > 1000 and not built
    page = report.deals[:25]
    assert [d.id for d in page] == built and len(built) == 25
    assert report.total.deals == len(report.deals)


def test_older_database_upgrades_to_deal_facts_without_losing_anything(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    """A file from before m008 (demo data, reviews, history) upgrades: same rows, same review."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    old = Database(conn)
    migrations.apply(old, stop_before="m008_deal_facts")
    assert "deal_facts" not in old.table_names()
    load_demo(old)
    _random_reviews(old, 13)
    conn.commit()
    tables = [t for t in old.table_names() if not t.startswith(("notes_fts", "_sqlite"))]
    counts = {t: old[t].count for t in tables}
    # Later migrations may add columns; the columns that existed keep their values.
    columns = {t: ", ".join(f"[{c}]" for c in old[t].columns_dict) for t in tables}
    # m011 stores a deal's role only where it differs from the contact's: compare the
    # role in force (the deal's unless unknown, else the contact's), as readers see it.
    columns["opportunity_contacts"] = (
        "opportunity_id, contact_id, engaged, CASE WHEN role IS NULL OR role = 'unknown' "
        "THEN (SELECT buying_role FROM contacts c WHERE c.id = contact_id) ELSE role END"
    )
    dumps = {
        t: sorted(map(tuple, old.execute(f"SELECT {columns[t]} FROM [{t}]").fetchall()), key=repr)
        for t in tables
    }
    before = review_pipeline(old, playbooks, today=TODAY).to_dict()  # aggregating path
    old.close()
    db = open_db(path)
    assert "deal_facts" in db.table_names()
    for t in tables:
        assert db[t].count == counts[t]
        assert (
            sorted(map(tuple, db.execute(f"SELECT {columns[t]} FROM [{t}]").fetchall()), key=repr)
            == dumps[t]
        )
    assert review_pipeline(db, playbooks, today=TODAY).to_dict() == before
    assert_same_review(db, playbooks)
    assert date.fromisoformat(before["today"]) == TODAY
