"""Which demo deals get which pipeline flags (data/demo/README.md tells the stories).

Score-based flags (stage_ahead, no_power, no_champion, no_metrics) need analyser
reviews; until ``kamcoach.review.deal_analysis.analyze_all`` exists they are
pinned in test_review_rules.py on hand-made reviews and excluded here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import PINNED_TODAY

from kamcoach.io.demo import load_demo
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review.pipeline import PipelineReport, review_pipeline
from kamcoach.storage.db import open_db

SCORE_FLAGS = {"stage_ahead", "no_power", "no_champion", "no_metrics"}

#: Expected non-score flags per open demo deal (absent = no flag).
EXPECTED: dict[int, set[str]] = {
    4: {"stale"},
    5: {"pushed"},
    7: {"single_threaded"},
    8: {"overdue"},
    10: {"stale", "stuck", "overdue"},
    11: {"champion_lost"},
    14: {"stuck"},
    16: {"stale"},
    18: {"pushed"},
    20: {"stale", "stuck"},
    21: {"shrunk"},
    22: {"overdue", "red_flag"},
    28: {"shrunk"},
    33: {"single_threaded"},
    34: {"red_flag"},
    36: {"single_threaded"},
    39: {"red_flag"},
}
OPEN_DEALS = {*range(1, 41)} - {15, 19, 27, 35, 40}


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineReport]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMCOACH_TODAY", PINNED_TODAY)
        db = open_db(Path(tmp_path_factory.mktemp("demo")) / "demo.db")
        load_demo(db)
        yield review_pipeline(db, load_playbooks(), today=date.fromisoformat(PINNED_TODAY))
        db.close()


def test_every_open_demo_deal_is_reviewed(demo_report: PipelineReport) -> None:
    assert {d.id for d in demo_report.deals} == OPEN_DEALS


@pytest.mark.parametrize("deal_id", sorted(OPEN_DEALS))
def test_demo_deal_flags(demo_report: PipelineReport, deal_id: int) -> None:
    deal = next(d for d in demo_report.deals if d.id == deal_id)
    assert set(deal.flag_ids()) - SCORE_FLAGS == EXPECTED.get(deal_id, set())


def test_each_non_score_flag_fires_on_the_demo(demo_report: PipelineReport) -> None:
    fired = {f for d in demo_report.deals for f in d.flag_ids()}
    assert {f for flags in EXPECTED.values() for f in flags} <= fired
    assert {
        "stale",
        "stuck",
        "overdue",
        "pushed",
        "shrunk",
        "single_threaded",
        "champion_lost",
        "red_flag",
    } <= fired


def test_demo_evidence_is_quoted(demo_report: PipelineReport) -> None:
    by_id = {d.id: {f.id: f.reason for f in d.flags} for d in demo_report.deals}
    assert (
        "a quitté la société" in by_id[11]["champion_lost"]
        or "Paul Vasseur" in by_id[11]["champion_lost"]
    )
    assert "gel des budgets" in by_id[34]["red_flag"].lower()
    assert "pushed 3 times" in by_id[18]["pushed"]
    assert by_id[30].keys() <= SCORE_FLAGS  # paused: neither stale nor stuck
    assert by_id[38].keys() <= SCORE_FLAGS
