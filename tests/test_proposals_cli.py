"""``kamcoach proposals list|accept|dismiss`` through the real entry point, on a real file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.storage.db import open_db

NOTE = (
    "Procurement (Anna Weiss) wants a discount.\n"
    "Paul has left the company last week.\n"
    "Sarah Chen pushes internally."
)


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KAMCOACH_USER", "Camille Martin")
    path = tmp_path / "cli.db"
    db = open_db(path)
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
    db["contacts"].insert(
        {
            "id": 1,
            "account_id": 1,
            "name": "Paul Vasseur",
            "buying_role": "champion",
            "created_at": "2026-01-01T10:00:00",
        }
    )
    db["opportunity_contacts"].insert({"opportunity_id": 1, "contact_id": 1, "engaged": 1})
    db["notes"].insert(
        {
            "id": 1,
            "opportunity_id": 1,
            "created_at": "2026-11-18T10:00:00",
            "text": NOTE,
            "content_hash": "h",
        }
    )
    db.close()
    return path


def cli(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db), *args], env={"COLUMNS": "200"})


def listed(runner: CliRunner, db: Path, *args: str) -> list[dict[str, object]]:
    result = cli(runner, db, "proposals", "list", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def state(db: Path) -> list[tuple[object, ...]]:
    database = Database(db)
    try:
        return [
            tuple(r)
            for r in database.execute(
                "SELECT p.id, p.status, p.decided_by, c.name, c.buying_role, c.left_company "
                "FROM proposals p LEFT JOIN contacts c ON c.id = p.result_contact_id ORDER BY p.id"
            )
        ]
    finally:
        database.close()


def test_analyse_list_accept_dismiss(runner: CliRunner, db_file: Path) -> None:
    analysed = cli(runner, db_file, "deals", "analyze", "1")
    assert analysed.exit_code == 0
    assert "3 new proposal(s) about people: kamcoach proposals list 1" in analysed.output
    rows = listed(runner, db_file, "1")
    assert [(r["kind"], r["who"], r["proposes"]) for r in rows] == [
        ("contact", "Anna Weiss", "new contact (Procurement, procurement)"),
        ("departure", "Paul Vasseur", "left the company"),
        ("stance", "Sarah Chen", "stance: advocate"),
    ]
    assert rows[1]["quote"] == "Paul has left the company last week."
    table = cli(runner, db_file, "proposals", "list", "Acme ERP")
    assert table.exit_code == 0 and "Paul has left the company last week." in table.output

    ids = [r["id"] for r in rows]
    out = cli(runner, db_file, "proposals", "accept", str(ids[0]), "--role", "economic_buyer")
    assert out.exit_code == 0, out.output
    assert f"proposal {ids[0]} accepted: Anna Weiss" in out.output
    assert "Economic Buyer raised to 2/3" in out.output
    out = cli(runner, db_file, "proposals", "accept", str(ids[1]), "--author", "Lee")
    assert out.exit_code == 0 and "marked as having left the company" in out.output
    out = cli(runner, db_file, "proposals", "dismiss", str(ids[2]))
    assert out.exit_code == 0 and f"proposal {ids[2]} dismissed" in out.output

    assert state(db_file) == [
        (ids[0], "accepted", "Camille Martin", "Anna Weiss", "economic_buyer", 0),
        (ids[1], "accepted", "Lee", "Paul Vasseur", "champion", 1),
        (ids[2], "dismissed", "Camille Martin", None, None, None),
    ]
    assert listed(runner, db_file, "1") == []
    assert len(listed(runner, db_file, "--status", "all")) == 3
    assert [
        r["id"] for r in listed(runner, db_file, "--account", "Acme", "--status", "dismissed")
    ] == [ids[2]]
    # Analysing again never brings a decided proposal back.
    database = Database(db_file)
    database.execute("DELETE FROM note_analyses")
    database.conn.commit()
    database.close()
    assert cli(runner, db_file, "deals", "analyze", "1").exit_code == 0
    assert listed(runner, db_file, "1") == []


def test_accept_edits_name_and_deal_role(runner: CliRunner, db_file: Path) -> None:
    cli(runner, db_file, "deals", "analyze", "1")
    stance = listed(runner, db_file, "1")[2]
    out = cli(
        runner,
        db_file,
        "proposals",
        "accept",
        str(stance["id"]),
        "--name",
        "Sarah Chen-Lopez",
        "--deal-role",
        "champion",
    )
    assert out.exit_code == 0, out.output
    database = Database(db_file)
    contact = database.execute(
        "SELECT c.name, c.stance, c.buying_role, oc.role FROM contacts c "
        "JOIN opportunity_contacts oc ON oc.contact_id = c.id WHERE c.name LIKE 'Sarah%'"
    ).fetchone()
    database.close()
    assert contact == ("Sarah Chen-Lopez", "advocate", "unknown", "champion")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("accept", "999"), "error: no proposal with id 999"),
        (("accept", "x1"), "error: proposal id 'x1' is not a number"),
        (("dismiss", "999"), "error: no proposal with id 999"),
        (("list", "No such deal"), "error: "),
        (("list", "--account", "Nobody"), "error: "),
    ],
)
def test_mistakes_are_one_line(
    runner: CliRunner, db_file: Path, args: tuple[str, ...], message: str
) -> None:
    before = state(db_file)
    result = cli(runner, db_file, "proposals", *args)
    assert result.exit_code != 0
    assert result.output.startswith(message) and result.output.count("\n") == 1
    assert "Traceback" not in result.output
    assert state(db_file) == before


def test_bad_role_and_second_decision_are_refused(runner: CliRunner, db_file: Path) -> None:
    cli(runner, db_file, "deals", "analyze", "1")
    pid = str(listed(runner, db_file, "1")[0]["id"])
    bad = cli(runner, db_file, "proposals", "accept", pid, "--role", "boss")
    assert bad.exit_code == 2 and "Invalid value for '--role'" in bad.output
    assert cli(runner, db_file, "proposals", "dismiss", pid).exit_code == 0
    again = cli(runner, db_file, "proposals", "accept", pid)
    assert again.exit_code == 1
    assert again.output.startswith(f"error: proposal {pid} is already dismissed")
    assert state(db_file)[0][1:3] == ("dismissed", "Camille Martin")


def test_help_teaches(runner: CliRunner) -> None:
    for sub in ("list", "accept", "dismiss"):
        out = runner.invoke(main, ["proposals", sub, "--help"])
        assert out.exit_code == 0 and "kamcoach proposals " + sub in out.output
