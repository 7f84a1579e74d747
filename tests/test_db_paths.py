"""Which database paths kamcoach creates, and that a dry run never writes.

Issue 13 defects 3 and 4: `kamcoach --db NEW.db` filled any new path with the
demo, a mistyped --db silently created folders and an empty database, and
`import --dry-run` created the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from kamcoach.cli.context import Ctx
from kamcoach.cli.main import main
from kamcoach.cli.tui_cmd import DEMO_NOTICE, prepare_database
from kamcoach.errors import DatabaseError
from kamcoach.paths import default_db_path
from kamcoach.storage.migrations import SCHEMA_VERSION_NAMES, migrations

CSV = Path(__file__).parent / "data" / "crm" / "salesforce_opportunities_en.csv"


@pytest.fixture(autouse=True)
def _no_create(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAMCOACH_CREATE", raising=False)


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _one_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_a_command_refuses_a_missing_database_unless_told_to_create(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    line = _one_error(_run("--db", str(path), "deals", "list"))
    assert "no database there; add --create" in line and str(path) in line
    assert not path.exists()
    created = _run("--db", str(path), "--create", "deals", "list")
    assert created.exit_code == 0, created.output
    assert path.exists()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0] == 0  # no demo
    conn.close()
    again = _run("--db", str(path), "deals", "list")  # it exists now: no flag needed
    assert again.exit_code == 0, again.output
    after = _run("deals", "list", "--db", str(tmp_path / "b.db"), "--create")  # after the command
    assert after.exit_code == 0, after.output


def test_a_mistyped_folder_is_refused_even_with_create(tmp_path: Path) -> None:
    path = tmp_path / "tpyo" / "team.db"
    line = _one_error(_run("--db", str(path), "--create", "import", str(CSV)))
    assert "the folder" in line and "does not exist" in line
    assert not path.parent.exists()


def test_demo_always_creates(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    result = _run("--db", str(path), "demo")
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0] > 10
    conn.close()


def test_dry_run_on_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    result = _run("--db", str(path), "import", "--dry-run", str(CSV))
    assert result.exit_code == 0, result.output
    assert "would write 4 new" in result.output
    assert "planned against an empty one; nothing was created" in result.output
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_dry_run_never_upgrades_or_touches_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(Database(conn), stop_before=SCHEMA_VERSION_NAMES[-3])
    conn.commit()
    conn.close()
    before = path.read_bytes()
    result = _run("--db", str(path), "import", "--dry-run", str(CSV))
    assert result.exit_code == 0, result.output
    assert "upgraded copy in memory" in result.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.db"]  # no -wal, no -shm


def test_the_app_fills_only_the_default_database_with_the_demo(tmp_path: Path) -> None:
    first = Ctx()
    assert first.is_default and not default_db_path().exists()
    assert prepare_database(first) == DEMO_NOTICE.format(path=default_db_path())
    first.close()
    other = Ctx(db_path=tmp_path / "team.db")
    with pytest.raises(DatabaseError, match="add --create"):
        prepare_database(other)  # not on a terminal: no question, a clear refusal
    assert not (tmp_path / "team.db").exists()
    told = Ctx(db_path=tmp_path / "team.db", create=True)
    notice = prepare_database(told)
    assert notice is not None and notice.startswith("Created an empty database")
    count = told.db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0]
    told.close()
    assert count == 0
