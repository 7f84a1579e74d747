"""SVG snapshots of the main screens on the demo data (date pinned by conftest).

Regenerate with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look
at the result (run the app in tmux at 100x30, 80x24 and 120x40, or read the SVGs'
text) before committing.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from kamcoach.io.demo import load_demo
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.tui.app import KamcoachApp, make_app

SIZE = (100, 30)
DEAL = 10


@pytest.fixture
def app(db: Database, tmp_path: Path) -> KamcoachApp:
    load_demo(db)
    # Analyse the demo deal up front so the snapshots show real scores and evidence.
    with contextlib.suppress(ImportError):
        from kamcoach.review.deal_analysis import analyze_deal

        analyze_deal(db, DEAL, load_playbooks())
    return make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)


async def settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    pilot.app.clear_notifications()
    for area in pilot.app.screen.query("TextArea, Input"):
        area.cursor_blink = False
    await pilot.pause()


def test_pipeline_snapshot(app: KamcoachApp, snap_compare: Any) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_deal_snapshot(app: KamcoachApp, snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_deal(DEAL)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_qualify_snapshot(app: KamcoachApp, snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_qualify(DEAL)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_checklist_snapshot(app: KamcoachApp, snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_checklist(DEAL)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
"""The smallest terminal the app is made for, and a roomy one (issue 13)."""


@pytest.mark.parametrize("size", list(SIZES))
def test_pipeline_snapshot_sizes(app: KamcoachApp, snap_compare: Any, size: str) -> None:
    """Score and flags on screen, long names cut with "…", the footer on one line."""
    assert snap_compare(app, terminal_size=SIZES[size], run_before=settle)


@pytest.mark.parametrize("size", list(SIZES))
def test_deal_snapshot_sizes(app: KamcoachApp, snap_compare: Any, size: str) -> None:
    """The scorecard fits its pane (no scrollbar of its own), one scrollbar per pane."""

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_deal(DEAL)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
