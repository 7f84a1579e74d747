"""Pilot test: the deal screen's People dialog (key w), one key to accept, one to dismiss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from sqlite_utils import Database
from test_tui_app import new_app, run, settle
from textual.widgets import DataTable, Static

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.review.deal_analysis import analyze_deal
from kamcoach.storage import repo
from kamcoach.tui.dialogs.people import PeopleDialog
from kamcoach.tui.screens.deal import DealScreen


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture
def analysed(db: Database, playbooks: PlaybookSet, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("KAMCOACH_USER", "Camille Martin")
    db["accounts"].insert({"id": 1, "name": "Acme", "created_at": "2026-01-01T10:00:00"})
    db["opportunities"].insert(
        {
            "id": 1,
            "account_id": 1,
            "name": "Acme ERP",
            "amount": 150000,
            "currency": "EUR",
            "stage": "proposal",
            "close_date": "2026-12-30",
            "owner": "Alice",
            "playbook": "meddic",
            "created_at": "2026-11-01T10:00:00",
            "stage_changed_at": "2026-11-01T10:00:00",
        }
    )
    repo.add_note(
        db,
        1,
        "Procurement (Anna Weiss) wants a discount. Sarah Chen is against it.",
        created_at="2026-11-18T10:00:00",
    )
    analyze_deal(db, 1, playbooks)  # the proposals are written with the analysis
    return db


def test_accept_one_dismiss_one_from_the_deal_screen(
    analysed: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(analysed, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        await pilot.press("w")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, PeopleDialog)
        table = dialog.query_one("#people-table", DataTable)
        assert table.row_count == 2
        quote = dialog.query_one("#people-quote", Static).render()
        assert "Procurement (Anna Weiss) wants a discount." in str(quote)

        await pilot.press("y")  # accept Anna Weiss as a new contact
        await settle(pilot)
        assert table.row_count == 1
        await pilot.press("d")  # dismiss "Sarah Chen is against it"
        await settle(pilot)
        assert table.row_count == 0
        await pilot.press("escape")
        await settle(pilot)
        deal = pilot.app.screen
        assert isinstance(deal, DealScreen)
        contacts = deal.query_one("#contacts", Static).render()
        assert "Anna Weiss" in (contacts.plain if isinstance(contacts, Text) else str(contacts))

    run(app, scenario)
    decided = [
        tuple(r)
        for r in analysed.execute(
            "SELECT kind, status, decided_by, result_contact_id IS NOT NULL FROM proposals "
            "ORDER BY id"
        )
    ]
    assert decided == [
        ("contact", "accepted", "Camille Martin", 1),
        ("stance", "dismissed", "Camille Martin", 0),
    ]
    anna = analysed.execute(
        "SELECT c.name, c.buying_role, oc.engaged FROM contacts c "
        "JOIN opportunity_contacts oc ON oc.contact_id = c.id WHERE oc.opportunity_id = 1"
    ).fetchall()
    assert anna == [("Anna Weiss", "procurement", 1)]


def test_people_dialog_with_nothing_to_decide(
    db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from kamcoach.io.demo import load_demo

    load_demo(db)
    app = new_app(db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, PeopleDialog)
        assert "Nothing to decide" in str(dialog.query_one("#people-quote", Static).render())
        await pilot.press("y")  # nothing selected: nothing happens
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)

    run(app, scenario)
    assert db["proposals"].count == 0


def test_quotes_and_names_are_shown_verbatim(
    db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    """A note is user text: '[bold]' in it is shown, never read as markup (nor a crash)."""
    db["accounts"].insert({"id": 1, "name": "Acme", "created_at": "2026-01-01T10:00:00"})
    db["opportunities"].insert(
        {
            "id": 1,
            "account_id": 1,
            "name": "[red]Deal[/]",
            "amount": 1000,
            "currency": "EUR",
            "stage": "discovery",
            "close_date": "2026-12-30",
            "owner": "Alice",
            "playbook": "meddic",
            "created_at": "2026-11-01T10:00:00",
            "stage_changed_at": "2026-11-01T10:00:00",
        }
    )
    repo.add_note(db, 1, "Sarah Chen is against [bold]it[/].", created_at="2026-11-18T10:00:00")
    analyze_deal(db, 1, playbooks)
    app = new_app(db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, PeopleDialog)
        assert "[bold]it[/]" in str(dialog.query_one("#people-quote", Static).render())
        assert "[red]Deal[/]" in str(dialog.query_one("Label").render())

    run(app, scenario)
