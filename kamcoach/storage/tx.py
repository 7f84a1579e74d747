"""Write transactions that take SQLite's write lock up front.

A deferred ``BEGIN`` (what ``Database.atomic()`` issues) reads first and asks
for the write lock only at its first write; when another process (the TUI, a
CLI import) holds the lock by then, SQLite cannot wait for it without risking a
deadlock and fails at once with "database is locked", whatever the busy
timeout. ``BEGIN IMMEDIATE`` asks for the lock before reading anything, so the
busy timeout applies and the two writers simply take turns. Every write in
kamcoach, single rows included, goes through :func:`write_transaction`.

A database opened read-only (read-only file or folder) is marked here, so a
write attempt says so in one line before touching SQLite.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

from kamcoach.errors import DatabaseError

_READ_ONLY: weakref.WeakKeyDictionary[Database, str] = weakref.WeakKeyDictionary()


def mark_read_only(db: Database, why: str) -> None:
    """Record that ``db`` was opened for reading only, and why (shown on a write attempt)."""
    _READ_ONLY[db] = why


def read_only_reason(db: Database) -> str | None:
    """Why ``db`` cannot be written to, or None when it can."""
    return _READ_ONLY.get(db)


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One write transaction holding the write lock from its first statement.

    Nested use joins the outer transaction through a savepoint, so a core
    function can be called on its own or inside a caller's transaction.
    """
    why = _READ_ONLY.get(db)
    if why is not None:
        raise DatabaseError(f"{why}; this needs to write, so nothing was changed")
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise


def write_error_message(exc: BaseException) -> str:
    """Why a write failed, in words a user can act on (the CLI and the TUI show this).

    "database is locked" after the busy timeout means another program kept
    the write lock longer than kamcoach waits: say so rather than echo SQLite.
    """
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        if "locked" in text or "busy" in text:
            return (
                "the database is busy: another kamcoach (an import, an analysis) kept it "
                "locked longer than kamcoach waits; nothing was written, try again"
            )
        if "readonly" in text:
            return "the database is read-only here; nothing was written"
    return text or type(exc).__name__
