"""`kamcoach coach` ranks practice items by weighted impact, with a minimum count, per playbook.

Issue 13 defect 8: the share of deals missing a criterion ranked a criterion
missing on a rep's only deal first (100 %), ignored how much the criterion
weighs, left out criteria that are weak but never exactly 0, and mixed the
criteria of every playbook in one list.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kamcoach.cli.main import main
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review.coaching import coach
from kamcoach.storage.db import open_db
from tests.test_review_support import add_deal, add_review, full_scores


def _coach_json(db_path: Path, *extra: str) -> list[dict]:
    result = CliRunner().invoke(main, ["--db", str(db_path), "coach", "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_one_deal_is_a_case_not_a_habit(db_path: Path) -> None:
    db = open_db(db_path)
    add_deal(db, 1)
    add_review(db, 1, {**full_scores(3), "metrics": 0})
    db.close()
    (rep,) = _coach_json(db_path)
    (group,) = rep["playbooks"]
    assert group["too_few"] is True and group["weakest"] == []
    table = CliRunner().invoke(main, ["--db", str(db_path), "coach"], env={"COLUMNS": "200"})
    assert "too few analysed deals to rank practice items (needs 2" in table.output
    assert "Practise" not in table.output


def test_weighted_impact_beats_share(db_path: Path) -> None:
    """Economic buyer (weight 1.5) only 'mentioned' on three deals costs more than metrics
    (weight 1.0) missing on two: by share, metrics came first and the economic buyer
    was not listed at all."""
    db = open_db(db_path)
    for deal in (1, 2, 3):
        add_deal(db, deal)
        scores = {**full_scores(3), "economic_buyer": 1}
        if deal != 3:
            scores["metrics"] = 0
        add_review(db, deal, scores)
    db.close()
    (rep,) = _coach_json(db_path)
    (group,) = rep["playbooks"]
    assert group["weakest"] == ["economic_buyer", "metrics"]
    lost = {c["criterion"]: c["points_lost"] for c in group["criteria"]}
    # MEDDIC weights sum to 7.5: EB 1.5/7.5 * 100 * 2/3 * 3 deals = 40; metrics 1/7.5*100*2 = 26.7
    assert lost["economic_buyer"] == 40.0 and lost["metrics"] == 26.7
    assert lost["champion"] == 0.0


def test_each_playbook_is_coached_with_its_own_criteria(db_path: Path) -> None:
    db = open_db(db_path)
    for deal in (1, 2):
        add_deal(db, deal)
        add_review(db, deal, {**full_scores(3), "champion": 0})
    for deal in (3, 4):
        add_deal(db, deal, playbook="bant")
        review = add_review(db, deal, {"budget": 3, "authority": 0, "need": 3, "timeline": 2})
        db.execute("UPDATE reviews SET playbook = 'bant' WHERE id = ?", [review])
    db.close()
    reps = coach(open_db(db_path), load_playbooks())
    (rep,) = reps
    groups = {g.playbook: g for g in rep.playbooks}
    assert set(groups) == {"meddic", "bant"}
    assert [g.criterion for g in groups["meddic"].weakest] == ["champion"]
    assert [g.criterion for g in groups["bant"].weakest] == ["authority", "timeline"]
    assert {g.criterion for g in groups["bant"].criteria} == {
        "budget",
        "authority",
        "need",
        "timeline",
    }
    assert "authority" not in {g.criterion for g in groups["meddic"].criteria}
    assert rep.open_deals == 4 and rep.analysed_deals == 4
