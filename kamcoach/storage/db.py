"""Open the kamcoach database: identity check, pragmas, migrations.

Everything that touches the store receives the returned ``Database`` as an
argument (never a global), so tests can hand in a temporary file.

Order matters. The file is first looked at read-only
(:mod:`kamcoach.storage.identity`), so another program's database is refused
before anything is written to it. A new file is created private (mode 0600;
SQLite gives its ``-wal`` and ``-shm`` files the same mode). A database that
can only be read (read-only file or folder) is opened read-only instead of
failing, and any write on it says why it is impossible.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from kamcoach.errors import DatabaseError
from kamcoach.paths import expand_user
from kamcoach.storage.identity import inspect_file, path_error, read_only_uri
from kamcoach.storage.migrations import SCHEMA_VERSION_NAMES, migrations
from kamcoach.storage.tx import mark_read_only, write_transaction

#: How long a write waits for another process's write transaction (milliseconds).
#: Longer than our longest write transaction: `benchmarks/write_lock.py` measured a
#: 100,000-row import (planned and written under one lock) holding it 23.8 s on a
#: 2-core machine at load average 6.6, `deals analyze --all` on the demo 0.04 s at
#: most per transaction. The old 5 s gave up during any large import.
BUSY_TIMEOUT_MS = 60_000
#: Mode of a database file kamcoach creates: the notes are private.
DB_FILE_MODE = 0o600


def open_db(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (creating if needed) a kamcoach database and bring its schema up to date.

    ``":memory:"`` gives an in-memory database (WAL does not apply there).
    A file that is not a kamcoach database is refused with a clear error and
    left exactly as it was.
    """
    if str(path) == ":memory:":
        db = Database(sqlite3.connect(":memory:", check_same_thread=False))
        _pragmas(db.conn)
        if migrate:
            migrations.apply(db)
        return db
    path = expand_user(path, "database path")
    state = inspect_file(path)
    if state.read_only_reason is not None:
        return _open_read_only(path, state.read_only_reason)
    if state.kind == "new":
        _create_private(path)
    try:
        db = Database(sqlite3.connect(str(path), check_same_thread=False))
        _pragmas(db.conn)
        db.enable_wal()
        if migrate:
            _migrate(db)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: cannot open database ({exc})") from None
    except UnicodeDecodeError:
        raise DatabaseError(f"{path}: damaged database: text that is not valid UTF-8") from None
    return db


def _pragmas(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _create_private(path: Path) -> None:
    """Create the folder (0700) and an empty database file (0600) before SQLite opens it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DatabaseError(f"{path.parent}: cannot create folder ({exc.strerror})") from None
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DB_FILE_MODE))
    except FileExistsError:
        pass  # another kamcoach process created it first; SQLite takes it from here
    except OSError as exc:
        raise path_error(path, exc) from None


def _migrate(db: Database) -> None:
    """Apply pending migrations holding the write lock, so two first runs do not race.

    The pending list is read again inside the transaction: the process that
    waited finds the schema already brought up to date by the other one.
    """
    if not migrations.pending(db):
        return
    with write_transaction(db):
        migrations.apply(db)


def _open_read_only(path: Path, why: str) -> Database:
    """Open for reading only; refuse when the schema would need an upgrade first."""
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)
        db = Database(conn)
        _pragmas(conn)
        pending = len(migrations.pending(db))
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: cannot read the database ({exc}; {why})") from None
    except UnicodeDecodeError:
        raise DatabaseError(f"{path}: damaged database: text that is not valid UTF-8") from None
    if pending:
        db.close()
        raise DatabaseError(
            f"{path}: {why}, and the database needs a schema upgrade "
            f"({pending} step(s)) before this kamcoach can read it; make it writable once"
        )
    mark_read_only(db, f"{path}: opened read-only ({why})")
    return db


def schema_version(db: Database) -> int:
    """How many kamcoach migrations the database has applied."""
    applied = {m.name for m in migrations.applied(db)}
    return sum(1 for name in SCHEMA_VERSION_NAMES if name in applied)


def latest_schema_version() -> int:
    return len(SCHEMA_VERSION_NAMES)


def open_for_dry_run(path: str | Path) -> tuple[Database, str | None]:
    """A database to plan against that never writes to ``path``; and what to tell the user.

    A dry run must leave no trace: no new file, no folder, no schema upgrade.
    A missing file is planned against an empty database in memory; a file
    whose schema is older is copied into memory and upgraded there; a current
    one is opened read-only (temporary tables, which planning uses, live
    outside the file).
    """
    if str(path) == ":memory:":
        return open_db(":memory:"), None
    path = expand_user(path, "database path")
    if not path.exists():
        return open_db(":memory:"), f"no database at {path} yet: planned against an empty one"
    state = inspect_file(path)
    if state.kind == "new":  # an empty file: nothing to read
        return open_db(":memory:"), None
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)
        _pragmas(conn)
        source = Database(conn)
        pending = len(migrations.pending(source))
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: cannot read the database ({exc})") from None
    if not pending:
        mark_read_only(source, f"{path}: opened read-only for a dry run")
        return source, None
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    conn.backup(copy)
    conn.close()
    db = Database(copy)
    _pragmas(copy)
    migrations.apply(db)
    return db, f"{path} needs a schema upgrade: planned against an upgraded copy in memory"
