"""The score in force per criterion: the Python rule (review.in_force) and the SQL
(``deal_scores`` triggers of m014, the bulk ``load_effective_scores``) agree on a
table of review sequences, and the scorecard's "why" names the right review."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from kamcoach.domain.models import CriterionScore, Review
from kamcoach.domain.scoring import status_for
from kamcoach.review.in_force import in_force
from kamcoach.review.pipeline import load_effective_scores
from kamcoach.storage import repo
from kamcoach.storage.db import open_db

BASE = datetime(2026, 11, 20, 10, 0, 0)

# A step: (author kind, author, day offset, {criterion: score or (score, verdict[, reason])}).
Step = tuple[str, str | None, int, dict[str, object]]

A, R, M = "analyser", "rep", "manager"

# name -> (steps, expected {criterion: (score, author kind of the review in force)})
CASES: dict[str, tuple[list[Step], dict[str, tuple[int, str]]]] = {
    "analyser only": (
        [(A, "kamcoach", -10, {"metrics": 1, "champion": 2})],
        {"metrics": (1, A), "champion": (2, A)},
    ),
    "only the latest analyser review counts": (
        [
            (A, "kamcoach", -10, {"metrics": 1, "champion": 2}),
            (A, "kamcoach", -5, {"metrics": 2}),
        ],
        {"metrics": (2, A)},
    ),
    "rep after analyser": (
        [
            (A, "kamcoach", -10, {"metrics": 1, "champion": 1}),
            (R, "Alice", -5, {"champion": 3}),
        ],
        {"metrics": (1, A), "champion": (3, R)},
    ),
    "analyser after rep does not replace the rep": (
        [
            (R, "Alice", -8, {"champion": 3}),
            (A, "kamcoach", -2, {"champion": 0, "metrics": 2}),
        ],
        {"champion": (3, R), "metrics": (2, A)},
    ),
    "manager then rep": (
        [
            (A, "kamcoach", -10, {"champion": 2}),
            (M, "J. Doe", -8, {"champion": (1, "corrected", "no access to the CFO")}),
            (R, "Alice", -5, {"champion": 3}),
        ],
        {"champion": (1, M)},
    ),
    "manager agreed then analyser changes": (
        [
            (A, "kamcoach", -10, {"metrics": 2}),
            (M, "J. Doe", -8, {"metrics": (2, "agreed")}),
            (A, "kamcoach", -3, {"metrics": 1}),
        ],
        {"metrics": (1, A)},
    ),
    "manager agreed then rep changes": (
        [
            (A, "kamcoach", -10, {"metrics": 2}),
            (M, "J. Doe", -8, {"metrics": (2, "agreed")}),
            (R, "Alice", -3, {"metrics": 3}),
        ],
        {"metrics": (3, R)},
    ),
    "two managers": (
        [
            (M, "J. Doe", -8, {"champion": (1, "corrected", "weak")}),
            (R, "Alice", -6, {"champion": 3}),
            (M, "K. Roe", -4, {"champion": (2, "corrected", "met him")}),
        ],
        {"champion": (2, M)},
    ),
    "corrected then agreed": (
        [
            (A, "kamcoach", -10, {"champion": 3}),
            (M, "J. Doe", -8, {"champion": (1, "corrected", "no access")}),
            (R, "Alice", -6, {"champion": 3}),
            (M, "J. Doe", -4, {"champion": (1, "agreed")}),
        ],
        {"champion": (1, M)},
    ),
    "a manager's plain override (no verdict) is a correction": (
        [
            (M, None, -8, {"metrics": 3}),
            (R, "Alice", -5, {"metrics": 1}),
        ],
        {"metrics": (3, M)},
    ),
    "agreement alone pins nothing": (
        [(M, "J. Doe", -8, {"metrics": (0, "agreed")})],
        {},
    ),
    "same second: the later id wins among reps": (
        [
            (R, "Alice", -5, {"metrics": 1}),
            (R, "Bob", -5, {"metrics": 2}),
        ],
        {"metrics": (2, R)},
    ),
}


def _review(deal_id: int, step: Step) -> Review:
    kind, author, offset, raw = step
    scores: dict[str, CriterionScore] = {}
    for cid, value in raw.items():
        if isinstance(value, tuple):
            score, verdict, *reason = value
            scores[cid] = CriterionScore(
                cid, int(score), status_for(int(score)), [], reason[0] if reason else None, verdict
            )
        else:
            scores[cid] = CriterionScore(cid, int(value), status_for(int(value)))  # type: ignore[call-overload]
    return Review(
        opportunity_id=deal_id,
        playbook="meddic",
        author_kind=kind,
        scores=scores,
        overall=50.0,
        created_at=BASE + timedelta(days=offset),
        author=author,
    )


@pytest.fixture
def sdb(tmp_path: Path) -> Database:
    db = open_db(tmp_path / "in_force.db")
    db["accounts"].insert({"id": 1, "name": "Acme", "created_at": "2026-01-01T00:00:00"})
    return db


def _stored(db: Database) -> dict[int, dict[str, tuple[int, str]]]:
    out: dict[int, dict[str, tuple[int, str]]] = {}
    for opp, packed in db.execute("SELECT opportunity_id, scores FROM deal_scores"):
        out[opp] = {}
        for item in packed.split("\x1e"):
            cid, score, status = item.split("\x1f")
            out[opp][cid] = (int(score), status)
    return out


def test_sql_and_python_agree_on_every_sequence(sdb: Database) -> None:
    for deal_id, (name, (steps, _expected)) in enumerate(CASES.items(), start=1):
        sdb["opportunities"].insert(
            {
                "id": deal_id,
                "account_id": 1,
                "name": name,
                "amount": 1000.0,
                "currency": "EUR",
                "stage": "proposal",
                "owner": "Alice",
                "playbook": "meddic",
                "created_at": "2026-01-01T00:00:00",
                "stage_changed_at": "2026-01-01T00:00:00",
            }
        )
        for step in steps:
            repo.save_review(sdb, _review(deal_id, step))
    stored = _stored(sdb)
    bulk = load_effective_scores(sdb)
    for deal_id, (name, (_steps, expected)) in enumerate(CASES.items(), start=1):
        found = in_force(repo.deal_reviews(sdb, deal_id))
        python = {cid: (f.score.score, f.score.status) for cid, f in found.items()}
        assert python == stored.get(deal_id, {}), name
        assert python == bulk.get(deal_id, {}), name
        assert {cid: (f.score.score, f.author_kind) for cid, f in found.items()} == expected, name
    # The pipeline review's other paths agree too: rebuilt from the reviews (the
    # reference review) and from a file without deal_scores (the aggregating fallback).
    from kamcoach.playbooks.loader import load_playbooks
    from kamcoach.review.pipeline import review_pipeline, review_pipeline_reference

    playbooks = load_playbooks()
    today = BASE.date()
    stored_report = review_pipeline(sdb, playbooks, today=today).to_dict()
    assert review_pipeline_reference(sdb, playbooks, today=today).to_dict() == stored_report
    sdb.execute("DROP TABLE deal_scores")
    assert review_pipeline(sdb, playbooks, today=today).to_dict() == stored_report


def test_python_rule_does_not_depend_on_the_order_given() -> None:
    for name, (steps, expected) in CASES.items():
        reviews = [_review(1, s) for s in steps]
        for i, r in enumerate(reviews, start=1):
            r.id = i
        got = in_force(list(reversed(reviews)))
        assert {c: (f.score.score, f.author_kind) for c, f in got.items()} == expected, name


def _why(steps: list[Step]) -> dict[str, str]:
    reviews = [_review(1, s) for s in steps]
    for i, r in enumerate(reviews, start=1):
        r.id = i
    return {cid: f.why() for cid, f in in_force(reviews).items()}


def test_why_names_the_manager_and_the_rep_score_waiting() -> None:
    why = _why(CASES["manager then rep"][0])["champion"]
    assert why == (
        "manager 1 (J. Doe, 2026-11-12, corrected: no access to the CFO) in force; "
        "rep scored 3 on 2026-11-15 after it — the manager's score stands until a manager "
        "reviews again"
    )


def test_why_says_who_agreed_and_keeps_the_waiting_rep() -> None:
    why = _why(CASES["corrected then agreed"][0])["champion"]
    assert why.startswith("manager 1 (J. Doe, 2026-11-12, corrected: no access) in force")
    assert "agreed by J. Doe on 2026-11-16" in why
    assert "rep scored 3 on 2026-11-14 after it" in why


def test_why_of_an_analyser_score_and_of_a_rep_over_a_newer_analysis() -> None:
    assert _why(CASES["analyser only"][0])["metrics"] == (
        "analyser 1 (2026-11-10, from the notes) in force"
    )
    why = _why(CASES["analyser after rep does not replace the rep"][0])["champion"]
    assert why == (
        "rep 3 (Alice, 2026-11-12) in force; analyser scored 0 on 2026-11-18 after it"
        " — a person's score stands over the notes"
    )
    # An agreement the analyser later moved away from is history, not a confirmation.
    why = _why(CASES["manager agreed then analyser changes"][0])["metrics"]
    assert why == "analyser 1 (2026-11-17, from the notes) in force"


def test_a_later_score_equal_to_the_one_in_force_is_not_waiting() -> None:
    steps: list[Step] = [
        (M, "J. Doe", -8, {"champion": (2, "corrected", "seen")}),
        (R, "Alice", -5, {"champion": 2}),
    ]
    assert _why(steps)["champion"] == "manager 2 (J. Doe, 2026-11-12, corrected: seen) in force"
