"""Reps: the core (list, add, edit, validation), the CLI, the importer filling them, the TUI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database
from textual.binding import Binding

from kamcoach.cli.main import main
from kamcoach.errors import InputError, NotFoundError
from kamcoach.io.demo import load_demo
from kamcoach.io.importer import import_file
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.records import reps
from kamcoach.records.reps import RepFields
from kamcoach.storage import repo
from kamcoach.storage.db import open_db
from kamcoach.tui.app import KamcoachApp, make_app
from kamcoach.tui.dialogs.filters import FilterDialog
from kamcoach.tui.dialogs.rep_form import RepDialog
from kamcoach.tui.screens.pipeline import PipelineScreen, short_owner
from kamcoach.tui.screens.reps import RepsScreen

DATA = Path(__file__).parent / "data" / "crm"


def cli(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def dump(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def demo_db(db: Database) -> Database:
    load_demo(db)
    return db


# ---------------------------------------------------------------- core


def test_list_reps_counts_open_deals_pipeline_and_accounts(demo_db: Database) -> None:
    rows = {r["name"]: r for r in reps.list_reps(demo_db)}
    assert set(rows) == {"Camille Martin", "Julien Roux", "Sarah Collins", "Thomas Nguyen"}
    camille = rows["Camille Martin"]
    open_deals = [
        d for d in repo.list_deals(demo_db, include_closed=False) if d["owner"] == "Camille Martin"
    ]
    assert camille["open_deals"] == len(open_deals)
    assert camille["open_pipeline"] == pytest.approx(sum(d["amount"] for d in open_deals))
    demo_db.execute("UPDATE accounts SET rep_id = ? WHERE id IN (1, 2)", [camille["id"]])
    assert {r["name"]: r["accounts"] for r in reps.list_reps(demo_db)}["Camille Martin"] == 2


def test_add_and_edit_every_field(demo_db: Database) -> None:
    sarah = reps.get_rep(demo_db, "sarah collins")["id"]
    new_id = reps.add_rep(
        demo_db,
        "  Nadia   Haddad ",
        RepFields(
            email="nadia@example.com", manager="Sarah Collins", team="Enterprise", language="FR"
        ),
    )
    nadia = reps.get_rep(demo_db, new_id)
    assert (
        nadia["name"],
        nadia["email"],
        nadia["manager_id"],
        nadia["team"],
        nadia["language"],
    ) == (
        "Nadia Haddad",
        "nadia@example.com",
        sarah,
        "Enterprise",
        "fr",
    )
    saved = reps.edit_rep(demo_db, "Nadia Haddad", RepFields(email="", manager="", language=""))
    assert (saved["email"], saved["manager_id"], saved["language"], saved["team"]) == (
        None,
        None,
        None,
        "Enterprise",
    )
    assert [r["name"] for r in reps.list_reps(demo_db, team="enterprise")] == ["Nadia Haddad"]


def test_rename_carries_to_every_deal_and_the_owner_filter(demo_db: Database) -> None:
    camille = reps.get_rep(demo_db, "Camille Martin")
    deal_ids = [
        r[0]
        for r in demo_db.execute("SELECT id FROM opportunities WHERE rep_id = ?", [camille["id"]])
    ]
    assert deal_ids
    reps.edit_rep(demo_db, camille["id"], RepFields(name="Camille Martin-Dupont"))
    owners = {
        r[0]
        for r in demo_db.execute(
            "SELECT owner FROM opportunities WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(deal_ids)],
        )
    }
    assert owners == {"Camille Martin-Dupont"}
    assert not demo_db.execute(
        "SELECT 1 FROM opportunities WHERE owner = 'Camille Martin'"
    ).fetchall()
    listed = repo.list_deals(demo_db, owner="Camille Martin-Dupont")
    assert sorted(d["id"] for d in listed) == sorted(deal_ids)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (RepFields(name=""), "name cannot be empty"),
        (RepFields(name="JULIEN ROUX"), "a rep called 'Julien Roux' already exists"),
        (RepFields(email="sarah.example.com"), "is not an address like name@example.com"),
        (RepFields(language="de"), "language 'de' is not one of en, fr"),
        (RepFields(manager="Camille Martin"), "cannot be their own manager"),
        (RepFields(team="x" * 101), "at most 100"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    demo_db: Database, db_path: Path, fields: RepFields, message: str
) -> None:
    before = dump(db_path)
    with pytest.raises(InputError, match=message):
        reps.edit_rep(demo_db, "Camille Martin", fields)
    assert dump(db_path) == before


def test_manager_loops_and_unknown_managers_are_refused(demo_db: Database) -> None:
    reps.edit_rep(demo_db, "Julien Roux", RepFields(manager="Sarah Collins"))
    reps.edit_rep(demo_db, "Sarah Collins", RepFields(manager="Thomas Nguyen"))
    with pytest.raises(InputError, match="would make a loop") as caught:
        reps.edit_rep(demo_db, "Thomas Nguyen", RepFields(manager="Julien Roux"))
    assert "Thomas Nguyen -> Julien Roux -> Sarah Collins -> Thomas Nguyen" in str(caught.value)
    with pytest.raises(NotFoundError, match="manager: no rep with id or name 'Nobody'"):
        reps.edit_rep(demo_db, "Thomas Nguyen", RepFields(manager="Nobody"))
    with pytest.raises(NotFoundError, match="no rep with id or name 'Ghost'"):
        reps.edit_rep(demo_db, "Ghost", RepFields(team="x"))


def test_portfolio_lists_accounts_and_open_deals(demo_db: Database) -> None:
    rep = reps.get_rep(demo_db, "Julien Roux")
    demo_db.execute("UPDATE accounts SET rep_id = ? WHERE id = 3", [rep["id"]])
    data = reps.portfolio(demo_db, "Julien Roux")
    assert [a["id"] for a in data["accounts"]] == [3]
    open_ids = {
        d["id"]
        for d in repo.list_deals(demo_db, include_closed=False)
        if d["owner"] == "Julien Roux"
    }
    assert {d["id"] for d in data["deals"]} == open_ids


# ---------------------------------------------------------------- CLI


def test_cli_add_list_edit_show(runner: CliRunner, db_path: Path, demo_db: Database) -> None:
    added = cli(
        runner,
        db_path,
        "reps",
        "add",
        "Nadia Haddad",
        "--email",
        "nadia@example.com",
        "--manager",
        "Sarah Collins",
        "--team",
        "Enterprise",
        "--lang",
        "fr",
    )
    assert added.exit_code == 0, added.output
    assert "Added rep #5: Nadia Haddad" in added.output
    listed = cli(runner, db_path, "reps", "list", "--team", "Enterprise", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == [
        {
            "id": 5,
            "name": "Nadia Haddad",
            "email": "nadia@example.com",
            "manager": "Sarah Collins",
            "team": "Enterprise",
            "language": "fr",
            "open_deals": 0,
            "open_pipeline": 0,
            "accounts": 0,
            "base_currency": "EUR",
            "left_out": [],
        }
    ]
    csv_out = cli(runner, db_path, "reps", "list", "--format", "csv")
    assert csv_out.output.splitlines()[0] == (
        "id,name,email,manager,team,language,open_deals,open_pipeline,accounts,"
        "base_currency,left_out"
    )
    assert len(csv_out.output.splitlines()) == 6
    edited = cli(
        runner, db_path, "reps", "edit", "camille martin", "--name", "Camille Martin-Dupont"
    )
    assert edited.exit_code == 0, edited.output
    assert "Saved rep #1: Camille Martin-Dupont" in edited.output
    check = sqlite3.connect(db_path)
    try:
        owners = {r[0] for r in check.execute("SELECT owner FROM opportunities WHERE rep_id = 1")}
    finally:
        check.close()
    assert owners == {"Camille Martin-Dupont"}
    # The pipeline's --owner filter follows the rename (it reads the owner kept in step).
    review = cli(
        runner, db_path, "pipeline", "--owner", "Camille Martin-Dupont", "--format", "json"
    )
    assert review.exit_code == 0, review.output
    assert "Camille Martin-Dupont" in review.output
    old = cli(runner, db_path, "pipeline", "--owner", "Camille Martin")
    assert old.exit_code == 1 and "unknown owner 'Camille Martin'" in old.output
    shown = cli(runner, db_path, "reps", "show", "Camille Martin-Dupont")
    assert shown.exit_code == 0, shown.output
    assert "Open deals" in shown.output and "Accounts" in shown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("reps", "add", "julien roux"), "error: a rep called 'Julien Roux' already exists (id 2)"),
        (("reps", "edit", "Julien Roux", "--email", "nope"), "error: e-mail 'nope' is not"),
        (("reps", "edit", "Ghost", "--team", "A"), "error: no rep with id or name 'Ghost'"),
        (("reps", "edit", "Julien Roux"), "error: nothing to change"),
        (("reps", "show", "Ghost"), "error: no rep with id or name 'Ghost'"),
    ],
)
def test_cli_mistakes_are_one_line_and_change_nothing(
    runner: CliRunner, db_path: Path, demo_db: Database, args: tuple[str, ...], message: str
) -> None:
    before = dump(db_path)
    result = cli(runner, db_path, *args)
    assert result.exit_code != 0
    assert result.output.strip().startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1
    assert dump(db_path) == before


# ---------------------------------------------------------------- import


def _drop_owner_triggers(db: Database) -> None:
    """Take away m010's owner triggers: what remains true is the importer's own doing."""
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'opportunities' "
        "AND sql LIKE '%reps%'"
    ).fetchall():
        db.execute(f"DROP TRIGGER {name}")


def test_import_creates_reps_and_sets_rep_id_without_the_triggers(db_path: Path) -> None:
    db = open_db(db_path)
    try:
        _drop_owner_triggers(db)
        plan = import_file(db, DATA / "salesforce_opportunities_en.csv")
        assert plan.new_reps == 2
        deals = db.execute(
            "SELECT o.owner, r.name FROM opportunities o JOIN reps r ON r.id = o.rep_id"
        ).fetchall()
        assert len(deals) == db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0]
        assert all(owner == name for owner, name in deals)
        # Every new account took the rep owning most of its deals.
        accounts = db.execute(
            "SELECT a.name, r.name FROM accounts a JOIN reps r ON r.id = a.rep_id ORDER BY a.id"
        ).fetchall()
        assert accounts == [
            ("Carrefour SA", "Camille Martin"),
            ("Acme, Inc.", "Alex Turner"),
            ("Globex Ltd", "Alex Turner"),
        ]
    finally:
        db.close()


def test_import_resolves_owners_once_case_insensitively(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    first = tmp_path / "deals.csv"
    first.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Stage,Opportunity Owner,Account Owner\n"
        "006A1,Alpha - One,Alpha,Prospecting,Camille Martin,Sarah Collins\n"
        "006A2,Alpha - Two,Alpha,Prospecting,camille martin,\n"
        "006B1,Beta - One,Beta,Prospecting,Hugo Blanc,\n"
        "006B2,Beta - Two,Beta,Prospecting,Camille Martin,\n"
        "006B3,Beta - Three,Beta,Prospecting,Camille Martin,\n",
        encoding="utf-8",
    )
    dry = cli(runner, db_path, "import", str(first), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "3 new reps" in dry.output and "Nothing written" in dry.output
    check = open_db(db_path)
    try:
        assert check.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 0
    finally:
        check.close()
    done = cli(runner, db_path, "import", str(first))
    assert done.exit_code == 0, done.output
    assert "3 new reps" in done.output
    db = open_db(db_path)
    try:
        assert db.execute("SELECT name FROM reps ORDER BY id").fetchall() == [
            ("Sarah Collins",),
            ("Camille Martin",),
            ("Hugo Blanc",),
        ]
        assert db.execute(
            "SELECT DISTINCT owner FROM opportunities WHERE name LIKE 'Alpha%'"
        ).fetchall() == [("Camille Martin",)]
        # Alpha's owner column names Sarah; Beta has none: its majority rep, Camille.
        assert db.execute(
            "SELECT a.name, r.name FROM accounts a JOIN reps r ON r.id = a.rep_id ORDER BY a.id"
        ).fetchall() == [("Alpha", "Sarah Collins"), ("Beta", "Camille Martin")]
        before = dump(db_path)
        again = cli(runner, db_path, "import", str(first))
        assert "0 new, 0 updated, 5 unchanged" in again.output
        assert dump(db_path) == before
    finally:
        db.close()


def test_import_moves_a_deal_and_an_account_to_another_rep(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "deals.csv"
    header = "Opportunity ID,Opportunity Name,Account Name,Stage,Opportunity Owner,Account Owner\n"
    file.write_text(header + "006A1,Alpha - One,Alpha,Prospecting,Camille Martin,\n", "utf-8")
    assert cli(runner, db_path, "import", str(file)).exit_code == 0
    file.write_text(header + "006A1,Alpha - One,Alpha,Prospecting,Hugo Blanc,Hugo Blanc\n", "utf-8")
    result = cli(runner, db_path, "import", str(file))
    assert result.exit_code == 0, result.output
    assert "0 new, 1 updated" in result.output and "1 new reps" in result.output
    db = open_db(db_path)
    try:
        assert db.execute(
            "SELECT o.owner, r.name FROM opportunities o JOIN reps r ON r.id = o.rep_id"
        ).fetchall() == [("Hugo Blanc", "Hugo Blanc")]
        assert db.execute(
            "SELECT r.name FROM accounts a JOIN reps r ON r.id = a.rep_id"
        ).fetchall() == [("Hugo Blanc",)]
    finally:
        db.close()


# ---------------------------------------------------------------- TUI


def run_app(app: KamcoachApp, scenario: Callable[[Any], Awaitable[None]]) -> None:
    async def go() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(go())


async def settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_rename_a_rep_in_the_reps_screen(demo_db: Database, tmp_path: Path) -> None:
    app = make_app(demo_db, load_playbooks(), preload_model=False, export_dir=tmp_path)
    julien = reps.get_rep(demo_db, "Julien Roux")

    async def scenario(pilot: Any) -> None:
        pipeline = pilot.app.screen
        assert isinstance(pipeline, PipelineScreen)
        await pilot.press("R")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RepsScreen)
        names = [r["name"] for r in screen.rows]
        await pilot.press(*["down"] * names.index("Julien Roux"))
        await pilot.press("e")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, RepDialog)
        # A taken name: an error line in the form, nothing saved, the dialog stays.
        dialog.query_one("#rep-name").value = "sarah collins"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is dialog
        assert "already exists" in str(dialog.query_one("#rep-error").render())
        assert reps.get_rep(demo_db, julien["id"])["name"] == "Julien Roux"
        dialog.query_one("#rep-name").value = "Julien Roux-Petit"
        dialog.query_one("#rep-team").value = "Mid-market"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        saved = reps.get_rep(demo_db, julien["id"])
        assert (saved["name"], saved["team"]) == ("Julien Roux-Petit", "Mid-market")
        assert {
            r[0]
            for r in demo_db.execute(
                "SELECT owner FROM opportunities WHERE rep_id = ?", [julien["id"]]
            )
        } == {"Julien Roux-Petit"}
        assert "Julien Roux-Petit" in [r["name"] for r in screen.rows]
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is pipeline
        owners = {d.owner for d in pipeline.rows}
        assert "Julien Roux-Petit" in owners and "Julien Roux" not in owners
        table = pipeline.query_one("#deals")
        shown = {str(table.get_cell_at((i, 4))) for i in range(table.row_count)}
        assert short_owner("Julien Roux-Petit") in shown
        # The filter dialog offers the new name, and filtering by it works.
        await pilot.press("f")
        await pilot.pause()
        flt = pilot.app.screen
        assert isinstance(flt, FilterDialog)
        assert "Julien Roux-Petit" in flt.owners
        flt.query_one("#owner").value = "Julien Roux-Petit"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pipeline.rows and all(d.owner == "Julien Roux-Petit" for d in pipeline.rows)

    run_app(app, scenario)


def test_reps_screen_from_the_palette_and_add_a_rep(demo_db: Database, tmp_path: Path) -> None:
    app = make_app(demo_db, load_playbooks(), preload_model=False, export_dir=tmp_path)

    async def scenario(pilot: Any) -> None:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to: reps")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RepsScreen)
        await pilot.press("a")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, RepDialog)
        dialog.query_one("#rep-name").value = "Nadia Haddad"
        dialog.query_one("#rep-email").value = "not an address"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "is not an address" in str(dialog.query_one("#rep-error").render())
        assert demo_db.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 4
        dialog.query_one("#rep-email").value = "nadia@example.com"
        dialog.query_one("#rep-manager").value = str(reps.get_rep(demo_db, "Sarah Collins")["id"])
        dialog.query_one("#rep-language").value = "fr"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        nadia = reps.get_rep(demo_db, "Nadia Haddad")
        assert (nadia["email"], nadia["language"]) == ("nadia@example.com", "fr")
        assert nadia["manager_id"] == reps.get_rep(demo_db, "Sarah Collins")["id"]

    run_app(app, scenario)


def test_hostile_rep_names_show_verbatim(demo_db: Database, tmp_path: Path) -> None:
    hostile = "[/red] Bob [b]"
    reps.add_rep(demo_db, hostile, RepFields(team="[link=x]t[/link]"))
    app = make_app(demo_db, load_playbooks(), preload_model=False, export_dir=tmp_path)

    async def scenario(pilot: Any) -> None:
        await pilot.press("R")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RepsScreen)
        index = [r["name"] for r in screen.rows].index(hostile)
        table = screen.query_one("#reps")
        assert str(table.get_cell_at((index, 0))) == hostile
        await pilot.press(*["down"] * index, "enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, RepDialog)
        assert dialog.query_one("#rep-name").value == hostile
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen

    run_app(app, scenario)


def test_the_hidden_reps_key_is_in_the_help() -> None:
    # The help screen is built from the live bindings (tests/test_tui_conventions.py):
    # the hidden R key is listed there when it has an id and words in both languages.
    from kamcoach.tui.strings import load_strings

    bindings = {b.key: b for b in PipelineScreen.BINDINGS if isinstance(b, Binding)}
    assert "R" in bindings and not bindings["R"].show
    for language in ("en", "fr"):
        assert load_strings(language).tables["keys"][str(bindings["R"].id)]
