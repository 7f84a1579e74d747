"""Pilot tests: a note with its author and title, and the next step, from the deal screen.

Each drives the form with the keyboard and asserts on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from textual.widgets import DataTable, Input, Markdown

from kamcoach.io.demo import load_demo
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.records import next_steps
from kamcoach.tui.app import KamcoachApp, make_app
from kamcoach.tui.dialogs.next_step import NextStepDialog
from kamcoach.tui.dialogs.note import NoteDialog
from kamcoach.tui.screens.checklist import ChecklistScreen
from kamcoach.tui.screens.deal import DealScreen
from kamcoach.tui.screens.pipeline import PipelineScreen

USER = "Camille Martin"
DEAL = 1


@pytest.fixture
def demo_db(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Database:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(f'[user]\nname = "{USER}"\n', encoding="utf-8")
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    load_demo(db)
    return db


def new_app(db: Database, tmp_path: Path) -> KamcoachApp:
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)
    # Saving a note analyses the deal; these tests are about the records, not the analyser.
    app.analyse_deal = lambda deal_id: None  # type: ignore[method-assign]
    app.analyse_if_stale = lambda deal_id: False  # type: ignore[method-assign]
    return app


async def settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def run(app: KamcoachApp, scenario: Any, size: tuple[int, int] = (100, 30)) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            pilot.app.open_deal(DEAL)
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())


def text_of(widget: Any) -> str:
    return str(widget.render())


def test_note_author_prefilled_editable_and_title_saved(demo_db: Database, tmp_path: Path) -> None:
    before = demo_db.execute("SELECT MAX(id) FROM notes").fetchone()[0]

    async def scenario(pilot: Any) -> None:
        await pilot.press("n")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, NoteDialog)
        author = dialog.query_one("#note-author", Input)
        assert author.value == USER  # config.toml [user] name
        dialog.query_one("TextArea").insert("Met the CFO: budget approved.")
        author.value = "Sam Green"
        dialog.query_one("#note-title", Input).value = "QBR with finance"
        await pilot.press("ctrl+s")
        await settle(pilot)
        deal = pilot.app.screen
        assert isinstance(deal, DealScreen)
        shown = text_of(deal.query_one("#notes"))
        assert "Sam Green" in shown and "QBR with finance" in shown

    run(new_app(demo_db, tmp_path), scenario)
    rows = demo_db.execute(
        "SELECT opportunity_id, author, title, text FROM notes WHERE id > ?", [before]
    ).fetchall()
    assert rows == [(DEAL, "Sam Green", "QBR with finance", "Met the CFO: budget approved.")]


def test_note_signed_by_the_user_when_left_as_is(demo_db: Database, tmp_path: Path) -> None:
    before = demo_db.execute("SELECT MAX(id) FROM notes").fetchone()[0]

    async def scenario(pilot: Any) -> None:
        await pilot.press("n")
        await pilot.pause()
        pilot.app.screen.query_one("TextArea").insert("Short call.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)

    run(new_app(demo_db, tmp_path), scenario)
    assert demo_db.execute(
        "SELECT author, title, text FROM notes WHERE id > ?", [before]
    ).fetchall() == [(USER, None, "Short call.")]


def test_set_a_next_step_then_mark_it_done(demo_db: Database, tmp_path: Path) -> None:
    async def scenario(pilot: Any) -> None:
        deal = pilot.app.screen
        assert "Next step: none agreed" in text_of(deal.query_one("#deal-head"))
        await pilot.press("t")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, NextStepDialog)
        await pilot.press(*"Demo to the CFO")
        await pilot.press("tab")
        await pilot.press(*"Claire")
        await pilot.press("tab")
        await pilot.press(*"2026-12-04")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is deal
        assert "Next step: Demo to the CFO (Claire, due 2026-12-04)" in text_of(
            deal.query_one("#deal-head")
        )
        await pilot.press("t")
        await pilot.pause()
        dialog = pilot.app.screen
        assert dialog.query_one("#next-step-what", Input).value == "Demo to the CFO"
        assert dialog.query_one("#next-step-due", Input).value == "2026-12-04"
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert pilot.app.screen is deal
        assert "done" in text_of(deal.query_one("#deal-head"))

    run(new_app(demo_db, tmp_path), scenario)
    rows = demo_db.execute(
        "SELECT what, who, due_date, source, set_by, done_at FROM next_steps "
        "WHERE opportunity_id = ?",
        [DEAL],
    ).fetchall()
    assert rows == [
        ("Demo to the CFO", "Claire", "2026-12-04", "deal", USER, "2026-11-20T12:00:00")
    ]


def test_bad_due_date_shows_an_error_and_saves_nothing(demo_db: Database, tmp_path: Path) -> None:
    async def scenario(pilot: Any) -> None:
        await pilot.press("t")
        await pilot.pause()
        dialog = pilot.app.screen
        dialog.query_one("#next-step-what", Input).value = "Demo"
        dialog.query_one("#next-step-due", Input).value = "04/12/2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is dialog
        assert "not YYYY-MM-DD" in text_of(dialog.query_one("#next-step-error"))
        dialog.query_one("#next-step-what", Input).value = "  "
        dialog.query_one("#next-step-due", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "'what' is empty" in text_of(dialog.query_one("#next-step-error"))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, DealScreen)

    run(new_app(demo_db, tmp_path), scenario)
    assert next_steps.history(demo_db, DEAL) == []


def test_past_due_date_is_saved_and_shown_overdue(demo_db: Database, tmp_path: Path) -> None:
    async def scenario(pilot: Any) -> None:
        await pilot.press("t")
        await pilot.pause()
        dialog = pilot.app.screen
        dialog.query_one("#next-step-what", Input).value = "Call back"
        dialog.query_one("#next-step-due", Input).value = "2026-11-10"
        await pilot.press("ctrl+s")
        await settle(pilot)
        head = text_of(pilot.app.screen.query_one("#deal-head"))
        assert "OVERDUE by 10 days" in head
        await pilot.press("p")
        await settle(pilot)
        checklist = pilot.app.screen
        assert isinstance(checklist, ChecklistScreen)
        # A French deal: the checklist speaks French.
        assert "Prochaine étape convenue: Call back" in checklist.markdown
        assert "EN RETARD de 10 jours" in checklist.markdown
        assert checklist.query_one("#checklist-md", Markdown) is not None

    run(new_app(demo_db, tmp_path), scenario)
    step = next_steps.current(demo_db, DEAL)
    assert step is not None and step.what == "Call back" and not step.done


def test_pipeline_shows_the_next_step_wide_and_under_the_table(
    demo_db: Database, tmp_path: Path
) -> None:
    next_steps.set_next_step(demo_db, DEAL, "Demo to the CFO", due="2026-12-04")

    async def scenario(pilot: Any) -> None:
        pilot.app.pop_screen()
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, PipelineScreen)
        table = screen.query_one("#deals", DataTable)
        index = screen.rows.ids.index(DEAL)
        keys = [c.key.value for c in table.columns.values()]
        if pilot.app.size.width >= 130:
            assert "next_step" in keys
            assert "12-04 Demo to the CFO" in str(table.get_row_at(index)[keys.index("next_step")])
        else:
            assert "next_step" not in keys
        table.move_cursor(row=index)
        await pilot.pause()
        assert "next: 12-04 Demo to the CFO" in text_of(screen.query_one("#pipeline-row"))

    run(new_app(demo_db, tmp_path), scenario, size=(160, 40))
    run(new_app(demo_db, tmp_path), scenario, size=(80, 24))
