"""Pilot tests of the deal forms: new deal (pipeline n), edit (e), close (c), pause/resume (z).

Each test drives the real app on a real SQLite file with the keyboard and
asserts on the DATABASE afterwards: the deal row and its history rows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from textual.widgets import Checkbox, Input, Select, Static

from kamcoach.io.demo import load_demo
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.storage import repo
from kamcoach.tui.app import KamcoachApp, make_app
from kamcoach.tui.dialogs.deal_form import DealForm
from kamcoach.tui.dialogs.deal_status import DealStatusDialog
from kamcoach.tui.screens.deal import DealScreen
from kamcoach.tui.screens.pipeline import PipelineScreen

SIZE = (100, 30)
USER = "Camille Martin"


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture
def demo_db(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("KAMCOACH_USER", USER)
    load_demo(db)
    return db


def run(app: KamcoachApp, scenario: Callable[[Any], Awaitable[None]]) -> None:
    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())


async def settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def type_in(pilot: Any, selector: str, text: str) -> None:
    """Focus the input and type ``text`` key by key (replacing what it held)."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    await pilot.pause()
    await pilot.press(*text)


def new_app(db: Database, playbooks: PlaybookSet, tmp_path: Path) -> KamcoachApp:
    return make_app(db, playbooks, preload_model=False, export_dir=tmp_path)


def history(db: Database, deal_id: int) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in db.execute(
            "SELECT field, old_value, new_value, author, reason, source FROM opportunity_history "
            "WHERE opportunity_id = ? AND source = 'user' ORDER BY id",
            [deal_id],
        ).fetchall()
    ]


def open_deal_id(db: Database) -> int:
    """An open, not paused demo deal."""
    for d in repo.list_deals(db, include_closed=False):
        if repo.get_deal(db, d["id"])["pause_reason"] is None:
            return int(d["id"])
    raise AssertionError("the demo has no open deal")


def test_new_deal_from_the_pipeline_is_stored_listed_and_opened(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    before = demo_db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0]

    async def scenario(pilot: Any) -> None:
        assert isinstance(pilot.app.screen, PipelineScreen)
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, DealForm)
        assert form.query_one("#owner", Input).value == USER  # the user by default
        assert form.query_one("#playbook", Select).value == "meddic"  # team default
        await type_in(pilot, "#account", "Brand New SA")
        form.query_one("#new-account", Checkbox).value = True
        await type_in(pilot, "#name", "Warehouse pilot")
        await type_in(pilot, "#amount", "25 000")
        await type_in(pilot, "#close_date", "2027-02-28")
        form.query_one("#stage", Select).value = "qualification"
        form.query_one("#playbook", Select).value = "meddpicc"
        await pilot.press("ctrl+s")
        await settle(pilot)
        deal = pilot.app.screen
        assert isinstance(deal, DealScreen), pilot.app.screen
        row = repo.get_deal(demo_db, deal.deal_id)
        assert (row["name"], row["account"], row["amount"], row["stage"]) == (
            "Warehouse pilot",
            "Brand New SA",
            25000.0,
            "qualification",
        )
        assert (row["close_date"], row["owner"], row["playbook"], row["source"]) == (
            "2027-02-28",
            USER,
            "meddpicc",
            "user",
        )
        assert row["rep_id"] is not None
        assert history(demo_db, deal.deal_id) == []
        await pilot.press("escape")
        await settle(pilot)
        pipeline = pilot.app.screen
        assert isinstance(pipeline, PipelineScreen)
        assert deal.deal_id in {r.id for r in pipeline.rows}

    run(app, scenario)
    assert demo_db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0] == before + 1


def test_new_deal_form_takes_config_defaults(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    """config.toml [defaults] owner and playbook fill the form, as `kamcoach deals add`."""
    from kamcoach.preferences import config_file

    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(
        '[defaults]\nowner = "Julien Roche"\nplaybook = "bant"\n', encoding="utf-8"
    )
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, DealForm)
        assert form.query_one("#owner", Input).value == "Julien Roche"
        assert form.query_one("#playbook", Select).value == "bant"
        await pilot.press("escape")
        await settle(pilot)

    run(app, scenario)


def test_new_deal_errors_stay_in_the_form_and_save_nothing(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    before = demo_db.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM accounts) FROM opportunities")
    counts = tuple(before.fetchone())

    async def scenario(pilot: Any) -> None:
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        await type_in(pilot, "#account", "Nowhere Ltd")
        await type_in(pilot, "#name", "Ghost deal")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        error = str(form.query_one("#deal-form-error", Static).render())
        assert "Not saved" in error and "no account named 'Nowhere Ltd'" in error
        assert "New account" in error
        form.query_one("#new-account", Checkbox).value = True
        await type_in(pilot, "#amount", "lots")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "not a number" in str(form.query_one("#deal-form-error", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PipelineScreen)

    run(app, scenario)
    after = demo_db.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM accounts) FROM opportunities")
    assert tuple(after.fetchone()) == counts


def test_edit_a_stage_on_the_deal_screen_writes_one_history_row(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    deal_id = open_deal_id(demo_db)
    old = repo.get_deal(demo_db, deal_id)
    target = "negotiation" if old["stage"] != "negotiation" else "proposal"

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(deal_id)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, DealForm)
        assert form.query_one("#stage", Select).value == old["stage"]  # prefilled
        assert form.query_one("#owner", Input).value == old["owner"]
        form.query_one("#stage", Select).value = target
        await type_in(pilot, "#reason", "Legal review started")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        head = str(pilot.app.screen.query_one("#deal-head", Static).render())
        assert target in head

    run(app, scenario)
    row = repo.get_deal(demo_db, deal_id)
    assert row["stage"] == target
    assert (row["amount"], row["close_date"], row["owner"], row["playbook"]) == (
        old["amount"],
        old["close_date"],
        old["owner"],
        old["playbook"],
    )
    assert history(demo_db, deal_id) == [
        ("stage", old["stage"], target, USER, "Legal review started", "user")
    ]


def test_close_lost_with_a_reason_on_the_deal_screen(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    deal_id = open_deal_id(demo_db)
    stage = repo.get_deal(demo_db, deal_id)["stage"]

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(deal_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, DealStatusDialog) and dialog.kind == "close"
        await pilot.press("ctrl+s")  # no reason yet: refused in the dialog
        await settle(pilot)
        assert pilot.app.screen is dialog
        assert "give a reason" in str(dialog.query_one("#status-error", Static).render())
        assert repo.get_deal(demo_db, deal_id)["stage"] == stage
        assert dialog.query_one("#outcome", Select).value is False  # lost
        await type_in(pilot, "#reason", "Chose a competitor")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        head = str(pilot.app.screen.query_one("#deal-head", Static).render())
        assert "closed lost: Chose a competitor" in head

    run(app, scenario)
    row = repo.get_deal(demo_db, deal_id)
    assert (row["stage"], row["close_reason"]) == ("closed_lost", "Chose a competitor")
    assert history(demo_db, deal_id) == [
        ("stage", stage, "closed_lost", USER, "Chose a competitor", "user"),
        ("close_reason", None, "Chose a competitor", USER, "Chose a competitor", "user"),
    ]


def test_pause_then_resume_with_reasons(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    deal_id = open_deal_id(demo_db)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(deal_id)
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, DealStatusDialog) and dialog.kind == "pause"
        await type_in(pilot, "#reason", "Budget frozen")
        await type_in(pilot, "#until", "2020-01-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is dialog  # a past end date is refused, inline
        assert "in the past" in str(dialog.query_one("#status-error", Static).render())
        assert repo.get_deal(demo_db, deal_id)["pause_reason"] is None
        await type_in(pilot, "#until", "2027-04-15")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        row = repo.get_deal(demo_db, deal_id)
        assert (row["pause_reason"], row["paused_until"]) == ("Budget frozen", "2027-04-15")
        head = str(pilot.app.screen.query_one("#deal-head", Static).render())
        assert "paused until 2027-04-15: Budget frozen" in head
        await pilot.press("z")
        await settle(pilot)
        resume = pilot.app.screen
        assert isinstance(resume, DealStatusDialog) and resume.kind == "resume"
        await type_in(pilot, "#reason", "Budget released")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)

    run(app, scenario)
    row = repo.get_deal(demo_db, deal_id)
    assert (row["pause_reason"], row["paused_until"]) == (None, None)
    assert history(demo_db, deal_id) == [
        ("pause", "active", "paused", USER, "Budget frozen", "user"),
        ("pause", "paused", "active", USER, "Budget released", "user"),
    ]


def test_palette_offers_the_deal_actions_of_the_screen(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from kamcoach.tui.deal_commands import DealCommands

    app = new_app(demo_db, playbooks, tmp_path)
    deal_id = open_deal_id(demo_db)

    async def labels(pilot: Any) -> list[str]:
        provider = DealCommands(pilot.app.screen)
        return [str(hit.text) async for hit in provider.discover()]

    async def scenario(pilot: Any) -> None:
        assert await labels(pilot) == ["New deal"]
        pilot.app.open_deal(deal_id)
        await settle(pilot)
        assert await labels(pilot) == [
            "Edit deal",
            "Close deal won or lost",
            "Pause or resume deal",
        ]

    run(app, scenario)
