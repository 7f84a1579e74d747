"""Pilot tests of the manager's review screen (key m on the deal screen): decisions typed
with the keyboard end in the database, and the deal screen shows the manager's scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from test_review_support import add_deal, add_review, full_scores
from test_tui_app import new_app, run, settle

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.tui.screens.deal import DealScreen
from kamcoach.tui.screens.manager_review import ManagerReviewScreen


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture
def rdb(db: Database) -> Database:
    add_deal(db, 1, stage="proposal", name="Acme ERP", owner="Alice")
    add_review(db, 1, {**full_scores(2), "champion": 3}, when=-10)
    return db


def _counts(db: Database) -> tuple[int, int, int]:
    return (
        db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM review_scores").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM next_steps").fetchone()[0],
    )


def test_review_screen_saves_agreements_correction_forecast_and_next_step(
    rdb: Database, playbooks: PlaybookSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMCOACH_USER", "J. Doe")
    app = new_app(rdb, playbooks, tmp_path)
    criteria = list(playbooks.playbook("meddic").criteria_ids)
    before = _counts(rdb)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        deal = pilot.app.screen
        assert isinstance(deal, DealScreen)
        await pilot.press("m")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ManagerReviewScreen)
        assert screen.criteria == criteria
        # Agree with the first two criteria.
        await pilot.press("y", "down", "y")
        assert screen.agreed == set(criteria[:2])
        # Correct the champion to 1: the reason field takes the focus.
        for _ in range(criteria.index("champion") - 1):
            await pilot.press("down")
        assert screen.selected_criterion() == "champion"
        await pilot.press("1")
        reason = screen.query_one("#mr-reason")
        assert screen.focused is reason
        # Saving without the reason is refused in the form, nothing written.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "needs a reason" in str(screen.query_one("#mr-error").render())
        assert _counts(rdb) == before
        await pilot.press(*"no")
        reason.insert_text_at_cursor(" access to the CFO")
        await pilot.press("enter")
        assert screen.focused is screen.query_one("#mr-criteria")
        assert screen.corrections == {"champion": (1, "no access to the CFO")}
        screen.query_one("#mr-forecast").value = "best_case"
        screen.query_one("#mr-comment").text = "Pain is clear; power is not"
        screen.query_one("#mr-what").value = "Meet the CFO"
        screen.query_one("#mr-who").value = "Alice"
        screen.query_one("#mr-due").value = "2026-12-04"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is deal

        head = rdb.execute(
            "SELECT id, author, forecast, comment FROM reviews WHERE author_kind = 'manager'"
        ).fetchall()
        assert [h[1:] for h in head] == [("J. Doe", "best_case", "Pain is clear; power is not")]
        rows = rdb.execute(
            "SELECT criterion, score, verdict, reason FROM review_scores WHERE review_id = ? "
            "ORDER BY criterion",
            [head[0][0]],
        ).fetchall()
        assert rows == [
            ("champion", 1, "corrected", "no access to the CFO"),
            ("economic_buyer", 2, "agreed", None),
            ("metrics", 2, "agreed", None),
        ]
        steps = rdb.execute("SELECT what, who, due_date, source, review_id FROM next_steps")
        assert steps.fetchall() == [("Meet the CFO", "Alice", "2026-12-04", "review", head[0][0])]

        # The deal screen reloaded: the manager's score is in force, marked M, and explained.
        assert deal.view is not None
        assert deal.view.scores["champion"].score == 1
        assert deal.view.in_force["champion"].author_kind == "manager"
        table = deal.query_one("#scorecard")
        assert str(table.get_cell("champion", "by")) == "M"
        assert str(table.get_cell("metrics", "by")) == "A"
        table.move_cursor(row=criteria.index("champion"))
        await pilot.pause()
        why = str(deal.query_one("#evidence").render())
        assert "manager 1 (J. Doe, " in why and "corrected: no access to the CFO) in force" in why

    run(app, scenario)


def test_escape_cancels_without_saving(
    rdb: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(rdb, playbooks, tmp_path)
    before = _counts(rdb)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ManagerReviewScreen)
        await pilot.press("y", "3")
        await pilot.press("escape")  # from the reason field too: the screen is left unsaved
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        assert _counts(rdb) == before

    run(app, scenario)


def test_review_screen_fits_80_columns(
    rdb: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from textual.widgets._footer import FooterKey

    app = new_app(rdb, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        keys = {k.description: k.region for k in pilot.app.screen.query(FooterKey)}
        assert "Help" in keys and "Review" not in keys, keys  # m is in the help screen
        for description, region in keys.items():
            assert region.width > 0 and region.right <= 80, description
        await pilot.press("m")
        await settle(pilot)
        for key in pilot.app.screen.query(FooterKey):
            assert key.region.width > 0 and key.region.right <= 80, key.description

    run(app, scenario, size=(80, 24))


def test_pipeline_row_shows_the_managers_forecast(
    rdb: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from kamcoach.records.manager_review import ManagerReviewInput, save_manager_review

    save_manager_review(rdb, 1, playbooks, ManagerReviewInput(forecast="best_case"))
    app = new_app(rdb, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        screen = pilot.app.screen
        assert [r.forecast for r in screen.rows] == ["best_case"]
        assert "best case" in str(screen.query_one("#pipeline-row").render())

    run(app, scenario, size=(80, 24))
