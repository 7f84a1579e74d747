"""Two writers at once take turns instead of failing (issue 11.2).

Real processes on a real SQLite file: two ``deals analyze --all``, two
imports, and a TUI note saved while another process holds the write lock,
within and beyond the busy timeout. A write that still fails keeps the typed
note in its dialog and says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from kamcoach.io.demo import load_demo
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.storage import repo
from kamcoach.storage.db import open_db
from kamcoach.storage.migrations import SCHEMA_VERSION_NAMES
from kamcoach.tui.app import make_app
from kamcoach.tui.dialogs.note import NoteDialog
from kamcoach.tui.screens.deal import DealScreen

ROOT = Path(__file__).resolve().parent.parent

#: Holds SQLite's write lock (BEGIN IMMEDIATE) for argv[2] seconds, as a long import does.
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def start_kamcoach(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kamcoach", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out, err


@contextlib.contextmanager
def write_lock_held(db: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the write lock from now for ``seconds``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    try:
        yield proc
    finally:
        proc.communicate(timeout=30)


# ---------------------------------------------------------------- CLI writers


def test_two_deals_analyze_all_at_once(tmp_path: Path) -> None:
    """Both runs succeed and together store one analyser review per deal, not two."""
    path = tmp_path / "kamcoach.db"
    db = open_db(path)
    load_demo(db)
    # One short English note per deal: the runs spend their time writing, not in spaCy.
    db.execute(
        "DELETE FROM notes WHERE id NOT IN (SELECT MIN(id) FROM notes GROUP BY opportunity_id)"
    )
    for note_id, deal_id in db.execute("SELECT id, opportunity_id FROM notes").fetchall():
        text = f"Deal {deal_id}: the CFO confirmed a budget of 50k; decision by March."
        db.execute(
            "UPDATE notes SET text = ?, lang = 'en', content_hash = ? WHERE id = ?",
            [text, repo.content_hash(text), note_id],
        )
    db.conn.commit()
    deals = [r[0] for r in db.execute("SELECT DISTINCT opportunity_id FROM notes")]
    db.close()

    first = start_kamcoach(path, "deals", "analyze", "--all", "--format", "jsonl")
    second = start_kamcoach(path, "deals", "analyze", "--all", "--format", "jsonl")
    for rc, out, err in (finish(first), finish(second)):
        assert rc == 0, err
        assert "locked" not in err and "Traceback" not in err
        assert len(out.splitlines()) == len(deals)
    db = Database(path)
    per_deal = dict(
        db.execute(
            "SELECT opportunity_id, COUNT(*) FROM reviews WHERE author_kind = 'analyser' "
            "GROUP BY opportunity_id"
        ).fetchall()
    )
    assert per_deal == dict.fromkeys(deals, 1)
    db.close()


def _crm_file(path: Path, prefix: str, rows: int, accounts: int) -> None:
    """A Salesforce opportunities export; both files share the same account names."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["Opportunity ID", "Opportunity Name", "Account Name", "Stage", "Amount", "Close Date"]
        )
        for i in range(rows):
            writer.writerow(
                [
                    f"006{prefix}{i:07d}",
                    f"{prefix} deal {i}",
                    f"Shared Account {i % accounts}",
                    "Qualification",
                    f"{1000 + i}",
                    "2027-03-31",
                ]
            )


def test_two_imports_at_once(tmp_path: Path) -> None:
    """Both apply; the second plans on what the first wrote (no duplicate accounts)."""
    path = tmp_path / "kamcoach.db"
    open_db(path).close()
    first_csv, second_csv = tmp_path / "a.csv", tmp_path / "b.csv"
    _crm_file(first_csv, "AAA", 4000, 300)
    _crm_file(second_csv, "BBB", 4000, 300)
    first = start_kamcoach(path, "import", str(first_csv), "--mapping", "salesforce")
    second = start_kamcoach(path, "import", str(second_csv), "--mapping", "salesforce")
    for rc, _out, err in (finish(first), finish(second)):
        assert rc == 0, err
        assert "Traceback" not in err
    db = Database(path)
    assert db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0] == 8000
    assert db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 300
    db.close()


def test_first_runs_on_a_new_file_at_once(tmp_path: Path) -> None:
    """Four first runs used to race on the migrations ('table accounts already exists')."""
    path = tmp_path / "new.db"
    procs = [start_kamcoach(path, "accounts", "list") for _ in range(4)]
    for rc, _out, err in map(finish, procs):
        assert rc == 0 and err == "", err
    db = Database(path)
    applied = db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0]
    assert applied == len(SCHEMA_VERSION_NAMES)
    db.close()


# ---------------------------------------------------------------- TUI note


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    path = tmp_path / "kamcoach.db"
    db = open_db(path)
    load_demo(db)
    db.close()
    return path


async def _settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _run_note_scenario(db: Database, scenario: Any) -> None:
    app = make_app(db, load_playbooks(), preload_model=False)
    app.analyse_deal = lambda deal_id: None  # type: ignore[method-assign]

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await _settle(pilot)
            pilot.app.open_deal(1)
            await _settle(pilot)
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(pilot.app.screen, NoteDialog)
            pilot.app.screen.query_one("TextArea").insert("Met the CFO: budget 200k confirmed.")
            await scenario(pilot)

    asyncio.run(main())


def test_tui_note_waits_for_another_writer(demo_path: Path) -> None:
    db = open_db(demo_path)
    before = len(repo.deal_notes(db, 1))
    waited: list[float] = []

    async def scenario(pilot: Any) -> None:
        with write_lock_held(demo_path, 1.5):
            started = time.perf_counter()
            await pilot.press("ctrl+s")
            await _settle(pilot)
            waited.append(time.perf_counter() - started)
        await _settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)

    _run_note_scenario(db, scenario)
    assert waited[0] > 0.5  # the save really met the other process's lock
    notes = repo.deal_notes(db, 1)
    assert len(notes) == before + 1 and notes[0]["text"].startswith("Met the CFO")
    db.close()


def test_tui_note_kept_in_dialog_when_lock_outlasts_timeout(demo_path: Path) -> None:
    """Used to say "Note saved", close the dialog and lose the note."""
    db = open_db(demo_path)
    db.execute("PRAGMA busy_timeout = 300")  # shorter than the other writer's 3 s
    before = len(repo.deal_notes(db, 1))

    async def scenario(pilot: Any) -> None:
        with write_lock_held(demo_path, 3):
            await pilot.press("ctrl+s")
            await _settle(pilot)
            dialog = pilot.app.screen
            assert isinstance(dialog, NoteDialog)
            assert dialog.query_one("TextArea").text == "Met the CFO: budget 200k confirmed."
            assert dialog.error is not None and "busy" in dialog.error
            shown = str(dialog.query_one("#note-error").render())
            assert "Not saved" in shown and "busy" in shown
        await pilot.press("ctrl+s")  # the other writer is done: saving again works
        await _settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)

    _run_note_scenario(db, scenario)
    notes = repo.deal_notes(db, 1)
    assert len(notes) == before + 1 and notes[0]["text"].startswith("Met the CFO")
    db.close()


def test_tui_override_kept_in_dialog_when_lock_outlasts_timeout(demo_path: Path) -> None:
    """The override's typed reason was lost the same way as a note."""
    from kamcoach.tui.dialogs.override import OverrideDialog

    db = open_db(demo_path)
    db.execute("PRAGMA busy_timeout = 300")
    app = make_app(db, load_playbooks(), preload_model=False)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await _settle(pilot)
            pilot.app.open_deal(1)
            await _settle(pilot)
            deal = pilot.app.screen
            await pilot.press("o")
            await pilot.pause()
            dialog = pilot.app.screen
            assert isinstance(dialog, OverrideDialog)
            dialog.query_one("#score").value = 3
            dialog.query_one("#reason").value = "met the CFO on site"
            with write_lock_held(demo_path, 3):
                await pilot.press("ctrl+s")
                await _settle(pilot)
                assert pilot.app.screen is dialog
                assert dialog.query_one("#reason").value == "met the CFO on site"
                assert dialog.error is not None and "busy" in dialog.error
            await pilot.press("ctrl+s")
            await _settle(pilot)
            assert pilot.app.screen is deal

    asyncio.run(main())
    stored = [r for r in repo.deal_reviews(db, 1) if r.author_kind == "rep"]
    assert (
        len(stored) == 1 and next(iter(stored[0].scores.values())).reason == "met the CFO on site"
    )
    db.close()
