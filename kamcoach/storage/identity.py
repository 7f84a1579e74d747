"""Look at a database file before opening it for writing, without changing it.

Opening a file read-write already changes it: switching it to WAL, creating
the migrations table, leaving ``-wal``/``-shm`` files beside it. So whether a
file is ours is decided first through a read-only connection (``mode=ro``, or
``immutable=1`` for a WAL file nobody has open, where ``mode=ro`` would leave
``-wal``/``-shm`` files behind). A file we refuse is left byte for byte as it
was. The same read-only connection is how a database in a read-only folder is
read at all.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kamcoach.errors import DatabaseError

SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATION_SET = "kamcoach"
MIGRATIONS_TABLE = "_sqlite_migrations"
#: Tables only kamcoach creates: their presence without a migration record means
#: a damaged kamcoach file rather than another program's.
KAMCOACH_TABLES = frozenset({"opportunities", "notes", "reviews", "review_scores"})

Kind = Literal["new", "kamcoach"]


@dataclass(frozen=True, slots=True)
class FileState:
    """What a path holds, seen read-only, and whether kamcoach may write to it."""

    kind: Kind
    """'new' (absent, empty, or SQLite without tables) or 'kamcoach'."""
    read_only_reason: str | None
    """Why the file can only be read (read-only file or folder), or None."""


def path_error(path: Path, exc: OSError) -> DatabaseError:
    """One clear line for a path the system refuses (name too long, no access...)."""
    if exc.errno == errno.ENAMETOOLONG:
        return DatabaseError(f"{path}: file name too long (at most 255 bytes per name)")
    return DatabaseError(f"{path}: cannot use this path ({exc.strerror or exc})")


def inspect_file(path: Path) -> FileState:
    """Decide, read-only, whether ``path`` is a kamcoach database kamcoach may open.

    Raises :class:`DatabaseError` for a folder, a non-SQLite file, another
    program's database, a kamcoach file without its migration record, an
    unreadable or damaged file. Nothing is written, whatever the outcome.
    """
    try:
        if path.is_dir():
            raise DatabaseError(f"{path}: is a folder, expected a database file")
        exists = path.exists()
        size = path.stat().st_size if exists else 0
        header = b""
        if size:
            with path.open("rb") as fh:
                header = fh.read(100)
    except OSError as exc:
        raise path_error(path, exc) from None
    reason = _read_only_reason(path, exists)
    if not size:
        if reason is not None:
            raise DatabaseError(f"{path}: cannot create the database: {reason}")
        return FileState("new", None)
    if not header.startswith(SQLITE_HEADER):
        raise DatabaseError(f"{path}: not a SQLite database")
    tables, sets = _schema(path, header)
    user_tables = tables - {MIGRATIONS_TABLE}
    if MIGRATION_SET in sets:
        return FileState("kamcoach", reason)
    if not user_tables and not sets:
        if reason is not None:
            raise DatabaseError(f"{path}: cannot create the kamcoach tables: {reason}")
        return FileState("new", None)
    if MIGRATIONS_TABLE not in tables and user_tables & KAMCOACH_TABLES:
        raise DatabaseError(
            f"{path}: has kamcoach tables but no migration record ({MIGRATIONS_TABLE}), "
            "so its schema version is unknown; restore a backup or choose another --db"
        )
    shown = ", ".join(sorted(user_tables)[:5]) or MIGRATIONS_TABLE
    raise DatabaseError(
        f"{path}: is a SQLite database that kamcoach did not create "
        f"(tables: {shown}); choose another --db"
    )


def read_only_uri(path: Path, header: bytes | None = None) -> str:
    """A URI opening ``path`` for reading only, creating no file beside it.

    A WAL database (header bytes 18-19 equal 2) that nobody has open has no
    ``-wal`` file: ``mode=ro`` would create ``-wal`` and ``-shm`` and could not
    remove them, so it is opened ``immutable`` (there is nothing in a WAL to
    read). Otherwise ``mode=ro`` reads it with the usual locking.
    """
    if header is None:
        with path.open("rb") as fh:
            header = fh.read(100)
    uri = path.absolute().as_uri()
    wal_mode = len(header) >= 20 and header[18] == 2 and header[19] == 2
    if wal_mode and not Path(f"{path}-wal").exists():
        return f"{uri}?immutable=1"
    return f"{uri}?mode=ro"


def _schema(path: Path, header: bytes) -> tuple[set[str], set[str]]:
    """Table names and kamcoach-style migration sets, read through a read-only connection."""
    try:
        conn = sqlite3.connect(read_only_uri(path, header), uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path}: cannot read the database ({exc})") from None
    conn.text_factory = bytes
    try:
        rows = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
        tables = {_text(path, name) for kind, name in rows if kind == b"table"}
        sets: set[str] = set()
        if MIGRATIONS_TABLE in tables:
            cursor = conn.execute(f"SELECT DISTINCT migration_set FROM {MIGRATIONS_TABLE}")
            sets = {_text(path, row[0]) for row in cursor if row[0] is not None}
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path}: damaged or unreadable database ({_message(exc)})") from None
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    finally:
        conn.close()
    return tables, sets


def _text(path: Path, value: object) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
    return str(value)


def _not_utf8(path: Path) -> DatabaseError:
    return DatabaseError(
        f"{path}: damaged database: its schema holds names that are not valid UTF-8"
    )


def _message(exc: sqlite3.Error) -> str:
    """SQLite's message; its bytes were already decoded (an undecodable one never gets here)."""
    return str(exc) or type(exc).__name__


def _read_only_reason(path: Path, exists: bool) -> str | None:
    """Why kamcoach could only read ``path`` (None when it may write).

    Writing a WAL database needs the file writable and, unless its ``-wal``
    and ``-shm`` files already exist and are writable, a writable folder to
    create them in. ``os.access`` answers for the real user (root may write
    anything, which is also what SQLite will find).
    """
    folder = path.parent
    if not exists and not folder.exists():
        return None  # open_db creates the folder (and says so if it cannot)
    if exists and not os.access(path, os.W_OK):
        return "the file is read-only"
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    if not exists:
        return f"the folder {folder} is read-only"
    companions = [Path(f"{path}-wal"), Path(f"{path}-shm")]
    if all(p.exists() and os.access(p, os.W_OK) for p in companions):
        return None
    return f"the folder {folder} is read-only"
