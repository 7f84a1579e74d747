"""The streaming importer: concurrent imports, hostile values, long fields, bounded bad rows.

Issue 11: two imports of the same deals must not record false "old values";
400 nines must not become infinity; a 200 KiB note must import; the plan keeps
no row of the file, yet the dry run and the full bad-rows report still work.
"""

from __future__ import annotations

import csv
import math
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kamcoach.cli.main import main
from kamcoach.errors import InputError
from kamcoach.io import csv_read, importer
from kamcoach.io.import_plan import BAD_ROWS_KEPT, BadRows
from kamcoach.storage import repo
from kamcoach.storage.db import open_db

DATA = Path(__file__).parent / "data" / "crm"
DEALS = DATA / "salesforce_opportunities_en.csv"
FIRST = "0065g00000AbCdE1"  # Proposal/Price Quote, $120,000.00 in DEALS


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def rows(db_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def dump(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def edited(path: Path, stage: str, amount: str) -> Path:
    """DEALS with the first deal's stage and amount changed."""
    with DEALS.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    for line in table:
        if line[0] == FIRST:
            line[4], line[5] = stage, amount
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(table)
    return path


def history(db_path: Path) -> list[tuple]:
    return rows(
        db_path,
        "SELECT h.field, h.old_value, h.new_value FROM opportunity_history h "
        f"JOIN opportunities o ON o.id = h.opportunity_id WHERE o.external_id = '{FIRST}' "
        "ORDER BY h.id",
    )


# ---------------------------------------------------------------- issue 11.7


def test_second_import_planned_before_the_first_applied_records_true_old_values(
    db_path: Path, tmp_path: Path
) -> None:
    db = open_db(db_path)
    importer.import_file(db, DEALS)
    file_a = edited(tmp_path / "a.csv", "Negotiation/Review", "$135,000.00")
    file_b = edited(tmp_path / "b.csv", "Negotiation/Review", "$150,000.00")
    plan_a = importer.plan_import(db, file_a)
    plan_b = importer.plan_import(db, file_b)  # same starting state as A
    assert plan_b.summary()["history"] == 2  # as planned: stage and amount
    importer.apply_plan(db, plan_a)
    written = importer.apply_plan(db, plan_b)
    db.close()
    assert history(db_path) == [
        ("stage", "proposal", "negotiation"),
        ("amount", "120000.0", "135000.0"),
        # B: the stage A already set is no change; the amount moves from A's value.
        ("amount", "135000.0", "150000.0"),
    ]
    assert written["history"] == 1 and written["updated"] == 1
    assert rows(
        db_path, f"SELECT stage, amount FROM opportunities WHERE external_id='{FIRST}'"
    ) == [("negotiation", 150000.0)]


_PLAN_THEN_WAIT = """
import sys, time
from pathlib import Path
from kamcoach.io import csv_read, importer
from kamcoach.storage.db import open_db
db_path, file_b, planned, go = sys.argv[1:5]
db = open_db(db_path)
plan = importer.plan_import(db, Path(file_b))
Path(planned).write_text("1")
deadline = time.monotonic() + 60
while not Path(go).exists():
    if time.monotonic() > deadline:
        sys.exit("never told to go")
    time.sleep(0.02)
print(importer.apply_plan(db, plan)["history"])
db.close()
"""


def test_two_processes_importing_the_same_deals_keep_a_true_history(
    db_path: Path, tmp_path: Path
) -> None:
    """Process 2 plans B, process 1 imports A, then process 2 applies B: B sees A's values."""
    db = open_db(db_path)
    importer.import_file(db, DEALS)
    db.close()
    file_a = edited(tmp_path / "a.csv", "Negotiation/Review", "$135,000.00")
    file_b = edited(tmp_path / "b.csv", "Closed Won", "$135,000.00")
    planned, go = tmp_path / "planned", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    child = subprocess.Popen(
        [sys.executable, "-c", _PLAN_THEN_WAIT, str(db_path), str(file_b), str(planned), str(go)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not planned.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the other process never planned"
            time.sleep(0.02)
        result = CliRunner().invoke(main, ["--db", str(db_path), "import", str(file_a)])
        assert result.exit_code == 0, result.output
        go.write_text("1")
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    assert out.strip() == "1"  # only the stage: the amount A wrote is no change for B
    assert history(db_path) == [
        ("stage", "proposal", "negotiation"),
        ("amount", "120000.0", "135000.0"),
        ("stage", "negotiation", "closed_won"),
    ]


def test_apply_refuses_a_file_changed_since_the_plan(db_path: Path, tmp_path: Path) -> None:
    path = edited(tmp_path / "a.csv", "Negotiation/Review", "$135,000.00")
    db = open_db(db_path)
    plan = importer.plan_import(db, path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("0065g00000AbCdE9,Late row,Initech,,Prospecting,1000,USD,1/1/2027,A,,,,\n")
    with pytest.raises(InputError, match="changed since it was read"):
        importer.apply_plan(db, plan)
    db.close()
    assert rows(db_path, "SELECT COUNT(*) FROM opportunities") == [(0,)]


# ---------------------------------------------------------------- absurd amounts


def test_amount_of_400_nines_is_a_bad_row_not_infinity(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity Name,Account Name,Stage,Amount\n"
        f"Huge,Acme,Prospecting,{'9' * 400}\n"
        "Fine,Acme,Prospecting,1000\n"
        "Just above,Acme,Prospecting,1000000000000001\n",
        encoding="utf-8",
    )
    refused = run(runner, db_path, "import", str(path))
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "2 bad rows (first: row 2: column 'Amount': amount '99999999999999999999..." in (
        refused.output.replace("\n", " ")
    )
    assert "above the largest amount accepted (1,000,000,000,000,000)" in refused.output
    assert rows(db_path, "SELECT COUNT(*) FROM opportunities") == [(0,)]
    result = run(runner, db_path, "import", str(path), "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert rows(db_path, "SELECT name, amount FROM opportunities") == [("Fine", 1000.0)]
    pipeline = run(runner, db_path, "pipeline", "--format", "json")
    assert pipeline.exit_code == 0 and "Infinity" not in pipeline.output


@pytest.mark.parametrize("amount", [float("inf"), float("nan"), 1e16, "1e400", -5])
def test_manual_edit_refuses_absurd_amounts(db_path: Path, amount: object) -> None:
    db = open_db(db_path)
    importer.import_file(db, DEALS)
    deal = rows(db_path, f"SELECT id FROM opportunities WHERE external_id = '{FIRST}'")[0][0]
    with pytest.raises(InputError, match="amount"):
        repo.update_deal(db, deal, {"amount": amount})
    repo.update_deal(db, deal, {"amount": 1e15})  # the bound itself is accepted
    db.close()
    assert all(math.isfinite(a) for (a,) in rows(db_path, "SELECT amount FROM opportunities"))


# ---------------------------------------------------------------- long fields


def test_note_longer_than_128_kib_is_imported(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    assert run(runner, db_path, "import", str(DATA / "pipedrive_deals_en.csv")).exit_code == 0
    body = "Long call notes. " * 12_000  # 204,000 characters, above csv's 131,072 default
    path = tmp_path / "notes.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["Note - ID", "Note - Content", "Note - Deal ID", "Note - Add time", "Note - User"]
        )
        writer.writerow(["9001", body, "101", "2026-10-05 11:00:00", "Nina Roux"])
        writer.writerow(["9002", "Short one.", "102", "2026-10-06 11:00:00", "Nina Roux"])
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output
    assert rows(db_path, "SELECT length(text) FROM notes WHERE external_id = '9001'") == [
        (len(body.strip()),)
    ]


# ---------------------------------------------------------------- bounded bad rows


def test_every_bad_row_reaches_the_report_though_few_are_kept(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    count = BAD_ROWS_KEPT + 150
    path = tmp_path / "deals.csv"
    lines = ["Opportunity Name,Account Name,Stage,Amount"]
    lines += [f"Deal {i},Acme,Prospecting,{'12k' if i % 2 else '100'}" for i in range(2 * count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = open_db(db_path)
    plan = importer.plan_import(db, path)
    db.close()
    assert len(plan.bad_rows) == count and len(plan.bad_rows.kept) == BAD_ROWS_KEPT
    assert plan.bad_rows[0].row == 3 and plan.bad_rows[-1].row == 2 * count + 1
    assert [b.row for b in plan.bad_rows[BAD_ROWS_KEPT - 1 : BAD_ROWS_KEPT + 1]] == [
        2 * BAD_ROWS_KEPT + 1,
        2 * BAD_ROWS_KEPT + 3,
    ]
    report = tmp_path / "bad.csv"
    result = run(runner, db_path, "import", str(path), "--dry-run", "--bad-rows", str(report))
    assert result.exit_code == 0, result.output
    assert f"{count} bad rows" in result.output and f"and {count - 50} more" in result.output
    with report.open(encoding="utf-8", newline="") as fh:
        written = list(csv.reader(fh))[1:]
    assert [int(r[0]) for r in written] == list(range(3, 2 * count + 2, 2))
    assert all("'12k' is not a number" in r[1] for r in written)


def test_bad_rows_iterate_in_order_and_index_like_a_list() -> None:
    bad = BadRows()
    for number in range(2, 2 + BAD_ROWS_KEPT + 10):
        bad.add(number, f'reason, with a comma and a "quote" {number}')
    assert len(bad) == BAD_ROWS_KEPT + 10 and bool(bad) and not BadRows()
    every = list(bad)
    assert [b.row for b in every] == list(range(2, 2 + BAD_ROWS_KEPT + 10))
    assert every[-1].reason == f'reason, with a comma and a "quote" {BAD_ROWS_KEPT + 11}'
    assert bad[-1] == every[-1] and bad[5] == every[5] and bad[:3] == every[:3]
    bad.add(999, "late")  # adding after reading still works
    assert list(bad)[-1].row == 999
    with pytest.raises(IndexError):
        bad[len(bad)]


# ---------------------------------------------------------------- one transaction


def test_failure_after_batches_were_flushed_leaves_the_database_as_it_was(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are written as the file streams; a failure at the end still undoes them all."""
    path = tmp_path / "big.csv"
    lines = ["Deal - ID,Deal - Title,Deal - Organization,Deal - Stage,Deal - Value"]
    lines += [f"{i},Deal {i},Org {i % 50},Lead In,{i * 10}" for i in range(12_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = open_db(db_path)
    importer.import_file(db, DEALS)
    db.close()
    before = dump(db_path)

    def explode(*_args: object) -> None:
        raise sqlite3.IntegrityError("simulated failure after every batch")

    monkeypatch.setattr(importer, "set_meta", explode)
    db = open_db(db_path)
    with pytest.raises(InputError, match="nothing written"):
        importer.import_file(db, path)
    db.close()
    assert dump(db_path) == before


def test_bad_rows_without_skip_roll_back_rows_already_written(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    lines = ["Deal - ID,Deal - Title,Deal - Organization,Deal - Stage,Deal - Value"]
    lines += [f"{i},Deal {i},Org {i % 50},Lead In,{i * 10}" for i in range(12_000)]
    lines.append("99999,Broken,Org 1,Lead In,12k")  # the last row is bad
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = dump(db_path) if db_path.exists() else None
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 1 and "1 bad row (first: row 12002:" in result.output
    assert rows(db_path, "SELECT COUNT(*) FROM opportunities") == [(0,)]
    assert before is None or dump(db_path) == before


def test_value_over_the_field_limit_is_one_line_naming_the_row(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runaway quote past the (lowered, for the test) field limit: the row, not 'single column'."""
    monkeypatch.setattr(csv_read, "FIELD_LIMIT", 1000)
    previous = csv.field_size_limit(1000)
    try:
        path = tmp_path / "deals.csv"
        path.write_text(
            "Opportunity Name,Account Name,Stage\n"
            "Deal A,Acme,Prospecting\n"
            'Deal B,"Acme' + ", and more" * 200 + "\n"
            "Deal C,Beta,Prospecting\n",
            encoding="utf-8",
        )
        result = run(runner, db_path, "import", str(path))
    finally:
        csv.field_size_limit(previous)
    assert result.exit_code == 1 and "Traceback" not in result.output
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "single column" not in error[0]
    assert "row 3 (header is row 1): a value is longer than 1,000 characters" in error[0]
    assert rows(db_path, "SELECT COUNT(*) FROM opportunities") == [(0,)]
