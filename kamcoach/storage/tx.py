"""Write transactions that take SQLite's write lock up front.

A deferred ``BEGIN`` (what ``Database.atomic()`` issues) reads first and asks
for the write lock only at its first write; when another process (the TUI, a
CLI import) holds the lock by then, SQLite cannot wait for it without risking a
deadlock and fails at once with "database is locked", whatever the busy
timeout. ``BEGIN IMMEDIATE`` asks for the lock before reading anything, so the
busy timeout applies and the two writers simply take turns. Every multi-row
write in kamcoach goes through :func:`write_transaction`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One write transaction holding the write lock from its first statement.

    Nested use joins the outer transaction through a savepoint, so a core
    function can be called on its own or inside a caller's transaction.
    """
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
