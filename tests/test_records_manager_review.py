"""records.manager_review: a manager's review stored whole (review, verdicts, forecast,
next step) or not at all, and what it does to the scores in force and the pipeline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from test_review_support import TODAY, add_deal, add_review, full_scores

from kamcoach.domain.models import CriterionScore, Review
from kamcoach.errors import InputError, NotFoundError
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.records.manager_review import (
    Correction,
    ManagerReviewInput,
    NextStep,
    latest_forecast,
    manager_reviews,
    save_manager_review,
)
from kamcoach.review.in_force import deal_in_force
from kamcoach.review.pipeline import review_pipeline, review_pipeline_reference
from kamcoach.storage import repo
from kamcoach.storage.db import open_db


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture
def mdb(tmp_path: Path) -> Database:
    db = open_db(tmp_path / "review.db")
    add_deal(db, 1, stage="proposal", name="Acme ERP")
    add_review(db, 1, {**full_scores(2), "champion": 3}, when=-10)
    add_deal(db, 2, stage="commit", name="Globex")
    add_review(db, 2, full_scores(3), when=-10)
    return db


def _counts(db: Database) -> tuple[int, int, int]:
    return (
        db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM review_scores").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM next_steps").fetchone()[0],
    )


def _rows(db: Database, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return list(db.execute(sql, params or []).fetchall())


def test_review_stores_forecast_verdicts_and_next_step(
    mdb: Database, playbooks: PlaybookSet
) -> None:
    entry = ManagerReviewInput(
        forecast="best_case",
        comment="  Strong pain, weak access  ",
        agree=["metrics", "economic_buyer"],
        corrections=[Correction("champion", 1, " no access to the CFO ")],
        next_step=NextStep("Meet the CFO", "Alice", "2026-12-04"),
        author="J. Doe",
    )
    rid = save_manager_review(
        mdb, "Acme ERP", playbooks, entry, created_at=datetime(2026, 11, 20, 9)
    )
    head = _rows(
        mdb,
        "SELECT author_kind, author, forecast, comment, stage, playbook FROM reviews WHERE id = ?",
        [rid],
    )
    assert head == [
        ("manager", "J. Doe", "best_case", "Strong pain, weak access", "proposal", "meddic")
    ]
    scores = _rows(
        mdb,
        "SELECT criterion, score, status, verdict, reason FROM review_scores "
        "WHERE review_id = ? ORDER BY criterion",
        [rid],
    )
    assert scores == [
        ("champion", 1, "mentioned", "corrected", "no access to the CFO"),
        ("economic_buyer", 2, "specific", "agreed", None),
        ("metrics", 2, "specific", "agreed", None),
    ]
    steps = _rows(
        mdb, "SELECT opportunity_id, what, who, due_date, source, review_id, set_by FROM next_steps"
    )
    assert steps == [(1, "Meet the CFO", "Alice", "2026-12-04", "review", rid, "J. Doe")]
    found = deal_in_force(mdb, 1)
    assert (found["champion"].score.score, found["champion"].author_kind) == (1, "manager")
    assert found["metrics"].author_kind == "analyser"  # agreeing pins nothing
    assert found["metrics"].confirmed_by is not None
    assert latest_forecast(mdb, 1) == ("best_case", "2026-11-20")
    assert [r.id for r in manager_reviews(mdb, 1)] == [rid]


def test_a_later_rep_score_waits_behind_the_correction(
    mdb: Database, playbooks: PlaybookSet
) -> None:
    save_manager_review(
        mdb,
        1,
        playbooks,
        ManagerReviewInput(corrections=[Correction("champion", 1, "no access")], author="J. Doe"),
        created_at=datetime(2026, 11, 18, 9),
    )
    repo.save_review(
        mdb,
        Review(
            opportunity_id=1,
            playbook="meddic",
            author_kind="rep",
            scores={"champion": CriterionScore("champion", 3, "validated")},
            overall=80.0,
            created_at=datetime(2026, 11, 19, 9),
            author="Alice",
        ),
    )
    found = deal_in_force(mdb, 1)["champion"]
    assert (found.score.score, found.author_kind) == (1, "manager")
    assert "rep scored 3 on 2026-11-19 after it" in found.why()
    stored = mdb.execute("SELECT scores FROM deal_scores WHERE opportunity_id = 1").fetchone()[0]
    assert "champion\x1f1\x1fmentioned" in stored  # the pipeline review reads the same
    # A manager who corrects again makes the rep's score the one in force.
    save_manager_review(
        mdb,
        1,
        playbooks,
        ManagerReviewInput(corrections=[Correction("champion", 3, "met the CFO")], author="K. Roe"),
        created_at=datetime(2026, 11, 20, 9),
    )
    found = deal_in_force(mdb, 1)["champion"]
    assert (found.score.score, found.review.author, found.waiting) == (3, "K. Roe", [])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (ManagerReviewInput(), "nothing to record"),
        (ManagerReviewInput(forecast="maybe"), "unknown forecast category 'maybe'"),
        (ManagerReviewInput(agree=["metrics", "budget"]), "unknown criterion 'budget' (allowed: "),
        (
            ManagerReviewInput(corrections=[Correction("champion", 1, "   ")]),
            "correcting 'champion' needs a reason",
        ),
        (
            ManagerReviewInput(corrections=[Correction("champion", 4, "why")]),
            "score 4 for 'champion' is not 0, 1, 2 or 3",
        ),
        (
            ManagerReviewInput(agree=["champion"], corrections=[Correction("champion", 1, "why")]),
            "criterion 'champion' given twice",
        ),
        (
            ManagerReviewInput(forecast="commit", next_step=NextStep("Call", due="next week")),
            "due date 'next week' is not YYYY-MM-DD",
        ),
        (ManagerReviewInput(next_step=NextStep("  ")), "the next step needs a what"),
    ],
)
def test_mistakes_write_nothing(
    mdb: Database, playbooks: PlaybookSet, entry: ManagerReviewInput, message: str
) -> None:
    before = _counts(mdb)
    with pytest.raises(InputError) as err:
        save_manager_review(mdb, 1, playbooks, entry)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert _counts(mdb) == before


def test_unknown_deal_is_not_found(mdb: Database, playbooks: PlaybookSet) -> None:
    with pytest.raises(NotFoundError):
        save_manager_review(mdb, 99, playbooks, ManagerReviewInput(forecast="commit"))


def test_a_failed_next_step_rolls_the_review_back(mdb: Database, playbooks: PlaybookSet) -> None:
    mdb.execute(
        "CREATE TRIGGER refuse_steps BEFORE INSERT ON next_steps "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    before = _counts(mdb)
    with pytest.raises(Exception, match="refused"):
        save_manager_review(
            mdb,
            1,
            playbooks,
            ManagerReviewInput(
                corrections=[Correction("champion", 0, "gone")], next_step=NextStep("Call")
            ),
        )
    assert _counts(mdb) == before
    assert deal_in_force(mdb, 1)["champion"].author_kind == "analyser"


def test_pipeline_shows_and_filters_the_latest_forecast(
    mdb: Database, playbooks: PlaybookSet
) -> None:
    save_manager_review(
        mdb, 1, playbooks, ManagerReviewInput(forecast="pipeline"), created_at=datetime(2026, 11, 1)
    )
    save_manager_review(
        mdb, 1, playbooks, ManagerReviewInput(forecast="commit"), created_at=datetime(2026, 11, 10)
    )
    # A later review without a forecast keeps the last one given.
    save_manager_review(
        mdb, 1, playbooks, ManagerReviewInput(comment="ok"), created_at=datetime(2026, 11, 15)
    )
    save_manager_review(
        mdb,
        2,
        playbooks,
        ManagerReviewInput(forecast="best_case"),
        created_at=datetime(2026, 11, 10),
    )
    report = review_pipeline(mdb, playbooks, today=TODAY)
    assert {d.id: d.forecast for d in report.deals} == {1: "commit", 2: "best_case"}
    commit = review_pipeline(mdb, playbooks, today=TODAY, forecast="commit")
    assert [d.id for d in commit.deals] == [1]
    assert commit.total.deals == 1 and commit.filters["forecast"] == "commit"
    reference = review_pipeline_reference(mdb, playbooks, today=TODAY, forecast="commit")
    assert reference.to_dict() == commit.to_dict()
    assert review_pipeline(mdb, playbooks, today=TODAY, forecast="omitted").total.deals == 0
    with pytest.raises(InputError, match="unknown forecast category"):
        review_pipeline(mdb, playbooks, today=TODAY, forecast="sure")
