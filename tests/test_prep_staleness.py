"""`prep` and the checklist analyse every note that lacks a current analysis, whatever its date.

Issue 13 defect 2: staleness compared note dates with the last analyser
review's time, so a note imported after the review but dated before it (a CRM
activity of last month) was never analysed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from kamcoach.cli.main import main
from kamcoach.review.prep import analysis_is_stale
from kamcoach.storage import repo
from kamcoach.storage.db import open_db
from tests.test_review_support import add_deal

OLD_NOTE = "Budget approved: 80k EUR signed off by the CFO for Q1."


def _prep(db_path: Path) -> dict:
    result = CliRunner().invoke(main, ["--db", str(db_path), "prep", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_note_dated_before_the_last_review_is_still_analysed(db_path: Path) -> None:
    db = open_db(db_path)
    add_deal(db, 1, stage="qualification")
    repo.add_note(
        db, 1, "First call, they want fewer stock-outs.", created_at="2026-11-20T10:00:00"
    )
    db.close()
    _prep(db_path)  # analyses the first note and stores an analyser review
    db = open_db(db_path)
    assert not analysis_is_stale(db, 1)
    # An imported CRM activity dated a month ago, stored after the review.
    repo.add_note(db, 1, OLD_NOTE, created_at="2026-10-30T09:00:00")
    assert analysis_is_stale(db, 1)
    db.close()
    _prep(db_path)
    conn = sqlite3.connect(db_path)
    analysed = conn.execute(
        "SELECT COUNT(*) FROM notes n JOIN note_analyses a ON a.note_id = n.id"
    ).fetchone()[0]
    assert analysed == 2
    db = open_db(db_path)
    assert not analysis_is_stale(db, 1)
    review = repo.latest_review(db, 1, author_kind="analyser")
    assert review is not None and review.scores["economic_buyer"].score >= 1


def test_an_edited_note_or_another_playbook_or_analyser_needs_a_new_analysis(
    db_path: Path,
) -> None:
    db = open_db(db_path)
    add_deal(db, 1)
    note = repo.add_note(db, 1, "Pain: 3 days to close the books.")
    db.execute(
        "INSERT INTO note_analyses (note_id, playbook, content_hash, analyser_version, lang,"
        " result, analysed_at) SELECT id, 'meddic', content_hash, 'v1', 'en', '{}', created_at"
        " FROM notes"
    )
    db.execute(
        "INSERT INTO reviews (opportunity_id, created_at, author_kind, playbook, overall)"
        " VALUES (1, '2026-11-01T00:00:00', 'analyser', 'meddic', 10)"
    )
    assert not analysis_is_stale(db, 1)
    assert analysis_is_stale(db, 1, "v2")  # a newer analyser
    db.execute("UPDATE opportunities SET playbook = 'bant'")
    assert analysis_is_stale(db, 1)
    db.execute("UPDATE opportunities SET playbook = 'meddic'")
    db.execute(
        "UPDATE notes SET text = 'Pain: 5 days', content_hash = 'changed' WHERE id = ?", [note]
    )
    assert analysis_is_stale(db, 1)
