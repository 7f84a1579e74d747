"""Lookup tables for one import pass, kept in SQLite's temp schema instead of Python dicts.

To spot the same deal twice in a file, or to link row 90,000 to the contact
row 3 created, the importer must remember every identity it has seen. Held in
dicts, that memory grows with the file (the old in-memory plan peaked at 200 MB
of Python objects for 100,000 rows). A ``TEMP`` table lives in the
connection's private temp database, whose page cache is bounded and spills to
a temporary file, and is read and written without taking the main database's
write lock, so a dry run can use it too. Each table is dropped when the pass
ends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

#: Parameters per statement: below SQLite's oldest limit (999).
MAX_PARAMS = 900


class TempIndex:
    """``key -> (a, b, c)`` for the length of one import pass."""

    __slots__ = ("_add", "_conn", "_get", "_put", "name")

    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        self._conn = conn
        self.name = name
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
        # No declared type on the key: integer and text keys compare exactly.
        conn.execute(f"CREATE TEMP TABLE {name} (key PRIMARY KEY, a, b, c) WITHOUT ROWID")
        self._get = f"SELECT a, b, c FROM temp.{name} WHERE key = ?"
        self._put = f"INSERT OR REPLACE INTO temp.{name} (key, a, b, c) VALUES (?, ?, ?, ?)"
        self._add = f"INSERT OR IGNORE INTO temp.{name} (key, a, b, c) VALUES (?, ?, ?, ?)"

    def get(self, key: Any) -> tuple[Any, Any, Any] | None:
        row = self._conn.execute(self._get, (key,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def get_many(self, keys: Iterable[Any]) -> dict[Any, tuple[Any, Any, Any]]:
        """The keys found among ``keys``, a few statements for any number of keys."""
        wanted = list(dict.fromkeys(keys))
        found: dict[Any, tuple[Any, Any, Any]] = {}
        for start in range(0, len(wanted), MAX_PARAMS):
            part = wanted[start : start + MAX_PARAMS]
            marks = ", ".join("?" for _ in part)
            for row in self._conn.execute(
                f"SELECT key, a, b, c FROM temp.{self.name} WHERE key IN ({marks})", part
            ):
                found[row[0]] = (row[1], row[2], row[3])
        return found

    def put(self, key: Any, a: Any, b: Any = None, c: Any = None) -> None:
        """Set ``key`` (replacing any earlier value)."""
        self._conn.execute(self._put, (key, a, b, c))

    def fill(self, rows: Iterable[tuple[Any, Any, Any, Any]]) -> None:
        """Add many ``(key, a, b, c)`` rows, the first of equal keys winning."""
        self._conn.executemany(self._add, rows)

    def drop(self) -> None:
        self._conn.execute(f"DROP TABLE IF EXISTS temp.{self.name}")
