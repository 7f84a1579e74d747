"""Each pipeline flag rule, both ways, on tiny databases built per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database
from test_review_support import (
    TODAY,
    add_contact,
    add_deal,
    add_history,
    add_note,
    add_review,
    day,
    full_scores,
    moment,
)

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.review.pipeline import PipelineReport, review_pipeline
from kamcoach.storage.db import open_db


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture
def tdb(tmp_path: Path) -> Database:
    return open_db(tmp_path / "t.db")


def run(db: Database, playbooks: PlaybookSet, **kw: object) -> PipelineReport:
    return review_pipeline(db, playbooks, today=TODAY, **kw)  # type: ignore[arg-type]


def flags_of(report: PipelineReport, deal_id: int) -> dict[str, str]:
    deal = next(d for d in report.deals if d.id == deal_id)
    return {f.id: f.reason for f in deal.flags}


def clean_deal(db: Database, deal_id: int, **fields: object) -> int:
    """A deal that passes every rule: fully scored, two engaged contacts, recent note."""
    add_deal(db, deal_id, **fields)
    add_review(db, deal_id, full_scores(3))
    add_note(db, deal_id, "Weekly call, all good.", when=-2)
    add_contact(db, deal_id, deal_id * 10 + 1)
    add_contact(db, deal_id, deal_id * 10 + 2)
    return deal_id


def test_clean_deal_has_no_flag(tdb: Database, playbooks: PlaybookSet) -> None:
    clean_deal(tdb, 1, stage="commit", amount=500000)
    report = run(tdb, playbooks)
    assert flags_of(report, 1) == {}
    assert report.deals[0].gate_passed
    assert report.total.qualified == 500000


def test_stage_ahead_names_criteria_and_minimum(tdb: Database, playbooks: PlaybookSet) -> None:
    clean_deal(tdb, 1, stage="negotiation")
    add_review(tdb, 1, {**full_scores(3), "decision_process": 1}, when=0)
    clean_deal(tdb, 2, stage="discovery")
    add_review(tdb, 2, full_scores(0), when=0)
    report = run(tdb, playbooks)
    assert "Decision Process 1/2" in flags_of(report, 1)["stage_ahead"]
    assert "stage_ahead" not in flags_of(report, 2)  # discovery has no gate


def test_unanalysed_deal_fails_gate_and_says_so(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1, stage="qualification")
    add_note(tdb, 1, "first call", when=-1)
    report = run(tdb, playbooks)
    deal = report.deals[0]
    assert deal.score is None and deal.scores["metrics"] is None
    assert flags_of(report, 1)["stage_ahead"].startswith("not analysed")
    assert not deal.gate_passed


def test_human_override_wins_over_later_analyser(tdb: Database, playbooks: PlaybookSet) -> None:
    clean_deal(tdb, 1, stage="proposal")
    add_review(tdb, 1, {"economic_buyer": 3}, kind="manager", when=-5)
    add_review(tdb, 1, {**full_scores(3), "economic_buyer": (0, "gap")}, when=-1)
    report = run(tdb, playbooks)
    assert "no_power" not in flags_of(report, 1)
    assert report.deals[0].scores["economic_buyer"] == 3


@pytest.mark.parametrize(
    "stage,score,fires",
    [
        ("proposal", (0, "gap"), True),
        ("proposal", (0, "missing"), True),
        ("negotiation", (0, "missing"), True),
        ("proposal", (1, "mentioned"), False),
        ("qualification", (0, "gap"), False),
    ],
)
def test_no_power(
    tdb: Database, playbooks: PlaybookSet, stage: str, score: tuple[int, str], fires: bool
) -> None:
    clean_deal(tdb, 1, stage=stage)
    add_review(tdb, 1, {**full_scores(3), "economic_buyer": score}, when=0)
    assert ("no_power" in flags_of(run(tdb, playbooks), 1)) is fires


@pytest.mark.parametrize(
    "stage,score,fires",
    [
        ("qualification", (0, "gap"), True),
        ("commit", (0, "missing"), True),
        ("qualification", (1, "mentioned"), False),
        ("discovery", (0, "gap"), False),
    ],
)
def test_no_champion(
    tdb: Database, playbooks: PlaybookSet, stage: str, score: tuple[int, str], fires: bool
) -> None:
    clean_deal(tdb, 1, stage=stage)
    add_review(tdb, 1, {**full_scores(3), "champion": score}, when=0)
    assert ("no_champion" in flags_of(run(tdb, playbooks), 1)) is fires


@pytest.mark.parametrize(
    "stage,score,fires",
    [
        ("proposal", 1, True),
        ("commit", 0, True),
        ("proposal", 2, False),
        ("qualification", 0, False),
    ],
)
def test_no_metrics(
    tdb: Database, playbooks: PlaybookSet, stage: str, score: int, fires: bool
) -> None:
    clean_deal(tdb, 1, stage=stage)
    add_review(tdb, 1, {**full_scores(3), "metrics": score}, when=0)
    assert ("no_metrics" in flags_of(run(tdb, playbooks), 1)) is fires


def test_bant_deal_has_no_power_or_champion_rule(tdb: Database, playbooks: PlaybookSet) -> None:
    clean_deal(tdb, 1, stage="proposal", playbook="bant")
    add_review(tdb, 1, {"budget": 3, "authority": 3, "need": 3, "timeline": 3}, when=0)
    assert flags_of(run(tdb, playbooks), 1) == {}


def test_single_threaded(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1, amount=150000)
    add_contact(tdb, 1, 11)
    add_contact(tdb, 1, 12, engaged=False)
    add_deal(tdb, 2, amount=150000)
    add_contact(tdb, 2, 21)
    add_contact(tdb, 2, 22)
    add_deal(tdb, 3, amount=150000)
    add_contact(tdb, 3, 31)
    add_contact(tdb, 3, 32, left=True)  # left the company: not engaged any more
    add_deal(tdb, 4, amount=99000)
    add_contact(tdb, 4, 41)
    report = run(tdb, playbooks)
    assert "1 engaged contact on 150,000 EUR" in flags_of(report, 1)["single_threaded"]
    assert "single_threaded" not in flags_of(report, 2)
    assert "single_threaded" in flags_of(report, 3)
    assert "single_threaded" not in flags_of(report, 4)


def test_stale_uses_newest_note_or_change_and_stage_threshold(
    tdb: Database, playbooks: PlaybookSet
) -> None:
    old = {"created_at": moment(-100), "stage_changed_at": moment(-25)}
    add_deal(tdb, 1, stage="proposal", **old)
    add_note(tdb, 1, "old", when=-25)
    add_deal(tdb, 2, stage="proposal", **old)
    add_note(tdb, 2, "old", when=-25)
    add_history(tdb, 2, "amount", "1", "2", when=-3)  # a recent change is activity
    add_deal(tdb, 3, stage="discovery", **old)  # discovery allows 30 days
    add_note(tdb, 3, "old", when=-25)
    add_deal(tdb, 4, stage="proposal", **old)
    add_note(tdb, 4, "recent", when=-10)
    report = run(tdb, playbooks)
    assert "no activity for 25 days" in flags_of(report, 1)["stale"]
    assert "stale" not in flags_of(report, 2)
    assert "stale" not in flags_of(report, 3)
    assert "stale" not in flags_of(report, 4)


def test_stuck_per_stage(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1, stage="proposal", stage_changed_at=moment(-61))
    add_deal(tdb, 2, stage="proposal", stage_changed_at=moment(-59))
    add_deal(tdb, 3, stage="commit", stage_changed_at=moment(-31))
    for i in (1, 2, 3):
        add_note(tdb, i, "recent", when=-1)
    report = run(tdb, playbooks)
    assert "in proposal for 61 days" in flags_of(report, 1)["stuck"]
    assert "stuck" not in flags_of(report, 2)
    assert "stuck" in flags_of(report, 3)


def test_pause_suppresses_stale_and_stuck_until_its_date(
    tdb: Database, playbooks: PlaybookSet
) -> None:
    quiet = {"created_at": moment(-200), "stage_changed_at": moment(-200)}
    add_deal(tdb, 1, pause_reason="audit", paused_until=day(10), **quiet)
    add_deal(tdb, 2, pause_reason="audit", paused_until=day(-1), **quiet)
    add_deal(tdb, 3, pause_reason=None, paused_until=day(10), **quiet)
    report = run(tdb, playbooks)
    assert not {"stale", "stuck"} & set(flags_of(report, 1))
    assert {"stale", "stuck"} <= set(flags_of(report, 2))
    assert {"stale", "stuck"} <= set(flags_of(report, 3))


def test_overdue(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1, close_date=day(-1))
    add_deal(tdb, 2, close_date=day(0))
    add_deal(tdb, 3, close_date=None)
    report = run(tdb, playbooks)
    assert flags_of(report, 1)["overdue"] == f"close date {day(-1)} passed 1 days ago"
    assert "overdue" not in flags_of(report, 2)
    assert "overdue" not in flags_of(report, 3)


def test_pushed_needs_two_later_moves(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1)
    add_history(tdb, 1, "close_date", day(0), day(10))
    add_history(tdb, 1, "close_date", day(10), day(30))
    add_deal(tdb, 2)
    add_history(tdb, 2, "close_date", day(0), day(30))
    add_history(tdb, 2, "close_date", day(40), day(30))  # pulled in: not a push
    report = run(tdb, playbooks)
    assert "pushed 2 times" in flags_of(report, 1)["pushed"]
    assert "pushed" not in flags_of(report, 2)


def test_shrunk(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1)
    add_history(tdb, 1, "amount", "80000", "50000")
    add_deal(tdb, 2)
    add_history(tdb, 2, "amount", "40000", "50000")
    report = run(tdb, playbooks)
    assert "cut from 80,000 to 50,000" in flags_of(report, 1)["shrunk"]
    assert "shrunk" not in flags_of(report, 2)


@pytest.mark.parametrize(
    "text,fires",
    [
        ("Sadly Paul has left the company last week.", True),
        ("Mauvaise nouvelle : Paul a quitté la société.", True),
        ("Paul a quitte la societe hier", True),
        ("Paul a quitté l’entreprise", True),
        ("Bad news: our champion left.", True),
        ("Paul left for lunch; the company is fine.", False),
        ("Paul has not left the company.", False),
        ("Need to find out if Paul is leaving the company.", False),
        ("Rachel Stone left the company.", False),  # not the deal's champion
    ],
)
def test_champion_lost_from_notes(
    tdb: Database, playbooks: PlaybookSet, text: str, fires: bool
) -> None:
    """A note saying the champion left raises a departure proposal, and the flag quotes it.

    The people extractor reads the note when it is analysed (no phrase list);
    until the rep decides, the flag says it is not confirmed yet.
    """
    from kamcoach.review.deal_analysis import analyze_deal
    from kamcoach.storage import repo

    add_deal(tdb, 1)
    tdb["contacts"].insert(
        {
            "id": 11,
            "account_id": 1,
            "name": "Paul Vasseur",
            "buying_role": "champion",
            "created_at": moment(-300),
        }
    )
    tdb["opportunity_contacts"].insert({"opportunity_id": 1, "contact_id": 11, "engaged": 1})
    repo.add_note(tdb, 1, text, created_at=moment(-1))
    analyze_deal(tdb, 1, playbooks)
    departures = tdb.execute(
        "SELECT COUNT(*) FROM proposals WHERE kind = 'departure' AND status = 'open'"
    ).fetchone()[0]
    reason = flags_of(run(tdb, playbooks), 1).get("champion_lost")
    assert (reason is not None) is fires
    if fires:
        assert departures == 1
        assert "not confirmed yet" in reason and text.strip() in reason


def test_champion_lost_from_contact(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1)
    add_contact(tdb, 1, 11, role="champion", left=True)
    add_deal(tdb, 2)
    add_contact(tdb, 2, 21, role="user", left=True)
    report = run(tdb, playbooks)
    assert flags_of(report, 1)["champion_lost"] == "champion Contact 11 has left the company"
    assert "champion_lost" not in flags_of(report, 2)


@pytest.mark.parametrize(
    "text,fires",
    [
        ("Daniel: budget frozen until next year.", True),
        ("Annonce d'un gel des budgets par la DG.", True),
        ("Projet mis en attente jusqu'à nouvel ordre", True),
        ("They said a competitor is preferred by the COO.", True),
        ("The project is ON HOLD until Q3", True),
        ("Please hold the date; until then, no budget talk.", False),
        ("Rachel prefers us over the incumbent.", False),
        ("No competitive risk, just paperwork.", False),
    ],
)
def test_red_flag_phrases(tdb: Database, playbooks: PlaybookSet, text: str, fires: bool) -> None:
    add_deal(tdb, 1)
    add_note(tdb, 1, text)
    assert ("red_flag" in flags_of(run(tdb, playbooks), 1)) is fires


def test_closed_deals_get_no_flags_and_no_totals(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1, stage="closed_lost", close_date=day(-50), created_at=moment(-300))
    add_note(tdb, 1, "budget frozen", when=-200)
    assert run(tdb, playbooks).deals == []
    report = run(tdb, playbooks, stage="closed_lost")
    assert report.deals[0].flags == []


def test_order_totals_and_filters(tdb: Database, playbooks: PlaybookSet) -> None:
    clean_deal(tdb, 1, stage="commit", amount=100000, close_date=day(5), owner="Alice")
    clean_deal(tdb, 2, stage="proposal", amount=200000, close_date=day(40), owner="Bob")
    clean_deal(tdb, 3, stage="proposal", amount=300000, close_date=day(-2), owner="Bob")
    clean_deal(tdb, 4, stage="proposal", amount=50000, close_date=day(20), owner="Bob")
    add_review(tdb, 4, {**full_scores(3), "metrics": 0}, when=0)  # no_metrics, gate fails
    report = run(tdb, playbooks)
    assert [d.id for d in report.deals] == [3, 4, 1, 2]  # flagged first, soonest close
    total = report.total
    assert total.pipeline == 650000
    assert total.flagged == 350000
    assert total.share_flagged == pytest.approx(350000 / 650000)
    assert total.qualified == 600000
    assert total.weighted == pytest.approx(100000 * 0.8 + 550000 * 0.4)
    assert report.by_owner["Bob"].flagged_deals == 2
    assert report.by_stage["proposal"].deals == 3
    only = run(tdb, playbooks, owner="bob", flag="no_metrics")
    assert [d.id for d in only.deals] == [4]
    assert only.total.deals == 3  # totals cover the owner, not just the flag
    assert report.flag_counts["overdue"] == 1


def test_next_question_for_most_important_failing_criterion(
    tdb: Database, playbooks: PlaybookSet
) -> None:
    clean_deal(tdb, 1, stage="proposal")
    add_review(tdb, 1, {**full_scores(3), "economic_buyer": 0, "metrics": 1}, when=0)
    add_note(tdb, 1, "Point hebdo", when=0, lang="fr")
    deal = run(tdb, playbooks).deals[0]
    assert deal.next_question is not None
    assert deal.next_question.criterion == "economic_buyer"  # weight 1.5 beats metrics 1.0
    # One English, one French note: a tie goes to English, as on the deal screen.
    assert deal.next_question.lang == "en"
    add_note(tdb, 1, "Appel avec le client", when=-1, lang="fr")
    deal = run(tdb, playbooks).deals[0]
    assert deal.next_question is not None and deal.next_question.lang == "fr"  # most notes
    expected = playbooks.criteria["economic_buyer"].questions[0]
    assert deal.next_question.text == expected.text.fr


def test_next_question_language_falls_back_on_the_detected_one(
    tdb: Database, playbooks: PlaybookSet
) -> None:
    """Notes the rep gave no language for count in the language the analyser detected."""
    clean_deal(tdb, 1, stage="proposal")  # one English note
    add_review(tdb, 1, {**full_scores(3), "economic_buyer": 0}, when=0)
    for when, text in ((-1, "Le DAF valide le budget"), (0, "Pas encore de date")):
        note_id = (
            tdb["notes"]
            .insert(
                {
                    "opportunity_id": 1,
                    "created_at": moment(when),
                    "text": text,
                    "lang": None,
                    "content_hash": text,
                }
            )
            .last_pk
        )
        tdb["note_analyses"].insert(
            {
                "note_id": note_id,
                "playbook": "meddic",
                "content_hash": text,
                "analyser_version": "test",
                "lang": "fr",
                "result": "{}",
                "analysed_at": moment(when),
            }
        )
    deal = run(tdb, playbooks).deals[0]
    assert deal.next_question is not None and deal.next_question.lang == "fr"


def test_unknown_filters_are_user_errors(tdb: Database, playbooks: PlaybookSet) -> None:
    from kamcoach.errors import InputError

    with pytest.raises(InputError, match="unknown flag 'nope'"):
        run(tdb, playbooks, flag="nope")
    with pytest.raises(InputError, match="unknown stage"):
        run(tdb, playbooks, stage="won")


def test_note_phrase_index_follows_note_edits(tdb: Database, playbooks: PlaybookSet) -> None:
    add_deal(tdb, 1)
    add_note(tdb, 1, "Budget frozen for now.")
    assert "red_flag" in flags_of(run(tdb, playbooks), 1)
    tdb.execute("UPDATE notes SET text = 'Budget approved.' WHERE opportunity_id = 1")
    assert "red_flag" not in flags_of(run(tdb, playbooks), 1)
    tdb.execute("DELETE FROM notes")
    add_note(tdb, 1, "Gel budgétaire annoncé")  # accents folded by the index and the regex
    assert flags_of(run(tdb, playbooks), 1)["red_flag"] == 'note of 2026-11-19: "Gel budgétaire"'


# ---------------------------------------------------------------- deal_scores (m007)


def _stored(db: Database) -> dict[int, dict[str, tuple[int, str]]]:
    """deal_scores unpacked, in the shape load_effective_scores returns."""
    out: dict[int, dict[str, tuple[int, str]]] = {}
    for opp, packed in db.execute("SELECT opportunity_id, scores FROM deal_scores"):
        entry = out[opp] = {}
        for item in packed.split("\x1e"):
            cid, score, status = item.split("\x1f")
            entry[cid] = (int(score), status)
    return out


def _save(db: Database, deal_id: int, kind: str, scores: dict[str, int], when: int) -> int:
    from datetime import datetime

    from kamcoach.domain.models import CriterionScore, Review
    from kamcoach.storage import repo

    status_by = {0: "missing", 1: "mentioned", 2: "specific", 3: "validated"}
    review = Review(
        opportunity_id=deal_id,
        playbook="meddic",
        author_kind=kind,
        overall=50.0,
        created_at=datetime.fromisoformat(moment(when)),
        scores={c: CriterionScore(c, s, status_by[s]) for c, s in scores.items()},
    )
    return repo.save_review(db, review)


def test_deal_scores_follow_save_review_with_human_overrides(tdb: Database) -> None:
    from kamcoach.review.pipeline import load_effective_scores

    add_deal(tdb, 1)
    add_deal(tdb, 2)
    assert _stored(tdb) == {}
    _save(tdb, 1, "analyser", {"metrics": 1, "champion": 1, "economic_buyer": 2}, when=-10)
    assert _stored(tdb) == {
        1: {
            "metrics": (1, "mentioned"),
            "champion": (1, "mentioned"),
            "economic_buyer": (2, "specific"),
        }
    }
    # A rep's override wins on its criterion only.
    _save(tdb, 1, "rep", {"champion": 3}, when=-8)
    # A newer analyser review replaces the analyser's scores, not the rep's override.
    _save(tdb, 1, "analyser", {"metrics": 2, "champion": 0}, when=-5)
    # A manager on another deal, with no analyser review at all.
    _save(tdb, 2, "manager", {"metrics": 3}, when=-3)
    stored = _stored(tdb)
    assert stored == {
        1: {"metrics": (2, "specific"), "champion": (3, "validated")},
        2: {"metrics": (3, "validated")},
    }
    assert stored == load_effective_scores(tdb)
    # Reviews written with raw inserts (imports, helpers) are covered by the triggers too.
    add_review(tdb, 2, {"economic_buyer": 1}, when=-1)
    assert _stored(tdb) == load_effective_scores(tdb)
    assert _stored(tdb)[2] == {"metrics": (3, "validated"), "economic_buyer": (1, "mentioned")}


def test_deal_scores_row_goes_with_the_deal_and_its_reviews(tdb: Database) -> None:
    add_deal(tdb, 1)
    add_deal(tdb, 2)
    rid = _save(tdb, 1, "analyser", {"metrics": 2}, when=-5)
    _save(tdb, 2, "analyser", {"metrics": 1}, when=-5)
    tdb.execute("DELETE FROM reviews WHERE id = ?", [rid])
    assert set(_stored(tdb)) == {2}
    tdb.execute("DELETE FROM opportunities WHERE id = 2")
    assert _stored(tdb) == {}


def test_failed_review_write_leaves_deal_scores_unchanged(tdb: Database) -> None:
    import sqlite3
    from datetime import datetime

    from kamcoach.domain.models import CriterionScore, Review
    from kamcoach.storage import repo

    add_deal(tdb, 1)
    _save(tdb, 1, "analyser", {"metrics": 2, "champion": 1}, when=-5)
    before = _stored(tdb)
    counts = tdb.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    bad = Review(
        opportunity_id=1,
        playbook="meddic",
        author_kind="manager",
        overall=50.0,
        created_at=datetime.fromisoformat(moment(-1)),
        scores={
            "metrics": CriterionScore("metrics", 3, "validated"),
            "champion": CriterionScore("champion", 7, "specific"),  # violates the CHECK
        },
    )
    with pytest.raises(sqlite3.IntegrityError):
        repo.save_review(tdb, bad)
    assert _stored(tdb) == before
    assert tdb.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == counts


def test_migration_back_fills_deal_scores_from_older_schema(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    import sqlite3

    from kamcoach.review.pipeline import load_effective_scores
    from kamcoach.storage.migrations import migrations

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    old = Database(conn)
    migrations.apply(old, stop_before="m007_deal_scores")
    assert "deal_scores" not in old.table_names()
    for deal_id in (1, 2, 3):
        add_deal(old, deal_id, stage="proposal")
    add_review(old, 1, full_scores(1), when=-20)
    add_review(old, 1, full_scores(2), when=-10)
    add_review(old, 1, {"champion": 3}, kind="manager", when=-15)
    add_review(old, 2, {"metrics": 3}, kind="rep", when=-3)
    conn.commit()
    before = run(old, playbooks).to_dict()  # the aggregating path (no deal_scores yet)
    old.close()
    db = open_db(path)
    stored = _stored(db)
    assert stored == load_effective_scores(db)
    assert set(stored) == {1, 2}
    assert stored[1]["champion"] == (3, "validated") and stored[1]["metrics"] == (2, "specific")
    assert run(db, playbooks).to_dict() == before


def test_review_from_deal_scores_equals_aggregated_review(
    tdb: Database, playbooks: PlaybookSet
) -> None:
    import random

    rnd = random.Random(3)
    for deal_id in range(1, 41):
        add_deal(tdb, deal_id, stage=rnd.choice(["discovery", "proposal", "commit", "closed_won"]))
        for when in (-20, -10):
            if rnd.random() < 0.7:
                add_review(tdb, deal_id, {c: rnd.randint(0, 3) for c in full_scores()}, when=when)
        if rnd.random() < 0.3:
            add_review(tdb, deal_id, {"champion": rnd.randint(0, 3)}, kind="rep", when=-15)
    stored = run(tdb, playbooks).to_dict()
    tdb.execute("DROP TABLE deal_scores")
    assert run(tdb, playbooks).to_dict() == stored
