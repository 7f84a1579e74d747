"""Open the kamcoach database: pragmas, migrations, sanity checks.

Everything that touches the store receives the returned ``Database`` as an
argument (never a global), so tests can hand in a temporary file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from kamcoach.errors import DatabaseError
from kamcoach.storage.migrations import SCHEMA_VERSION_NAMES, migrations


def open_db(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (creating if needed) a kamcoach database and bring its schema up to date.

    ``":memory:"`` gives an in-memory database (WAL does not apply there).
    A file that is not SQLite is refused with a clear error rather than
    overwritten.
    """
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path).expanduser()
        if path.is_dir():
            raise DatabaseError(f"{path}: is a folder, expected a database file")
        if path.exists() and path.stat().st_size:
            with path.open("rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise DatabaseError(f"{path}: not a SQLite database")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"{path.parent}: cannot create folder ({exc.strerror})") from None
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False)
        db = Database(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        if not memory:
            db.enable_wal()
        if migrate:
            _check_foreign(db, path)
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: cannot open database ({exc})") from None
    return db


def _check_foreign(db: Database, path: str | Path) -> None:
    """Refuse to add kamcoach tables to somebody else's database."""
    tables = set(db.table_names())
    if tables and "_sqlite_migrations" not in tables and "opportunities" not in tables:
        raise DatabaseError(
            f"{path}: is a SQLite database that kamcoach did not create "
            f"(tables: {', '.join(sorted(tables)[:5])}); choose another --db"
        )


def schema_version(db: Database) -> int:
    """How many kamcoach migrations the database has applied."""
    applied = {m.name for m in migrations.applied(db)}
    return sum(1 for name in SCHEMA_VERSION_NAMES if name in applied)


def latest_schema_version() -> int:
    return len(SCHEMA_VERSION_NAMES)
