"""Files written for the user (issue 11, items 3, 4 and 6), through the real CLI entry point.

3. An output path never replaces the database (or its -wal/-shm files) nor an
   input, an existing file only with --force, and files are written atomically.
4. CSV cells that a spreadsheet would run as formulas are neutralised, real
   numbers are not, and our own export still imports back unchanged.
6. Every file we create is readable by its owner only (mode 0600).
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from kc_seed import seed_small

from kamcoach.cli.main import main
from kamcoach.io.csv_cells import neutralise, restore
from kamcoach.io.importer import import_file
from kamcoach.storage.db import open_db

DATA = Path(__file__).parent / "data" / "crm"
BAD_ROWS_CSV = DATA / "salesforce_bad_rows.csv"

# Every command that writes a file the user names: the arguments before the output path,
# then the option that takes it. Formats are chosen so no spaCy model is needed.
WRITERS: dict[str, tuple[list[str], str]] = {
    "export": (["export", "deals"], "-o"),
    "export-jsonl": (["export", "notes", "--format", "jsonl"], "-o"),
    "pipeline": (["pipeline", "--format", "csv"], "-o"),
    "pipeline-md": (["pipeline", "--format", "md"], "--output"),
    "coach": (["coach", "--format", "md"], "-o"),
    "prep": (["prep", "1", "--no-analyse", "--format", "md"], "-o"),
    "import": (["import", str(BAD_ROWS_CSV), "--dry-run"], "--bad-rows"),
}


@pytest.fixture
def seeded(db_path: Path) -> Path:
    db = open_db(db_path)
    seed_small(db)
    db.close()
    return db_path


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The common default umask, under which files used to come out world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def write_cmd(name: str, target: Path, *extra: str) -> list[str]:
    args, option = WRITERS[name]
    return [*args, option, str(target), *extra]


def dump(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


# ------------------------------------------------------------------ 3. refused outputs


def _db_spellings(db_path: Path, tmp_path: Path) -> dict[str, Path]:
    """Ways to name the live database (or its side files) as an output."""
    (tmp_path / "sub").mkdir(exist_ok=True)
    symlink = tmp_path / "report.csv"
    symlink.symlink_to(db_path)
    hardlink = tmp_path / "hard.csv"
    os.link(db_path, hardlink)
    dangling = tmp_path / "later.csv"  # points at the -wal file, which does not exist yet
    dangling.symlink_to(Path(f"{db_path}-wal"))
    return {
        "same": db_path,
        "dotdot": tmp_path / "sub" / ".." / db_path.name,
        "symlink": symlink,
        "hardlink": hardlink,
        "wal": Path(f"{db_path}-wal"),
        "shm": Path(f"{db_path}-shm"),
        "dangling-symlink-to-wal": dangling,
    }


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_output_never_replaces_the_database(
    runner: CliRunner, seeded: Path, tmp_path: Path, command: str
) -> None:
    before_bytes = seeded.read_bytes()
    before = dump(seeded)
    for how, target in _db_spellings(seeded, tmp_path).items():
        for force in ((), ("--force",)):
            result = run(runner, seeded, *write_cmd(command, target, *force))
            assert result.exit_code == 1, (how, force, result.output)
            errors = error_lines(result)
            assert len(errors) == 1, (how, result.output)
            assert str(target) in errors[0] and "database" in errors[0], errors[0]
            assert "Traceback" not in result.output
    assert seeded.read_bytes() == before_bytes
    assert dump(seeded) == before
    assert leftovers(tmp_path) == []


def test_bad_rows_never_replace_the_input_or_the_mapping(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    source = tmp_path / "deals.csv"
    shutil.copyfile(BAD_ROWS_CSV, source)
    original = source.read_bytes()
    mapping = tmp_path / "team.toml"
    mapping.write_text('[crm]\nname = "team"\n', encoding="utf-8")
    for target, extra in ((source, ()), (mapping, ("--mapping", str(mapping)))):
        result = run(
            runner,
            db_path,
            "import",
            str(source),
            *extra,
            "--dry-run",
            "--bad-rows",
            str(target),
            "--force",
        )
        assert result.exit_code == 1, result.output
        errors = error_lines(result)
        assert len(errors) == 1 and str(target) in errors[0], result.output
        assert "input file" in errors[0] or "mapping file" in errors[0]
    assert source.read_bytes() == original
    assert mapping.read_text(encoding="utf-8") == '[crm]\nname = "team"\n'


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_existing_file_is_replaced_only_with_force(
    runner: CliRunner, seeded: Path, tmp_path: Path, command: str
) -> None:
    target = tmp_path / "out" / "report.txt"
    target.parent.mkdir()
    target.write_text("precious\n", encoding="utf-8")
    refused = run(runner, seeded, *write_cmd(command, target))
    assert refused.exit_code == 1, refused.output
    errors = error_lines(refused)
    assert len(errors) == 1 and str(target) in errors[0] and "--force" in errors[0]
    assert target.read_text(encoding="utf-8") == "precious\n"

    forced = run(runner, seeded, *write_cmd(command, target, "--force"))
    assert forced.exit_code == 0, forced.output
    assert target.read_text(encoding="utf-8") != "precious\n"
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("command", ["export", "pipeline", "coach", "prep", "import"])
def test_every_writing_command_documents_force(runner: CliRunner, command: str) -> None:
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "--force" in result.output and "Overwrite" in result.output


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nowhere/deals.csv", "does not exist"),
        ("a" * 300, "name too long"),
        ("a" * 300 + "/deals.csv", "name too long"),
    ],
)
def test_unwritable_output_is_one_line(
    runner: CliRunner, seeded: Path, tmp_path: Path, name: str, expected: str
) -> None:
    target = tmp_path / name
    result = run(runner, seeded, "export", "deals", "-o", str(target))
    assert result.exit_code == 1
    errors = error_lines(result)
    assert len(errors) == 1 and expected in errors[0].lower(), result.output
    assert "Traceback" not in result.output


def _export_with_size_limit(
    db_path: Path, target: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`export notes -o target` in a process that may not write files over 64 KiB (a full disk).

    A subprocess, so the limit applies to that process only. 64 KiB leaves
    room for SQLite's 32 KiB shared-memory file, not for the 320 KB export.
    """
    limit = 64 * 1024
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from kamcoach.cli.main import main\n"
        "sys.exit(main())\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    args = ["--db", str(db_path), "export", "notes", "-o", str(target), *extra]
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_failed_write_leaves_no_half_file_and_keeps_the_old_one(
    db_path: Path, tmp_path: Path
) -> None:
    """Disk full half-way through: no truncated export, and the file it replaces is intact."""
    db = open_db(db_path)
    seed_small(db)
    for i in range(40):
        db["notes"].insert(
            {
                "opportunity_id": 1,
                "created_at": f"2026-11-20T10:{i:02d}:00",
                "text": f"note {i} " + "x" * 8000,
                "content_hash": f"big{i}",
            }
        )
    db.close()
    before = dump(db_path)
    out = tmp_path / "out"
    out.mkdir()
    fresh = out / "notes.csv"
    proc = _export_with_size_limit(db_path, fresh)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
    assert str(fresh) in proc.stderr
    assert not fresh.exists(), "a truncated export was left behind"

    fresh.write_text("the report of last week\n", encoding="utf-8")
    proc = _export_with_size_limit(db_path, fresh, "--force")
    assert proc.returncode == 1, proc.stderr
    assert fresh.read_text(encoding="utf-8") == "the report of last week\n"
    assert sorted(p.name for p in out.iterdir()) == ["notes.csv"]  # no temporary file left
    assert dump(db_path) == before


# ------------------------------------------------------------------ 6. mode 0600


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_written_files_are_private(
    runner: CliRunner, seeded: Path, tmp_path: Path, command: str, umask_022: None
) -> None:
    target = tmp_path / "report.out"
    result = run(runner, seeded, *write_cmd(command, target))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    replaced = run(runner, seeded, *write_cmd(command, target, "--force"))
    assert replaced.exit_code == 0, replaced.output
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


# ------------------------------------------------------------------ 4. CSV formula injection

HOSTILE = {
    "name": '=HYPERLINK("http://evil.example","click")',
    "account": "@SUM(1+1)*cmd|' /C calc'!A0",
    "owner": "+33 6 12 34 56 78",
    "external_id": "-42",
    "note": "\t=cmd|' /C calc'!A0",
    "author": "\rbob",
}


def _hostile_db(db_path: Path) -> int:
    db = open_db(db_path)
    seed_small(db)
    db["opportunities"].update(
        1,
        {
            "name": HOSTILE["name"],
            "owner": HOSTILE["owner"],
            "external_id": HOSTILE["external_id"],
            "source": "salesforce",
            "amount": -5000.0,
        },
    )
    db["accounts"].update(1, {"name": HOSTILE["account"]})
    db["notes"].update(1, {"text": HOSTILE["note"], "author": HOSTILE["author"]})
    db.close()
    return 1


def _row(table: list[dict[str, str]], key: str, value: str) -> dict[str, str]:
    return next(r for r in table if r[key] == value)


@pytest.mark.parametrize("excel", [False, True])
def test_export_csv_neutralises_formulas_and_keeps_numbers(
    runner: CliRunner, db_path: Path, tmp_path: Path, excel: bool
) -> None:
    _hostile_db(db_path)
    target = tmp_path / "deals.csv"
    flags = ["--excel"] if excel else []
    result = run(runner, db_path, "export", "deals", *flags, "-o", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text), delimiter=";" if excel else ","))
    row = _row(table, "id", "1")
    assert row["name"] == "'" + HOSTILE["name"]
    assert row["account"] == "'" + HOSTILE["account"]
    assert row["owner"] == "'" + HOSTILE["owner"]
    assert row["external_id"] == "'-42"
    assert row["amount"] == ("-5000,0" if excel else "-5000.0")  # a number stays a number
    notes_file = tmp_path / "notes.csv"
    result = run(runner, db_path, "export", "notes", *flags, "-o", str(notes_file))
    assert result.exit_code == 0, result.output
    text = notes_file.read_bytes().decode("utf-8-sig")  # keep the \r as written
    notes = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))
    note = _row(notes, "id", "1")
    assert (note["text"], note["author"]) == ("'" + HOSTILE["note"], "'" + HOSTILE["author"])
    for cell in (c for r in table + notes for c in r.values()):
        assert cell[:1] not in ("=", "+", "@", "\t", "\r") or cell.startswith("'"), cell


def test_csv_tables_neutralise_formulas(runner: CliRunner, db_path: Path) -> None:
    """`--format csv` of list commands and of the pipeline review (render_rows)."""
    _hostile_db(db_path)
    listed = run(runner, db_path, "deals", "list", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    table = list(csv.DictReader(io.StringIO(listed.output)))
    row = _row(table, "id", "1")
    assert row["name"] == "'" + HOSTILE["name"]
    assert "'" + HOSTILE["account"] in row.values()
    review = run(runner, db_path, "pipeline", "--format", "csv")
    assert review.exit_code == 0, review.output
    deals = list(csv.DictReader(io.StringIO(review.output)))
    row = _row(deals, "id", "1")
    assert row["name"] == "'" + HOSTILE["name"]
    assert row["owner"] == "'" + HOSTILE["owner"]
    assert row["amount"].startswith("-5000")


def test_own_export_with_formula_like_names_round_trips(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """Export -> import of our own file: the quote we add is taken off again."""
    db = open_db(db_path)
    import_file(db, DATA / "salesforce_opportunities_en.csv")
    deal_id = db.execute("SELECT id FROM opportunities ORDER BY id LIMIT 1").fetchone()[0]
    db["opportunities"].update(deal_id, {"name": "=1+1 renewal", "owner": "@camille"})
    db["accounts"].update(db["opportunities"].get(deal_id)["account_id"], {"name": "-Minus Corp"})
    db.close()
    before = dump(db_path)
    for excel in ((), ("--excel",)):
        exported = tmp_path / f"deals{len(excel)}.csv"
        result = run(runner, db_path, "export", "deals", *excel, "-o", str(exported))
        assert result.exit_code == 0, result.output
        assert "'=1+1 renewal" in exported.read_text(encoding="utf-8-sig")
        again = run(runner, db_path, "import", str(exported))
        assert again.exit_code == 0, again.output
        assert "0 new, 0 updated, 4 unchanged, 0 bad rows" in again.output
        assert dump(db_path) == before


def test_restore_undoes_neutralise() -> None:
    """Every text of up to 4 characters over the characters that matter (9**4 + ... cases)."""
    alphabet = "'=+-@\t\ra "
    for size in range(5):
        for chars in itertools.product(alphabet, repeat=size):
            text = "".join(chars)
            cell = neutralise(text)
            assert restore(cell) == text, repr(text)
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), repr(text)


def test_numbers_and_plain_text_are_left_alone() -> None:
    assert neutralise(-5000.0) == -5000.0 and neutralise(-3) == -3
    assert neutralise("Renewal [phase 2]") == "Renewal [phase 2]"
    assert restore("'Tis the season") == "'Tis the season"  # not one of ours
