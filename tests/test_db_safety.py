"""Opening a database file: refuse others' files untouched, private modes, read-only use.

Issue 11 items 5, 6 and 8, and three paths that ended in a traceback (a
``--db`` name over 255 bytes, a schema with bytes that are not UTF-8,
``KAMCOACH_DB='~nosuchuser/...'``). The bad-input cases run the real entry
point (``python -m kamcoach``) in a subprocess: a traceback there is what the
user would see.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from kamcoach.io.demo import load_demo
from kamcoach.storage.db import open_db

ROOT = Path(__file__).resolve().parent.parent
CRM = Path(__file__).parent / "data" / "crm"


_NO_DAC = "-dac_override,-dac_read_search"


def kamcoach(
    *args: str, env: dict[str, str] | None = None, unprivileged: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kamcoach`` from this checkout, optionally without root's file powers."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), full_env.get("PYTHONPATH", "")) if p
    )
    command = [sys.executable, "-m", "kamcoach", *args]
    if unprivileged:
        # Still root, but without the capabilities that bypass permission bits: files then
        # get the checks a normal user meets. Not another uid: the interpreter and the
        # virtual environment may live in root's private folders (CI's mktemp venv).
        command = ["setpriv", f"--inh-caps={_NO_DAC}", f"--bounding-set={_NO_DAC}", *command]
    return subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=120)


def assert_one_error_line(out: subprocess.CompletedProcess[str], *words: str) -> str:
    assert out.returncode != 0, out
    assert "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder with its bytes: what 'left untouched' means."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---------------------------------------------------------------- item 5


def test_another_programs_database_is_refused_unchanged(tmp_path: Path) -> None:
    """Was switched to WAL (header bytes 18-19 from 1 to 2, a -wal/-shm pair) before the refusal."""
    other = tmp_path / "invoices.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices VALUES (1, 99.5)")
    conn.commit()
    conn.close()
    before = snapshot(tmp_path)
    out = kamcoach("--db", str(other), "deals", "list")
    assert_one_error_line(out, "kamcoach did not create", "invoices")
    assert snapshot(tmp_path) == before  # same bytes, no -wal / -shm left beside it


def test_another_programs_wal_database_gets_no_companion_files(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("CREATE TABLE things (id INTEGER)")
    conn.commit()
    conn.close()
    before = snapshot(tmp_path)
    assert set(before) == {"app.db"}
    out = kamcoach("--db", str(other), "accounts", "list")
    assert_one_error_line(out, "kamcoach did not create")
    assert snapshot(tmp_path) == before


def test_another_sqlite_utils_app_is_not_taken_for_kamcoach(tmp_path: Path) -> None:
    """A ``_sqlite_migrations`` table of another migration set used to pass the check."""
    other = tmp_path / "blog.db"
    db = Database(other)
    db["_sqlite_migrations"].insert(
        {"id": 1, "migration_set": "blog", "name": "m001", "applied_at": "2026-01-01"}, pk="id"
    )
    db["posts"].insert({"id": 1, "title": "hello"}, pk="id")
    db.close()
    before = snapshot(tmp_path)
    out = kamcoach("--db", str(other), "deals", "list")
    assert_one_error_line(out, "kamcoach did not create", "posts")
    assert snapshot(tmp_path) == before


def test_kamcoach_file_without_migration_record_is_refused_unchanged(tmp_path: Path) -> None:
    """Used to create _sqlite_migrations, then fail on 'table accounts already exists'."""
    path = tmp_path / "kamcoach.db"
    db = open_db(path)
    db.execute("DROP TABLE _sqlite_migrations")
    db.conn.commit()
    db.close()
    before = snapshot(tmp_path)
    out = kamcoach("--db", str(path), "deals", "list")
    line = assert_one_error_line(out, "no migration record")
    assert "already exists" not in line
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------- item 6


def test_new_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask, which made them 0644
    try:
        path = tmp_path / "sub" / "kamcoach.db"
        db = open_db(path)
        repo_write = db.execute("INSERT INTO meta(key, value) VALUES ('probe', 'x')")
        repo_write.close()
        db.conn.commit()
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        modes = {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in files}
        db.close()
    finally:
        os.umask(old_umask)
    assert modes == {"kamcoach.db": 0o600, "kamcoach.db-wal": 0o600, "kamcoach.db-shm": 0o600}
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


# ---------------------------------------------------------------- item 8


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A temporary folder whose modes the test changes (all restored before removal)."""
    folder = Path(tempfile.mkdtemp(prefix="kc-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for p in [folder, *folder.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def _read_only_setup(base: Path, *, folder_read_only: bool) -> tuple[Path, bool, dict[str, str]]:
    """A demo database the test user may read but not write.

    Root ignores permission bits, so as root the commands run without the
    capabilities that let it (``setpriv``), on files with the write bits
    removed: SQLite and kamcoach then meet the same refusals a normal user meets.
    """
    folder = base / "team"
    folder.mkdir()
    db = open_db(folder / "kamcoach.db")
    load_demo(db)
    db.close()  # a clean close removes -wal and -shm: only the WAL-mode file is left
    config = base / "config"
    config.mkdir()
    env = {"XDG_CONFIG_HOME": str(config), "XDG_DATA_HOME": str(base / "data"), "HOME": str(base)}
    unprivileged = os.geteuid() == 0
    if unprivileged and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot drop root's file powers")
    (folder / "kamcoach.db").chmod(0o400 if not folder_read_only else 0o600)
    if folder_read_only:
        folder.chmod(0o555)
    return folder / "kamcoach.db", unprivileged, env


@pytest.mark.parametrize("folder_read_only", [True, False], ids=["folder", "file"])
def test_read_only_database_can_be_read_and_refuses_writes(
    shared_folder: Path, folder_read_only: bool
) -> None:
    path, unprivileged, env = _read_only_setup(shared_folder, folder_read_only=folder_read_only)
    before = snapshot(path.parent)
    listed = kamcoach(
        "--db", str(path), "deals", "list", "--format", "json", env=env, unprivileged=unprivileged
    )
    assert listed.returncode == 0, listed.stderr
    assert '"name"' in listed.stdout and listed.stderr == ""
    for args in (["pipeline"], ["deals", "show", "1"], ["accounts", "list"]):
        out = kamcoach("--db", str(path), *args, env=env, unprivileged=unprivileged)
        assert out.returncode == 0, (args, out.stderr)
        assert "Traceback" not in out.stderr
    wrote = kamcoach(
        "--db",
        str(path),
        "import",
        str(CRM / "salesforce_opportunities_en.csv"),
        env=env,
        unprivileged=unprivileged,
    )
    assert_one_error_line(wrote, "read-only", "nothing was changed")
    assert snapshot(path.parent) == before


# ---------------------------------------------------------------- bad input


def test_db_name_over_255_bytes_is_one_line(tmp_path: Path) -> None:
    long_name = tmp_path / ("d" * 300 + ".db")
    out = kamcoach("--db", str(long_name), "deals", "list")
    assert_one_error_line(out, "file name too long")
    out = kamcoach("deals", "list", env={"KAMCOACH_DB": str(long_name)})
    assert_one_error_line(out, "file name too long")


def test_schema_with_bytes_that_are_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "kamcoach.db"
    open_db(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET name = CAST(X'6D6574FF' AS TEXT), "
        "tbl_name = CAST(X'6D6574FF' AS TEXT) WHERE name = 'meta'"
    )
    conn.commit()
    conn.close()
    before = snapshot(tmp_path)
    out = kamcoach("--db", str(path), "deals", "list")
    assert_one_error_line(out, "not valid UTF-8", str(path))
    assert snapshot(tmp_path) == before


def test_kamcoach_db_naming_an_unknown_user_is_one_line() -> None:
    out = kamcoach("deals", "list", env={"KAMCOACH_DB": "~nosuchuser/x.db"})
    assert_one_error_line(out, "~nosuchuser")
    out = kamcoach("--db", "~nosuchuser/team.db", "pipeline")
    assert_one_error_line(out, "~nosuchuser")


@pytest.mark.parametrize(
    "args",
    [
        ("export", "notes"),
        ("pipeline", "-o", "{tmp}/review.md"),
        ("coach", "-o", "{tmp}/coach.md"),
        ("prep", "1", "--no-analyse", "-o", "{tmp}/prep.md"),
    ],
    ids=lambda a: a[0],
)
def test_unknown_user_in_db_path_is_one_line_for_commands_writing_files(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    """Found by benchmarks/fuzz_cli.py: the output-path guard expanded ``~user`` itself."""
    filled = [a.format(tmp=tmp_path) for a in args]
    out = kamcoach(*filled, env={"KAMCOACH_DB": "~nosuchuser/x.db"})
    assert_one_error_line(out, "~nosuchuser")
    assert list(tmp_path.iterdir()) == []
