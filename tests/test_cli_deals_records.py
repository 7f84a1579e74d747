"""`kamcoach deals add|edit|close|pause|resume|history` through the real entry point.

Each command is checked on the database it wrote (deal row and history rows);
each mistake is one `error:` line, a non-zero exit and an untouched file.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kamcoach.cli.main import main


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def ok(runner: CliRunner, db_path: Path, *args: str) -> Result:
    result = run(runner, db_path, *args)
    assert result.exit_code == 0, result.output
    return result


def query(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def dump(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def one_error(result: Result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


@pytest.fixture
def deal(runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("KAMCOACH_USER", "Camille Martin")
    ok(
        runner,
        db_path,
        "deals",
        "add",
        "Data platform",
        "--account",
        "Acme",
        "--new-account",
        "--amount",
        "50000",
        "--close-date",
        "2027-01-31",
        "--owner",
        "Sarah Collins",
    )
    return int(query(db_path, "SELECT id FROM opportunities")[0][0])


def history(db_path: Path, deal_id: int) -> list[tuple[Any, ...]]:
    return query(
        db_path,
        "SELECT field, old_value, new_value, author, reason, source FROM opportunity_history "
        "WHERE opportunity_id = ? ORDER BY id",
        (deal_id,),
    )


def test_add_creates_the_deal_and_its_account(
    runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMCOACH_USER", "Camille Martin")
    result = ok(
        runner,
        db_path,
        "deals",
        "add",
        "Pilot [bold]",
        "--account",
        "Nouvelle Société",
        "--new-account",
        "--amount",
        "12000",
        "--currency",
        "chf",
        "--stage",
        "qualification",
        "--type",
        "upsell",
        "--playbook",
        "bant",
    )
    assert "Created deal #1 Pilot [bold] in Nouvelle Société (new account)" in result.output
    assert query(
        db_path,
        "SELECT o.name, a.name, amount, currency, stage, type, playbook, owner, o.source "
        "FROM opportunities o JOIN accounts a ON a.id = o.account_id",
    ) == [
        (
            "Pilot [bold]",
            "Nouvelle Société",
            12000.0,
            "CHF",
            "qualification",
            "upsell",
            "bant",
            "Camille Martin",
            "user",
        )
    ]
    shown = json.loads(ok(runner, db_path, "deals", "show", "1", "--format", "json").output)
    assert shown["deal"]["playbook"] == "bant" and shown["history"] == []


def test_add_takes_the_team_default_playbook(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "team.toml").write_text('[defaults]\nplaybook = "meddpicc"\n', encoding="utf-8")
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    result = ok(
        runner, db_path, "deals", "add", "Pilot", "--account", "Acme", "--new-account",
        "--format", "json",
    )  # fmt: skip
    assert json.loads(result.output)["playbook"] == "meddpicc"
    assert query(db_path, "SELECT playbook FROM opportunities") == [("meddpicc",)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "Nowhere"], "no account with id or name 'Nowhere'"),
        (["--account", "Acme", "--new-account"], "account 'Acme' already exists"),
        (["--account", "Acme", "--playbook", "spin"], "unknown playbook 'spin'"),
        (["--account", "Acme", "--amount", "12k"], "amount '12k' is not a number"),
        (["--account", "Acme", "--close-date", "tomorrow"], "not a date"),
        (["--account", "Acme", "--currency", "euros"], "3-letter code"),
    ],
)
def test_add_mistakes_are_one_line_and_write_nothing(
    runner: CliRunner, db_path: Path, deal: int, args: list[str], message: str
) -> None:
    before = dump(db_path)
    line = one_error(run(runner, db_path, "deals", "add", "Second deal", *args))
    assert message in line
    assert dump(db_path) == before


def test_edit_records_each_change_with_author_and_reason(
    runner: CliRunner, db_path: Path, deal: int
) -> None:
    result = ok(
        runner, db_path, "deals", "edit", "Data platform", "--stage", "proposal", "--amount",
        "60000", "--close-date", "2027-02-28", "--owner", "Tom Baker", "--playbook", "meddpicc",
        "--type", "renewal", "--currency", "usd", "--name", "Data platform v2",
        "--reason", "Scope grew", "--author", "Léa Dubois",
    )  # fmt: skip
    assert f"#{deal} stage: discovery -> proposal (Scope grew)" in result.output
    assert history(db_path, deal) == [
        (field, old, new, "Léa Dubois", "Scope grew", "user")
        for field, old, new in [
            ("stage", "discovery", "proposal"),
            ("amount", "50000.0", "60000.0"),
            ("currency", "EUR", "USD"),
            ("close_date", "2027-01-31", "2027-02-28"),
            ("owner", "Sarah Collins", "Tom Baker"),
            ("type", "new", "renewal"),
            ("playbook", "meddic", "meddpicc"),
            ("name", "Data platform", "Data platform v2"),
        ]
    ]
    assert query(
        db_path,
        "SELECT o.stage, o.amount, o.owner, r.name FROM opportunities o "
        "JOIN reps r ON r.id = o.rep_id",
    ) == [("proposal", 60000.0, "Tom Baker", "Tom Baker")]
    again = ok(runner, db_path, "deals", "edit", str(deal), "--stage", "proposal")
    assert "nothing changed" in again.output
    assert len(history(db_path, deal)) == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "-3"], "negative"),
        (["--stage", "proposal", "--playbook", "spin"], "unknown playbook"),
        (["--stage", "closed_won"], "deals close"),
        ([], "nothing to change: give at least one field"),
    ],
)
def test_edit_mistakes_are_one_line_and_write_nothing(
    runner: CliRunner, db_path: Path, deal: int, args: list[str], message: str
) -> None:
    before = dump(db_path)
    line = one_error(run(runner, db_path, "deals", "edit", str(deal), *args))
    assert message in line
    assert dump(db_path) == before


def test_unknown_deal_is_one_line(runner: CliRunner, db_path: Path, deal: int) -> None:
    for command in (
        ["edit", "Nope", "--stage", "proposal"],
        ["close", "Nope", "--won", "--reason", "x"],
        ["pause", "Nope", "--reason", "x"],
        ["resume", "Nope", "--reason", "x"],
        ["history", "Nope"],
    ):
        assert "no deal with id or name 'Nope'" in one_error(
            run(runner, db_path, "deals", *command)
        )


def test_close_lost_then_reopen_and_show(runner: CliRunner, db_path: Path, deal: int) -> None:
    no_side = run(runner, db_path, "deals", "close", str(deal), "--reason", "x")
    assert no_side.exit_code == 2 and "--won or --lost" in no_side.output
    no_reason = run(runner, db_path, "deals", "close", str(deal), "--lost")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    ok(runner, db_path, "deals", "close", str(deal), "--lost", "--reason", "Went with SAP")
    assert history(db_path, deal) == [
        ("stage", "discovery", "closed_lost", "Camille Martin", "Went with SAP", "user"),
        ("close_reason", None, "Went with SAP", "Camille Martin", "Went with SAP", "user"),
    ]
    shown = ok(runner, db_path, "deals", "show", str(deal)).output
    assert "closed lost: Went with SAP" in shown
    line = one_error(run(runner, db_path, "deals", "edit", str(deal), "--playbook", "bant"))
    assert "is closed lost" in line and "reopen it first" in line
    line = one_error(run(runner, db_path, "deals", "edit", str(deal), "--stage", "proposal"))
    assert "give a reason" in line
    ok(runner, db_path, "deals", "edit", str(deal), "--stage", "proposal", "--reason", "SAP fell")
    assert query(db_path, "SELECT stage, close_reason FROM opportunities") == [("proposal", None)]


def test_pause_resume_and_history_formats(runner: CliRunner, db_path: Path, deal: int) -> None:
    ok(runner, db_path, "deals", "pause", str(deal), "--reason", "Budget frozen", "--until",
       "2027-04-15")  # fmt: skip
    assert query(db_path, "SELECT pause_reason, paused_until FROM opportunities") == [
        ("Budget frozen", "2027-04-15")
    ]
    assert (
        "paused until 2027-04-15: Budget frozen"
        in ok(runner, db_path, "deals", "show", str(deal)).output
    )
    line = one_error(run(runner, db_path, "deals", "pause", str(deal), "--reason", "again"))
    assert "already paused" in line
    ok(runner, db_path, "deals", "resume", str(deal), "--reason", "Budget released")
    assert query(db_path, "SELECT pause_reason, paused_until FROM opportunities") == [(None, None)]
    rows = json.loads(ok(runner, db_path, "deals", "history", str(deal), "--format", "json").output)
    assert [(r["field"], r["old_value"], r["new_value"], r["reason"]) for r in rows] == [
        ("pause", "active", "paused", "Budget frozen"),
        ("pause", "paused", "active", "Budget released"),
    ]
    table = ok(runner, db_path, "deals", "history", str(deal)).output
    assert "History of #1 Data platform" in table
    assert table.count("Budget") == 2 and "frozen" in table and "released" in table
    past = one_error(
        run(runner, db_path, "deals", "pause", str(deal), "--reason", "x", "--until", "2020-01-01")
    )
    assert "in the past" in past
