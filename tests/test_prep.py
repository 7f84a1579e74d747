"""The pre-call checklist core (kamcoach.review.prep) and `kamcoach prep`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from kc_seed import seed_small
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.domain.models import CriterionScore, Review
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.review.prep import (
    build_checklist,
    checklist_markdown,
    checklist_rows,
    detect_deal_lang,
    next_stage,
    phase_label,
    phase_timing,
    status_label,
)
from kamcoach.storage import repo


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture
def seeded(db: Database) -> Database:
    seed_small(db)
    return db


def test_items_are_the_gaps_of_this_stage_and_the_next(
    seeded: Database, playbooks: PlaybookSet
) -> None:
    c = build_checklist(seeded, 1, playbooks)  # proposal, MEDDIC
    tiers = {it.criterion: (it.tier, it.target) for it in c.items}
    # below the proposal gate: economic_buyer 0 < 1
    assert tiers["economic_buyer"] == ("now", 1)
    # passes proposal but below negotiation: decision_criteria 1 < 2, decision_process 0 < 2
    assert tiers["decision_criteria"] == ("next", 2)
    assert tiers["decision_process"] == ("next", 2)
    # already at the negotiation level: not on the list
    assert "identify_pain" not in tiers and "champion" not in tiers and "metrics" not in tiers
    assert c.next_stage == "negotiation"


def test_items_follow_the_meeting_phases(seeded: Database, playbooks: PlaybookSet) -> None:
    c = build_checklist(seeded, 2, playbooks, lang="en")
    order = [p.id for p in playbooks.method.phases]
    positions = [order.index(it.phase) for it in c.items]
    assert positions == sorted(positions)
    assert c.items[0].criterion == "identify_pain"  # opened in the first minutes
    eb = next(it for it in c.items if it.criterion == "economic_buyer")
    assert eb.phase == "qualification"
    assert eb.timing == "about 30 minutes in"
    assert eb.question == playbooks.criteria["economic_buyer"].questions[0].text.en
    # inside a phase, the current stage's gate comes before the next stage's
    discovery = [it.tier for it in c.items if it.phase == "mutual_discovery"]
    assert discovery == sorted(discovery, key={"now": 0, "next": 1, "gap": 2}.get)


def test_confirm_is_the_rubric_level_needed(seeded: Database, playbooks: PlaybookSet) -> None:
    c = build_checklist(seeded, 1, playbooks, lang="en")
    dp = next(it for it in c.items if it.criterion == "decision_process")
    assert dp.confirm == playbooks.criteria["decision_process"].rubric[2].en


def test_missing_roles_are_flagged_and_known_people_listed(
    seeded: Database, playbooks: PlaybookSet
) -> None:
    c = build_checklist(seeded, 1, playbooks, lang="en")
    by_role = {a.role: a for a in c.attendees}
    assert by_role["economic_buyer"].missing
    assert "ask your champion to introduce them" in (by_role["economic_buyer"].note or "")
    assert by_role["champion"].name == "Claire Dubois"
    assert "not engaged" in (by_role["technical_evaluator"].note or "")


def test_language_follows_the_notes(seeded: Database, playbooks: PlaybookSet) -> None:
    fr = build_checklist(seeded, 1, playbooks)
    en = build_checklist(seeded, 2, playbooks)
    assert (fr.lang, en.lang) == ("fr", "en")
    eb = next(it for it in fr.items if it.criterion == "economic_buyer")
    assert eb.question == playbooks.criteria["economic_buyer"].questions[0].text.fr
    assert eb.timing == "vers la 30e minute"
    assert detect_deal_lang([{"lang": None, "text": "Nous avons vu le client avec le DAF"}]) == "fr"
    assert detect_deal_lang([]) == "en"


def test_evidence_known_is_quoted(seeded: Database, playbooks: PlaybookSet) -> None:
    c = build_checklist(seeded, 1, playbooks, lang="en")
    eb = next(it for it in c.items if it.criterion == "economic_buyer")
    assert eb.evidence == ["not: pas encore rencontré le DAF"]


def test_human_override_closes_a_gap(seeded: Database, playbooks: PlaybookSet) -> None:
    repo.save_review(
        seeded,
        Review(
            opportunity_id=1,
            playbook="meddic",
            author_kind="manager",
            scores={
                "economic_buyer": CriterionScore(
                    "economic_buyer", 2, "specific", reason="met the CFO"
                )
            },
            overall=50.0,
            created_at=datetime(2026, 11, 12, 12, 0),
        ),
    )
    c = build_checklist(seeded, 1, playbooks)
    eb = next((it for it in c.items if it.criterion == "economic_buyer"), None)
    assert eb is None or eb.tier != "now"


def test_markdown_has_questions_timing_and_time_check(
    seeded: Database, playbooks: PlaybookSet
) -> None:
    c = build_checklist(seeded, 2, playbooks)
    md = checklist_markdown(c)
    assert md.startswith("# Pre-call checklist: Northwind WMS")
    for it in c.items:
        assert it.question in md
    assert "## Qualification woven in (about 30 minutes in)" in md
    assert "About 30 minutes in, check how much time they have left" in md
    assert "no champion identified" in md


def test_closed_or_last_stage(playbooks: PlaybookSet) -> None:
    assert next_stage("commit") is None
    assert next_stage("closed_won") is None
    method = playbooks.method
    last = method.phases[-1]
    assert phase_timing(method, last, "en").startswith("in the last")
    assert phase_timing(method, method.phases[0], "en").startswith("in the first")


def test_phase_label_names_the_phase_and_when(playbooks: PlaybookSet) -> None:
    method = playbooks.method
    first = method.phases[0]
    assert phase_label(method, first.id, "en") == (
        f"{first.name.en}, {phase_timing(method, first, 'en')}"
    )
    assert phase_label(method, first.id, "fr").startswith(first.name.fr + ", dans les")
    assert phase_label(method, "team_own_phase", "en") == "team_own_phase"


def test_prep_command_md_and_output(seeded: Database, db_path: Path, runner, tmp_path) -> None:
    result = runner.invoke(main, ["--db", str(db_path), "prep", "2", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "# Pre-call checklist: Northwind WMS" in result.output
    out = tmp_path / "prep.md"
    result = runner.invoke(main, ["--db", str(db_path), "prep", "Northwind WMS", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Ask" in out.read_text(encoding="utf-8")
    table = runner.invoke(main, ["--db", str(db_path), "prep", "2", "--no-analyse"])
    assert table.exit_code == 0 and "Who should attend" in table.output
    # The terminal checklist speaks the deal's language like the Markdown one.
    fr = runner.invoke(main, ["--db", str(db_path), "prep", "2", "--no-analyse", "--lang", "fr"])
    assert fr.exit_code == 0, fr.output
    assert "Préparation de rendez-vous" in fr.output and "Qui doit participer" in fr.output
    assert "Who should attend" not in fr.output and "Pre-call checklist" not in fr.output


def test_prep_unknown_deal_is_one_line_error(seeded: Database, db_path: Path, runner) -> None:
    result = runner.invoke(main, ["--db", str(db_path), "prep", "999"])
    assert result.exit_code == 1
    assert "no deal with id or name '999'" in result.output
    assert "Traceback" not in result.output


def test_french_markdown_translates_statuses(seeded: Database, playbooks: PlaybookSet) -> None:
    c = build_checklist(seeded, 1, playbooks)
    assert c.lang == "fr" and c.items
    md = checklist_markdown(c)
    headings = [line for line in md.splitlines() if line.startswith("### [ ]")]
    assert len(headings) == len(c.items)
    english = ("missing", "mentioned", "specific", "validated", " gap ")
    for line in headings:
        assert not any(word in line for word in english), line
    first = c.items[0]
    assert status_label(first.status, "fr") in headings[0]
    assert status_label("mentioned", "fr") == "mentionné"
    assert status_label("mentioned", "en") == "mentioned"
    # data output keeps the status ids
    assert checklist_rows(c)[0]["status"] == first.status
