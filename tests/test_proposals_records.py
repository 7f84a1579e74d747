"""Proposals in the database: written with the analysis, accepted or dismissed by the rep.

Real SQLite files, the real analyser (spaCy) and the real pipeline review and
checklist: every assertion reads the database or what the interfaces read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from test_review_support import TODAY, add_account

from kamcoach.errors import InputError, NotFoundError
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.records import proposals as core
from kamcoach.review import deal_analysis
from kamcoach.review.pipeline import review_pipeline
from kamcoach.review.prep import build_checklist
from kamcoach.storage import repo
from kamcoach.storage.db import open_db

NOTE = (
    "Call with Paul. Procurement (Anna Weiss) wants a discount.\n"
    "Paul has left the company last week.\n"
    "Marc Dupont is sceptical about the ROI."
)


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture
def tdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("KAMCOACH_USER", "Camille Martin")
    return open_db(tmp_path / "t.db")


def deal(db: Database, deal_id: int = 1, amount: float = 150000, stage: str = "proposal") -> int:
    add_account(db)
    db["opportunities"].insert(
        {
            "id": deal_id,
            "account_id": 1,
            "name": f"Deal {deal_id}",
            "amount": amount,
            "currency": "EUR",
            "stage": stage,
            "close_date": "2026-12-30",
            "owner": "Alice",
            "playbook": "meddic",
            "created_at": "2026-11-01T10:00:00",
            "stage_changed_at": "2026-11-01T10:00:00",
        }
    )
    return deal_id


def contact(
    db: Database, contact_id: int, name: str, role: str = "unknown", *, deal_id: int | None = 1
) -> int:
    db["contacts"].insert(
        {
            "id": contact_id,
            "account_id": 1,
            "name": name,
            "buying_role": role,
            "left_company": 0,
            "created_at": "2026-01-01T10:00:00",
        }
    )
    if deal_id is not None:
        db["opportunity_contacts"].insert(
            {"opportunity_id": deal_id, "contact_id": contact_id, "role": None, "engaged": 1}
        )
    return contact_id


def analysed(db: Database, playbooks: PlaybookSet, text: str = NOTE, deal_id: int = 1) -> int:
    note_id = repo.add_note(db, deal_id, text, created_at="2026-11-18T10:00:00")
    deal_analysis.analyze_deal(db, deal_id, playbooks)
    return note_id


def rows(db: Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM proposals ORDER BY id"))


def by_kind(db: Database, kind: str) -> dict[str, Any]:
    return next(r for r in rows(db) if r["kind"] == kind)


def flags(db: Database, playbooks: PlaybookSet, deal_id: int = 1) -> dict[str, str]:
    report = review_pipeline(db, playbooks, today=TODAY)
    row = next(d for d in report.deals if d.id == deal_id)
    return {f.id: f.reason for f in row.flags}


@pytest.fixture
def seeded(tdb: Database, playbooks: PlaybookSet) -> Database:
    deal(tdb)
    contact(tdb, 1, "Paul Vasseur", "champion")
    contact(tdb, 2, "Marc Dupont", deal_id=None)  # on the account, not on the deal
    analysed(tdb, playbooks)
    return tdb


def test_analysis_writes_the_proposals_with_the_note(seeded: Database) -> None:
    got = [
        (r["kind"], r["contact_id"], r["name"], r["title"], r["value"], r["status"], r["lang"])
        for r in rows(seeded)
    ]
    assert got == [
        ("contact", None, "Anna Weiss", "Procurement", "procurement", "open", "en"),
        ("departure", 1, "Paul", None, None, "open", "en"),
        ("stance", 2, "Marc Dupont", None, "sceptic", "open", "en"),
    ]
    note = seeded["notes"].get(1)
    for r in rows(seeded):
        assert note["text"][r["span_start"] : r["span_end"]] == r["quote"]
        assert (r["opportunity_id"], r["account_id"], r["note_id"]) == (1, 1, 1)
    assert deal_analysis.last_stats.proposals == 3


def test_reanalysis_never_duplicates_nor_reopens(seeded: Database, playbooks: PlaybookSet) -> None:
    core.dismiss(seeded, by_kind(seeded, "contact")["id"])
    seeded.execute("DELETE FROM note_analyses")  # the note is read again from scratch
    deal_analysis.analyze_deal(seeded, 1, playbooks)
    assert deal_analysis.last_stats.analysed == 1 and deal_analysis.last_stats.proposals == 0
    assert [(r["kind"], r["status"]) for r in rows(seeded)] == [
        ("contact", "dismissed"),
        ("departure", "open"),
        ("stance", "open"),
    ]


def test_edited_note_drops_its_open_proposals_keeps_decisions(
    seeded: Database, playbooks: PlaybookSet
) -> None:
    core.dismiss(seeded, by_kind(seeded, "contact")["id"])
    text = "Call with Paul. Procurement (Anna Weiss) wants a discount."
    seeded["notes"].update(1, {"text": text, "content_hash": repo.content_hash(text)})
    deal_analysis.analyze_deal(seeded, 1, playbooks)
    assert [(r["kind"], r["status"]) for r in rows(seeded)] == [("contact", "dismissed")]


def test_accept_new_contact_creates_and_links_it(seeded: Database) -> None:
    pid = by_kind(seeded, "contact")["id"]
    decision = core.accept(seeded, pid)
    anna = seeded["contacts"].get(decision.contact_id)
    assert (anna["name"], anna["title"], anna["buying_role"], anna["source"]) == (
        "Anna Weiss",
        "Procurement",
        "procurement",
        "note",
    )
    link = seeded["opportunity_contacts"].get((1, anna["id"]))
    assert (link["role"], link["engaged"]) == (None, 1)  # the contact's own role rules
    row = seeded["proposals"].get(pid)
    assert (row["status"], row["decided_by"], row["result_contact_id"]) == (
        "accepted",
        "Camille Martin",
        anna["id"],
    )
    assert row["decided_at"]


def test_accept_with_edits_and_a_deal_role(seeded: Database) -> None:
    pid = by_kind(seeded, "contact")["id"]
    decision = core.accept(
        seeded,
        pid,
        name="Anna Weiß",
        role="influencer",
        deal_role="technical_evaluator",
        author="Lee",
    )
    anna = seeded["contacts"].get(decision.contact_id)
    assert (anna["name"], anna["buying_role"]) == ("Anna Weiß", "unknown")
    assert seeded["opportunity_contacts"].get((1, anna["id"]))["role"] == "technical_evaluator"
    assert seeded["proposals"].get(pid)["decided_by"] == "Lee"


def test_accept_stance_on_a_contact_not_yet_on_the_deal(seeded: Database) -> None:
    core.accept(seeded, by_kind(seeded, "stance")["id"])
    assert seeded["contacts"].get(2)["stance"] == "sceptic"
    assert seeded["opportunity_contacts"].get((1, 2))["role"] is None


def test_accept_departure_marks_the_contact_and_the_flag_says_so(
    seeded: Database, playbooks: PlaybookSet
) -> None:
    assert "may have left, not confirmed yet" in flags(seeded, playbooks)["champion_lost"]
    core.accept(seeded, by_kind(seeded, "departure")["id"])
    assert seeded["contacts"].get(1)["left_company"] == 1
    assert flags(seeded, playbooks)["champion_lost"] == "champion Paul Vasseur has left the company"


def test_dismissed_departure_raises_no_flag(seeded: Database, playbooks: PlaybookSet) -> None:
    core.dismiss(seeded, by_kind(seeded, "departure")["id"], author="Lee")
    assert "champion_lost" not in flags(seeded, playbooks)
    row = by_kind(seeded, "departure")
    assert (row["status"], row["decided_by"], row["result_contact_id"]) == (
        "dismissed",
        "Lee",
        None,
    )
    assert seeded["contacts"].get(1)["left_company"] == 0


def test_arrivals_named_and_unnamed(tdb: Database, playbooks: PlaybookSet) -> None:
    deal(tdb)
    analysed(tdb, playbooks, "A new CFO arrived last month. Julia Stone joined as VP Sales.")
    unnamed, named = rows(tdb)
    assert (unnamed["name"], unnamed["value"], named["name"], named["value"]) == (
        None,
        "CFO",
        "Julia Stone",
        "VP Sales",
    )
    count = tdb["contacts"].count
    decision = core.accept(tdb, unnamed["id"])
    assert decision.contact_id is None and tdb["contacts"].count == count
    assert tdb["proposals"].get(unnamed["id"])["status"] == "accepted"
    julia = tdb["contacts"].get(core.accept(tdb, named["id"]).contact_id)
    assert (julia["name"], julia["title"]) == ("Julia Stone", "VP Sales")


def test_new_cfo_accepted_by_name_gets_the_economic_buyer_role(
    tdb: Database, playbooks: PlaybookSet
) -> None:
    deal(tdb)
    analysed(tdb, playbooks, "Un nouveau DAF est arrivé.")
    (arrival,) = rows(tdb)
    cfo = tdb["contacts"].get(core.accept(tdb, arrival["id"], name="Luc Bernard").contact_id)
    assert (cfo["name"], cfo["title"], cfo["buying_role"]) == (
        "Luc Bernard",
        "DAF",
        "economic_buyer",
    )


def test_mistakes_are_one_line_errors_and_change_nothing(seeded: Database) -> None:
    pid = by_kind(seeded, "contact")["id"]
    before = (rows(seeded), seeded["contacts"].count, seeded["opportunity_contacts"].count)
    with pytest.raises(InputError, match="unknown buying role"):
        core.accept(seeded, pid, role="boss")
    with pytest.raises(NotFoundError, match="no proposal with id 999"):
        core.accept(seeded, 999)
    with pytest.raises(InputError, match="not a number"):
        core.dismiss(seeded, "abc")
    assert (rows(seeded), seeded["contacts"].count, seeded["opportunity_contacts"].count) == before
    core.dismiss(seeded, pid)
    with pytest.raises(InputError, match=f"proposal {pid} is already dismissed"):
        core.accept(seeded, pid)
    assert seeded["contacts"].count == before[1]


def test_unnamed_departure_needs_a_name(tdb: Database, playbooks: PlaybookSet) -> None:
    deal(tdb)
    analysed(tdb, playbooks, "Bad news: our champion left.")
    (departure,) = rows(tdb)
    assert (departure["contact_id"], departure["value"]) == (None, "champion")
    assert "not confirmed yet" in flags(tdb, playbooks)["champion_lost"]
    with pytest.raises(InputError, match="does not say who left; give --name"):
        core.accept(tdb, departure["id"])
    contact(tdb, 5, "Paul Vasseur", "champion")
    core.accept(tdb, departure["id"], name="Paul")
    assert tdb["contacts"].get(5)["left_company"] == 1


def test_accepting_a_person_links_the_other_proposals_about_them(
    tdb: Database, playbooks: PlaybookSet
) -> None:
    deal(tdb)
    analysed(tdb, playbooks, "Sarah Chen is the CFO. Sarah Chen pushes internally.")
    first, stance = rows(tdb)
    assert (first["kind"], stance["kind"], stance["contact_id"]) == ("contact", "stance", None)
    cid = core.accept(tdb, first["id"]).contact_id
    assert tdb["proposals"].get(stance["id"])["contact_id"] == cid
    assert tdb["proposals"].get(stance["id"])["status"] == "open"


def test_list_by_deal_account_and_status(seeded: Database) -> None:
    pid = by_kind(seeded, "contact")["id"]
    core.dismiss(seeded, pid)
    assert [p.kind for p in core.list_proposals(seeded, deal_id=1)] == ["departure", "stance"]
    assert [p.id for p in core.list_proposals(seeded, account_id=1, status="dismissed")] == [pid]
    assert len(core.list_proposals(seeded, status="all")) == 3
    assert core.list_proposals(seeded, deal_id=2) == []
    with pytest.raises(InputError, match="unknown status"):
        core.list_proposals(seeded, status="done")
    stance = core.list_proposals(seeded, deal_id=1)[1]
    assert (stance.who(), stance.says(), stance.note_date[:10]) == (
        "Marc Dupont",
        "stance: sceptic",
        "2026-11-18",
    )


def test_accepted_economic_buyer_makes_scorecard_flags_and_checklist_agree(
    tdb: Database, playbooks: PlaybookSet
) -> None:
    """An economic buyer the rep accepted from a note is one in every view.

    Before proposals, a contact recorded as economic buyer left the scorecard
    at 0, so ``no_power`` and the checklist's criterion said "no economic
    buyer" while the checklist's attendees named one. Accepting now records a
    rep score quoting the note: the three agree.
    """
    deal(tdb, amount=150000)
    contact(tdb, 1, "Paul Vasseur", "champion")
    analysed(tdb, playbooks, "Procurement (Anna Weiss) wants a discount.")
    before = flags(tdb, playbooks)
    assert "no_power" in before and "single_threaded" in before
    eb_before = next(
        a for a in build_checklist(tdb, 1, playbooks).attendees if a.role == "economic_buyer"
    )
    assert eb_before.name is None  # everyone agrees: no economic buyer yet

    decision = core.accept(tdb, by_kind(tdb, "contact")["id"], role="economic_buyer")
    assert any("raised to 2/3" in c for c in decision.changes)

    after = flags(tdb, playbooks)
    assert "no_power" not in after and "single_threaded" not in after  # two engaged now
    scores = deal_analysis.effective_scores(tdb, 1, playbooks)
    assert (scores["economic_buyer"].score, scores["economic_buyer"].status) == (2, "specific")
    assert scores["economic_buyer"].evidence[0].text == "Procurement (Anna Weiss) wants a discount."
    checklist = build_checklist(tdb, 1, playbooks)
    eb = next(a for a in checklist.attendees if a.role == "economic_buyer")
    assert eb.name == "Anna Weiss"
    item = next((i for i in checklist.items if i.criterion == "economic_buyer"), None)
    assert item is None or item.score == 2
    review = repo.latest_review(tdb, 1, author_kind="rep")
    assert review is not None and review.author == "Camille Martin"


def test_a_score_already_specific_is_left_alone(tdb: Database, playbooks: PlaybookSet) -> None:
    deal(tdb)
    analysed(tdb, playbooks, "Sarah Chen, the CFO, confirmed she signs the contract in Q1.")
    reviews = tdb["reviews"].count
    decision = core.accept(tdb, by_kind(tdb, "contact")["id"])
    assert not any("raised" in c for c in decision.changes)
    assert tdb["reviews"].count == reviews


def test_a_managers_correction_stays_in_force(tdb: Database, playbooks: PlaybookSet) -> None:
    from kamcoach.clock import now
    from kamcoach.domain.models import CriterionScore, Review

    deal(tdb)
    analysed(tdb, playbooks, "Procurement (Anna Weiss) wants a discount.")
    repo.save_review(
        tdb,
        Review(
            1,
            "meddic",
            "manager",
            {"economic_buyer": CriterionScore("economic_buyer", 1, "mentioned")},
            10,
            now(),
        ),
    )
    reviews = tdb["reviews"].count
    decision = core.accept(tdb, by_kind(tdb, "contact")["id"], role="economic_buyer")
    assert "Economic Buyer stays at the manager's 1/3" in decision.changes
    assert tdb["reviews"].count == reviews


def test_a_dismissed_person_is_not_proposed_again_once_a_contact(
    seeded: Database, playbooks: PlaybookSet
) -> None:
    """Anna dismissed as a new contact, then added by hand: the note does not bring her back."""
    core.dismiss(seeded, by_kind(seeded, "contact")["id"])
    contact(seeded, 9, "Anna Weiss", "user")
    seeded.execute("DELETE FROM note_analyses")
    deal_analysis.analyze_deal(seeded, 1, playbooks)
    assert [(r["kind"], r["status"]) for r in rows(seeded)] == [
        ("contact", "dismissed"),
        ("departure", "open"),
        ("stance", "open"),
    ]


def test_champion_lost_lookback_and_retired_phrases_key(
    seeded: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from kamcoach.errors import PlaybookError
    from kamcoach.review.config import load_flag_config

    team = tmp_path / "flags.toml"
    team.write_text("[flags.champion_lost]\nlookback_days = 1\n", encoding="utf-8")
    recent = review_pipeline(seeded, playbooks, today=TODAY, config=load_flag_config(team=team))
    assert "champion_lost" not in {f.id for f in recent.deals[0].flags}  # note of 2 days ago
    team.write_text("[flags.champion_lost]\nlookback_days = 3\n", encoding="utf-8")
    recent = review_pipeline(seeded, playbooks, today=TODAY, config=load_flag_config(team=team))
    assert "champion_lost" in {f.id for f in recent.deals[0].flags}
    team.write_text('[flags.champion_lost]\nphrases.en = ["left"]\n', encoding="utf-8")
    with pytest.raises(PlaybookError, match=r"flags\.champion_lost\.phrases: no longer used"):
        load_flag_config(team=team)
