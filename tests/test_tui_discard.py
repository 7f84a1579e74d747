"""Escape never throws away a typed note or qualification answers without asking.

Issue 13 defect 10. The question defaults to keeping the text: escape (or n)
goes back to it; only y discards, and then nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite_utils import Database
from textual.widgets import TextArea

from kamcoach.playbooks.model import PlaybookSet
from kamcoach.storage import repo
from kamcoach.tui.dialogs.discard import ConfirmDiscard
from kamcoach.tui.dialogs.note import NoteDialog
from kamcoach.tui.screens.deal import DealScreen
from kamcoach.tui.screens.qualify import QualifyScreen
from tests.test_tui_app import new_app, run, settle


def test_escape_on_a_typed_note_asks_and_keeps_it_by_default(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    before = len(repo.deal_notes(demo_db, 1))

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, NoteDialog)
        dialog.query_one(TextArea).insert("The CFO signs anything over 50k.")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmDiscard)
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert pilot.app.screen is dialog
        assert dialog.query_one(TextArea).text == "The CFO signs anything over 50k."
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # discard
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        # An empty note closes at once.
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, DealScreen)

    run(app, scenario)
    assert len(repo.deal_notes(demo_db, 1)) == before


def test_escape_on_qualification_answers_asks_first(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    reviews = len(repo.deal_reviews(demo_db, 1, author_kind="rep"))

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, QualifyScreen)
        screen.query_one("#said", TextArea).insert("They lose 3 days per order.")
        await pilot.pause(0.6)
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmDiscard)
        await pilot.press("n")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert "3 days per order" in screen.query_one("#said", TextArea).text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)

    run(app, scenario)
    assert len(repo.deal_reviews(demo_db, 1, author_kind="rep")) == reviews
