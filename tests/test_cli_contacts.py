"""`kamcoach contacts add|edit|list|link|unlink|show` through the real entry point."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.io.demo import load_demo
from kamcoach.storage.db import open_db


@pytest.fixture
def demo_path(db_path: Path) -> Path:
    database = open_db(db_path)
    load_demo(database)
    database.close()
    return db_path


def kc(runner: CliRunner, path: Path, *args: str) -> Any:
    return runner.invoke(main, ["--db", str(path), "contacts", *args])


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    database = Database(path)
    try:
        return list(database.query(sql, params or []))
    finally:
        database.close()


def fingerprint(path: Path) -> str:
    """The contacts and links as stored: equal before and after a refused command."""
    rows = query(path, "SELECT * FROM contacts ORDER BY id") + query(
        path, "SELECT * FROM opportunity_contacts ORDER BY opportunity_id, contact_id"
    )
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def test_add_with_a_deal_and_a_deal_role_then_list_the_deal(
    runner: CliRunner, demo_path: Path
) -> None:
    result = kc(
        runner,
        demo_path,
        "add",
        "Groupe Valmont Logistique",
        "Inès Moreau",
        "--title",
        "Directrice des achats",
        "--email",
        "ines.moreau@valmont-logistique.example",
        "--role",
        "procurement",
        "--stance",
        "neutral",
        "--influence",
        "medium",
        "--reports-to",
        "Hélène Dubois",
        "--last-contact",
        "2026-11-18",
        "--deal",
        "1",
        "--deal-role",
        "blocker",
    )
    assert result.exit_code == 0, result.output
    assert "Added contact" in result.output and "Inès Moreau" in result.output
    (row,) = query(demo_path, "SELECT * FROM contacts WHERE name = 'Inès Moreau'")
    assert (row["stance"], row["influence"], row["last_contact_at"]) == (
        "neutral",
        "medium",
        "2026-11-18",
    )
    assert row["reports_to_id"] == 1
    (link,) = query(
        demo_path, "SELECT * FROM opportunity_contacts WHERE contact_id = ?", [row["id"]]
    )
    assert (link["opportunity_id"], link["role"], link["engaged"]) == (1, "blocker", 1)

    listed = kc(runner, demo_path, "list", "--deal", "1", "--format", "json")
    assert listed.exit_code == 0, listed.output
    by_name = {r["name"]: r for r in json.loads(listed.output)}
    assert by_name["Inès Moreau"]["role"] == "blocker"
    assert by_name["Inès Moreau"]["deal_role"] == "blocker"
    assert by_name["Inès Moreau"]["reports_to"] == "Hélène Dubois"
    assert by_name["Hélène Dubois"]["role"] == "economic_buyer"
    assert by_name["Hélène Dubois"]["deal_role"] is None


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["add", "Groupe Valmont Logistique", "Marc Roux", "--stance", "hostile"],
            "unknown stance",
        ),
        (
            ["add", "Groupe Valmont Logistique", "Marc Roux", "--email", "marc@roux"],
            "does not look",
        ),
        (["add", "Groupe Valmont Logistique", "", "--role", "user"], "contact name is empty"),
        (["add", "Groupe Valmont Logistique", "Marc Roux", "--last-contact", "hier"], "YYYY-MM-DD"),
        (["add", "Nowhere Inc", "Marc Roux"], "no account with id or name 'Nowhere Inc'"),
        (["add", "Groupe Valmont Logistique", "Marc Roux", "--deal", "9"], "not at"),
        (["add", "Groupe Valmont Logistique", "helene dubois"], "already has Hélène Dubois"),
        (["edit", "Hélène Dubois", "--role", "coach"], "unknown buying role 'coach'"),
        (["edit", "Hélène Dubois", "--reports-to", "Marc Lemaire"], "reporting cycle"),
        (["edit", "Nobody", "--stance", "neutral"], "no contact with id or name 'Nobody'"),
        (["link", "Hélène Dubois", "1", "--role", "unknown"], "overrides nothing"),
        (["link", "Hélène Dubois", "9"], "works at Groupe Valmont Logistique"),
        (["unlink", "Benoît Charpentier", "1"], "is not on deal 1"),
    ],
)
def test_mistakes_are_one_error_line_and_nothing_is_written(
    runner: CliRunner, demo_path: Path, args: list[str], message: str
) -> None:
    # Marc Lemaire reports to Hélène first, so Hélène reporting to Marc is a cycle.
    setup = kc(runner, demo_path, "edit", "Marc Lemaire", "--reports-to", "Hélène Dubois")
    assert setup.exit_code == 0, setup.output
    before = fingerprint(demo_path)
    result = kc(runner, demo_path, *args)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert fingerprint(demo_path) == before


def test_a_duplicate_names_the_contact_and_force_adds_it(
    runner: CliRunner, demo_path: Path
) -> None:
    refused = kc(runner, demo_path, "add", "1", "HÉLÈNE DUBOIS")
    assert refused.exit_code == 1
    assert "contact id 1, same name" in refused.output and "--force" in refused.output
    forced = kc(runner, demo_path, "add", "1", "HÉLÈNE DUBOIS", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(query(demo_path, "SELECT id FROM contacts WHERE account_id = 1")) == 6
    ambiguous = kc(runner, demo_path, "show", "hélène dubois")
    assert ambiguous.exit_code == 1
    assert "ambiguous (ids 1 at Groupe Valmont Logistique" in ambiguous.output


def test_edit_sets_and_clears_values_and_marks_a_departure(
    runner: CliRunner, demo_path: Path
) -> None:
    done = kc(
        runner, demo_path, "edit", "Marc Lemaire", "--stance", "sceptic", "--influence", "low"
    )
    assert done.exit_code == 0, done.output
    (row,) = query(demo_path, "SELECT * FROM contacts WHERE id = 2")
    assert (row["stance"], row["influence"]) == ("sceptic", "low")
    cleared = kc(runner, demo_path, "edit", "2", "--stance", "", "--left")
    assert cleared.exit_code == 0, cleared.output
    (row,) = query(demo_path, "SELECT * FROM contacts WHERE id = 2")
    assert (row["stance"], row["influence"], row["left_company"]) == (None, "low", 1)
    renamed = kc(runner, demo_path, "edit", "Marc Lemaire", "--name", "Marc Lemaire-Roux")
    assert renamed.exit_code == 0 and "Marc Lemaire-Roux" in renamed.output
    assert query(demo_path, "SELECT name FROM contacts WHERE id = 2") == [
        {"name": "Marc Lemaire-Roux"}
    ]
    nothing = kc(runner, demo_path, "edit", "2")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output


def test_link_with_a_role_unlink_and_show(runner: CliRunner, demo_path: Path) -> None:
    # Olivier Fabre is an influencer at Valmont; on deal 2 he acts as the champion.
    linked = kc(runner, demo_path, "link", "Olivier Fabre", "2", "--role", "champion")
    assert linked.exit_code == 0, linked.output
    assert "as champion" in linked.output
    (link,) = query(
        demo_path,
        "SELECT role, engaged FROM opportunity_contacts WHERE opportunity_id = 2 "
        "AND contact_id = 5",
    )
    assert link == {"role": "champion", "engaged": 1}
    again = kc(runner, demo_path, "link", "5", "2", "--role", "influencer", "--not-engaged")
    assert again.exit_code == 0 and "(their buying role)" in again.output
    (link,) = query(
        demo_path,
        "SELECT role, engaged FROM opportunity_contacts WHERE opportunity_id = 2 "
        "AND contact_id = 5",
    )
    assert link == {"role": None, "engaged": 0}

    shown = kc(runner, demo_path, "show", "Olivier Fabre", "--format", "json")
    assert shown.exit_code == 0, shown.output
    details = json.loads(shown.output)
    assert {d["id"]: d["role"] for d in details["deals"]}[4] == "champion"
    assert {d["id"]: d["engaged"] for d in details["deals"]}[2] is False

    kc(runner, demo_path, "edit", "Olivier Fabre", "--reports-to", "Hélène Dubois")
    table = kc(runner, demo_path, "show", "Olivier Fabre")
    assert table.exit_code == 0 and "reports to" in table.output
    assert "Hélène Dubois (#1)" in table.output

    off = kc(runner, demo_path, "unlink", "Olivier Fabre", "2")
    assert off.exit_code == 0, off.output
    assert not query(
        demo_path, "SELECT 1 FROM opportunity_contacts WHERE opportunity_id = 2 AND contact_id = 5"
    )


def test_list_by_account_as_csv(runner: CliRunner, demo_path: Path) -> None:
    result = kc(
        runner, demo_path, "list", "--account", "Groupe Valmont Logistique", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["name"] for r in rows][:2] == ["Hélène Dubois", "Marc Lemaire"]
    assert {r["account"] for r in rows} == {"Groupe Valmont Logistique"}
    assert "linked" not in rows[0]
    table = kc(runner, demo_path, "list", "--deal", "1")
    assert table.exit_code == 0 and "Contacts on deal" in table.output
