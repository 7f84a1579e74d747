"""The terminal app's checklist export follows the CLI's output rules (issue 11, items 3 and 6).

The database is refused as a target, an existing file is replaced only when
the user presses enter a second time on the same name, and the file is
created with mode 0600.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kc_seed import seed_small
from sqlite_utils import Database
from textual.widgets import Input

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.tui.app import make_app
from kamcoach.tui.dialogs.export import ExportDialog
from kamcoach.tui.screens.checklist import ChecklistScreen

DEAL = 1  # seed_small's deal 1 has an up-to-date analyser review: no spaCy needed


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def dump(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


async def settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def submit(pilot: Any, value: str) -> None:
    """Type a path in the open export dialog and press enter."""
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    dialog.query_one(Input).value = value
    await pilot.press("enter")
    await settle(pilot)


def test_checklist_export_refuses_the_database_and_asks_before_overwriting(
    db: Database, db_path: Path, tmp_path: Path, umask_022: None
) -> None:
    seed_small(db)
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)
    existing = tmp_path / "prep.md"
    existing.write_text("notes for Monday\n", encoding="utf-8")
    seen: dict[str, Any] = {}
    notices: list[str] = []
    notify = app.notify

    def recording_notify(message: str, **kwargs: Any) -> None:
        notices.append(message)
        notify(message, **kwargs)

    app.notify = recording_notify  # type: ignore[method-assign]

    async def scenario(pilot: Any) -> None:
        await pilot.app.push_screen(ChecklistScreen(DEAL))
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ChecklistScreen) and screen.checklist is not None
        # Opening the checklist analyses notes that lack an analysis; the export writes nothing.
        seen["before"] = dump(db_path)
        await pilot.press("e")
        await settle(pilot)
        for target in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            await submit(pilot, str(target))
            assert isinstance(pilot.app.screen, ExportDialog), target  # refused, still asking
        await submit(pilot, str(existing))
        assert isinstance(pilot.app.screen, ExportDialog)  # asks first
        seen["asked"] = existing.read_text(encoding="utf-8")
        await submit(pilot, str(existing))  # the same name again: overwrite
        assert isinstance(pilot.app.screen, ChecklistScreen)
        seen["markdown"] = screen.markdown

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())
    assert dump(db_path) == seen["before"]
    refusals = [m for m in notices if "is the database" in m]
    assert len(refusals) == 3 and str(db_path) in refusals[0], notices
    assert seen["asked"] == "notes for Monday\n"
    assert existing.read_text(encoding="utf-8") == seen["markdown"]
    assert stat.S_IMODE(os.stat(existing).st_mode) == 0o600
    assert not list(tmp_path.glob("*.part"))


def test_checklist_export_creates_a_private_file(
    db: Database, tmp_path: Path, umask_022: None
) -> None:
    seed_small(db)
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.app.push_screen(ChecklistScreen(DEAL))
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
            await pilot.press("enter")  # the default name
            await settle(pilot)

    asyncio.run(main())
    (written,) = tmp_path.glob(f"prep-{DEAL}-*.md")
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600
