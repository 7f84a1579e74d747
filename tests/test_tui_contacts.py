"""Pilot tests of the contacts screen (key k on a deal): add, edit, link, asserted on the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from test_tui_app import new_app, run, settle
from textual.widgets import Checkbox, Input, Select, Static

from kamcoach.io.demo import load_demo
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.tui.dialogs.contact import ContactDialog
from kamcoach.tui.screens.contacts import ContactsScreen
from kamcoach.tui.screens.deal import DealScreen

DEAL = 4  # Connecteur WMS – entrepôts Lyon, at Groupe Valmont Logistique (account 1)


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture
def demo_db(db: Database) -> Database:
    load_demo(db)
    return db


def contact(db: Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM contacts WHERE name = ?", [name]))
    return rows[0] if rows else None


def link(db: Database, contact_id: int) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT role, engaged FROM opportunity_contacts "
            "WHERE opportunity_id = ? AND contact_id = ?",
            [DEAL, contact_id],
        )
    )
    return rows[0] if rows else None


async def open_contacts(pilot: Any) -> ContactsScreen:
    pilot.app.open_deal(DEAL)
    await settle(pilot)
    assert isinstance(pilot.app.screen, DealScreen)
    await pilot.press("k")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ContactsScreen)
    return screen


async def type_into(pilot: Any, dialog: ContactDialog, selector: str, text: str) -> None:
    dialog.query_one(selector, Input).focus()
    await pilot.press(*["space" if ch == " " else ch for ch in text])


def test_add_a_contact_from_the_deal_and_link_it_with_a_role(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        screen = await open_contacts(pilot)
        assert {r["name"] for r in screen.rows} >= {"Hélène Dubois", "Olivier Fabre"}
        assert {r["name"]: r["linked"] for r in screen.rows}["Olivier Fabre"] is True
        await pilot.press("a")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ContactDialog)
        await type_into(pilot, dialog, "#c-name", "Inès Moreau")
        await type_into(pilot, dialog, "#c-title", "Responsable entrepôt Lyon")
        dialog.query_one("#c-role", Select).value = "user"
        dialog.query_one("#c-stance", Select).value = "supporter"
        dialog.query_one("#c-influence", Select).value = "medium"
        dialog.query_one("#c-reports", Select).value = 5  # Olivier Fabre
        assert dialog.query_one("#c-link", Checkbox).value is True  # on this deal by default
        dialog.query_one("#c-deal-role", Select).value = "champion"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "Inès Moreau" in {r["name"] for r in screen.rows}
        await pilot.press("escape")
        await settle(pilot)
        deal_screen = pilot.app.screen
        assert isinstance(deal_screen, DealScreen)
        panel = str(deal_screen.query_one("#contacts", Static).render())
        assert "Inès Moreau" in panel and "champion · supporter · medium influence" in panel

    run(app, scenario)
    row = contact(demo_db, "Inès Moreau")
    assert row is not None
    assert (row["account_id"], row["title"], row["buying_role"]) == (
        1,
        "Responsable entrepôt Lyon",
        "user",
    )
    assert (row["stance"], row["influence"], row["reports_to_id"]) == ("supporter", "medium", 5)
    assert link(demo_db, row["id"]) == {"role": "champion", "engaged": 1}


def test_edit_a_stance_and_a_bad_date_saves_nothing(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    before = contact(demo_db, "Olivier Fabre")

    async def scenario(pilot: Any) -> None:
        screen = await open_contacts(pilot)
        names = [r["name"] for r in screen.rows]
        for _ in range(names.index("Olivier Fabre")):
            await pilot.press("down")
        await pilot.press("e")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ContactDialog)
        assert dialog.query_one("#c-name", Input).value == "Olivier Fabre"
        assert dialog.query_one("#c-deal-role", Select).value == "champion"  # his role here
        dialog.query_one("#c-stance", Select).value = "sceptic"
        await type_into(pilot, dialog, "#c-last", "18/11/2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is dialog  # refused: the form stays open, with the reason
        error = str(dialog.query_one("#contact-error", Static).render())
        assert "not YYYY-MM-DD" in error and "nothing was saved" in error
        assert contact(demo_db, "Olivier Fabre") == before
        dialog.query_one("#c-last", Input).value = "2026-11-18"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen

    run(app, scenario)
    after = contact(demo_db, "Olivier Fabre")
    assert after is not None and before is not None
    assert (after["stance"], after["last_contact_at"]) == ("sceptic", "2026-11-18")
    assert after["buying_role"] == before["buying_role"] == "influencer"
    assert link(demo_db, after["id"]) == {"role": "champion", "engaged": 1}  # untouched


def test_a_duplicate_is_refused_then_saved_on_a_second_ctrl_s(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        await open_contacts(pilot)
        await pilot.press("a")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ContactDialog)
        await type_into(pilot, dialog, "#c-name", "helene dubois")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = str(dialog.query_one("#contact-error", Static).render())
        assert "contact id 1" in error and "ctrl+s again" in error
        assert len(list(demo_db.query("SELECT id FROM contacts WHERE account_id = 1"))) == 5
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactsScreen)

    run(app, scenario)
    assert len(list(demo_db.query("SELECT id FROM contacts WHERE account_id = 1"))) == 6


def test_l_takes_a_contact_off_the_deal_and_back(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    states: list[dict[str, Any] | None] = []

    async def scenario(pilot: Any) -> None:
        screen = await open_contacts(pilot)
        names = [r["name"] for r in screen.rows]
        for _ in range(names.index("Hélène Dubois")):
            await pilot.press("down")
        await pilot.press("l")
        await settle(pilot)
        states.append(link(demo_db, 1))
        assert {r["name"]: r["linked"] for r in screen.rows}["Hélène Dubois"] is True
        await pilot.press("l")
        await settle(pilot)
        states.append(link(demo_db, 1))
        await pilot.press("enter")  # enter edits too; escape leaves everything as it was
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ContactDialog)
        assert dialog.query_one("#c-name", Input).value == "Hélène Dubois"
        assert dialog.query_one("#c-link", Checkbox).value is False
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen

    assert link(demo_db, 1) is None  # Hélène is not on deal 4 in the demo
    run(app, scenario)
    assert states == [{"role": None, "engaged": 1}, None]


def test_names_that_look_like_markup_are_shown_as_written(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from kamcoach.records.contacts import add_contact

    hostile = "[/red]Zoé [link=https://x.example]Ærø[/link] \\"
    add_contact(demo_db, 1, hostile, title="[b]DSI[/b]", deal=DEAL, deal_role="blocker")
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        screen = await open_contacts(pilot)
        assert hostile in {r["name"] for r in screen.rows}
        table = screen.query_one("#contacts-table")
        shown = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert hostile in shown
        await pilot.press("escape")
        await settle(pilot)
        panel = str(pilot.app.screen.query_one("#contacts", Static).render())
        assert hostile in panel and "[b]DSI[/b]" in panel

    run(app, scenario)
