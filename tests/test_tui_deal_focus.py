"""The deal screen's scorecard has the keyboard as soon as the deal is shown.

Issue 13 defect 1: right after the screen opened, the arrows scrolled the
pane instead of moving in the scorecard, so `o` overrode the first criterion
whatever row the user meant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite_utils import Database
from textual.widgets import DataTable

from kamcoach.playbooks.model import PlaybookSet
from kamcoach.tui.dialogs.override import OverrideDialog
from tests.test_tui_app import new_app, run, settle


def test_arrows_move_in_the_scorecard_right_after_the_deal_opens(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        await pilot.press("enter")  # open the first deal of the pipeline, as a user does
        await settle(pilot)
        deal = pilot.app.screen
        scorecard = deal.query_one("#scorecard", DataTable)
        assert pilot.app.focused is scorecard
        await pilot.press("down", "down")
        assert scorecard.cursor_row == 2
        await pilot.press("o")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, OverrideDialog)
        assert dialog.criterion == list(deal.view.scores)[2]

    run(app, scenario)
