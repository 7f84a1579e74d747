"""The pipeline screen pages through a large pipeline instead of building every row.

Issue 11 (performance): the review of 100k deals builds rows only for what
is shown; the TUI puts a first page in the table and adds the next one as
the cursor nears its end, so opening the screen costs a page, not the
pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review.pipeline_model import DealRows
from kamcoach.storage.db import open_db
from kamcoach.tui.app import make_app
from kamcoach.tui.screens.pipeline import PAGE, PipelineScreen

ROOT = Path(__file__).resolve().parent.parent


def _build(path: Path, n: int) -> None:
    spec = importlib.util.spec_from_file_location(
        "pipeline_review_bench", ROOT / "benchmarks" / "pipeline_review.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.build(path, n, seed=5)


async def _settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_pipeline_screen_pages_through_a_large_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    _build(path, 1200)
    db = open_db(path)
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await _settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, PipelineScreen)
            table = screen.query_one("#deals")
            total = len(screen.rows)
            assert total > 2 * PAGE
            assert isinstance(screen.report.deals, DealRows)
            assert table.row_count == PAGE  # one page in the table, not every deal
            info = str(screen.query_one("#pipeline-info").render())
            assert f"{total} deals" in info  # the count still covers the whole pipeline
            table.move_cursor(row=PAGE - 1)
            await pilot.pause()
            assert table.row_count == 2 * PAGE  # the next page came as the cursor neared the end
            assert screen.selected_deal_id() == screen.rows[PAGE - 1].id
            await pilot.press("s")  # another order: the table restarts from its first page
            await pilot.pause()
            assert table.row_count >= PAGE
            ids = [screen.rows[i].id for i in range(table.row_count)]
            assert len(set(ids)) == len(ids)

    asyncio.run(scenario())
    db.close()
