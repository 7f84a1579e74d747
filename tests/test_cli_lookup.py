"""Issue 13: deals by id, exact name or "did you mean"; --owner and --stage checked alike.

A write never acts on a guessed deal: the error suggests, the database stays as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main


def _deal(db: Database, name: str) -> int:
    return int(db.execute("SELECT id FROM opportunities WHERE name = ?", [name]).fetchone()[0])


def _run(runner: CliRunner, db_path: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, ["--db", str(db_path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_mistyped_deal_suggests_the_close_one(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    deal = _deal(demo_db, "Store ops analytics")
    for command in (["deals", "show"], ["prep"], ["notes", "list"], ["deals", "history"]):
        code, out, err = _run(runner, db_path, *command, "Store ops analytcs")
        assert code == 1 and out == ""
        assert err.strip() == (
            "error: no deal with id or name 'Store ops analytcs'; "
            f"did you mean 'Store ops analytics' (#{deal})?"
        ), command
    # Exact names are found whatever the case; ids with or without '#'.
    for ref in ("store OPS analytics", str(deal), f"#{deal}"):
        code, out, _ = _run(runner, db_path, "deals", "show", ref, "--format", "json")
        assert code == 0 and json.loads(out)["deal"]["id"] == deal


def test_writes_never_act_on_a_guessed_deal(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    before = (
        demo_db.execute("SELECT count(*) FROM notes").fetchone(),
        demo_db.execute("SELECT id, stage FROM opportunities ORDER BY id").fetchall(),
    )
    for args in (
        ["notes", "add", "Store ops analytcs", "Called Ben."],
        ["deals", "close", "Store ops analytcs", "--won", "--reason", "signed"],
    ):
        code, _, err = _run(runner, db_path, *args)
        assert code == 1 and "did you mean 'Store ops analytics'" in err
    after = (
        demo_db.execute("SELECT count(*) FROM notes").fetchone(),
        demo_db.execute("SELECT id, stage FROM opportunities ORDER BY id").fetchall(),
    )
    assert after == before


def test_unknown_deal_far_from_any_name_points_to_the_list(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    code, _, err = _run(runner, db_path, "deals", "show", "zzzz qqqq")
    assert code == 1
    assert err.strip() == "error: no deal with id or name 'zzzz qqqq' (see `kamcoach deals list`)"


def test_owner_typo_is_an_error_with_a_suggestion_not_an_empty_list(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    for command in (["deals", "list"], ["pipeline"], ["coach"]):
        code, out, err = _run(runner, db_path, *command, "--owner", "Camile Martn")
        assert code == 1 and out == "", command
        assert err.startswith("error: unknown owner 'Camile Martn'; did you mean 'Camille Martin'?")
    code, out, _ = _run(
        runner, db_path, "deals", "list", "--owner", "camille martin", "--format", "json"
    )
    assert code == 0 and {d["owner"] for d in json.loads(out)} == {"Camille Martin"}


def test_stage_typo_suggests_and_labels_are_accepted(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    code, _, err = _run(runner, db_path, "deals", "list", "--stage", "negociation")
    assert code == 2 and "unknown stage 'negociation'; did you mean 'negotiation'?" in err
    code, _, err = _run(runner, db_path, "pipeline", "--stage", "Qualifcation")
    assert code == 2 and "did you mean 'qualification'?" in err
    code, out, _ = _run(
        runner, db_path, "deals", "list", "--stage", "Closed won", "--format", "json"
    )
    assert code == 0 and {d["stage"] for d in json.loads(out)} == {"closed_won"}


def test_a_write_never_files_a_deal_under_a_mistyped_owner(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    """`--owner "Camile Martin"` used to create a second rep; now it suggests the known one."""

    def state() -> tuple[object, ...]:
        return (
            demo_db.execute("SELECT id, owner FROM opportunities ORDER BY id").fetchall(),
            demo_db.execute("SELECT name FROM reps ORDER BY name").fetchall(),
        )

    before = state()
    account = ["--account", "Northmoor Retail Group"]
    for args in (
        ["deals", "edit", "22", "--owner", "Camile Martin", "--reason", "handover"],
        ["deals", "add", "Shelf sensors", *account, "--owner", "Camile Martin"],
    ):
        code, _, err = _run(runner, db_path, *args)
        assert code == 1, args
        assert "unknown owner 'Camile Martin'; did you mean 'Camille Martin'?" in err
        assert "kamcoach reps add" in err
    assert state() == before
    # Case aside, a known rep is written as stored; a name close to nobody is a new rep.
    code, out, _ = _run(
        runner,
        db_path,
        "deals",
        "add",
        "Shelf sensors",
        *account,
        "--owner",
        "camille martin",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["owner"] == "Camille Martin"
    code, out, _ = _run(
        runner,
        db_path,
        "deals",
        "add",
        "Shelf sensors 2",
        *account,
        "--owner",
        "Zoé Lambert",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["owner"] == "Zoé Lambert"
