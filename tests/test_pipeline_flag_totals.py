"""With a flag filter, the pipeline's totals are the listed deals' (issue 13 defect 11).

"1 deal" was listed with the totals of all 10; the scope's totals are kept
beside them for the share of the pipeline the flag concerns.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kamcoach.cli.main import main
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review.pipeline import review_pipeline, review_pipeline_reference
from kamcoach.storage.db import open_db
from tests.test_review_support import add_contact, add_deal, day


def _seed(db_path: Path) -> None:
    db = open_db(db_path)
    add_deal(db, 1, amount=10000.0)
    add_deal(db, 2, amount=30000.0, close_date=day(-5))  # overdue
    add_deal(db, 3, amount=60000.0, owner="Bob")
    for deal, contact in ((1, 11), (2, 12), (3, 13)):
        add_contact(db, deal, contact)
    db.close()


def test_totals_follow_the_flag_filter(db_path: Path) -> None:
    _seed(db_path)
    result = CliRunner().invoke(
        main, ["--db", str(db_path), "pipeline", "--flag", "overdue", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["id"] for d in data["deals"]] == [2]
    assert data["total"]["deals"] == 1 and data["total"]["pipeline"] == 30000.0
    assert data["scope_total"]["deals"] == 3 and data["scope_total"]["pipeline"] == 100000.0
    assert [o["key"] for o in data["by_owner"]] == ["Alice"]
    unfiltered = json.loads(
        CliRunner().invoke(main, ["--db", str(db_path), "pipeline", "--format", "json"]).output
    )
    assert unfiltered["total"]["deals"] == 3 and unfiltered["scope_total"] is None
    table = CliRunner().invoke(
        main, ["--db", str(db_path), "pipeline", "--flag", "overdue"], env={"COLUMNS": "200"}
    )
    assert "1 open deal, pipeline 30,000" in table.output
    assert "Totals above are the 1 deal flagged overdue: 30% of the 3 deals' pipeline" in (
        table.output
    )


def test_the_fast_path_and_the_reference_agree_with_a_flag_filter(db_path: Path) -> None:
    _seed(db_path)
    db = open_db(db_path)
    playbooks = load_playbooks()
    for flag in ("overdue", "stale", None):
        fast = review_pipeline(db, playbooks, flag=flag).to_dict()
        reference = review_pipeline_reference(db, playbooks, flag=flag).to_dict()
        assert fast == reference, flag
