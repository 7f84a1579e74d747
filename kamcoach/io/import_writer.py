"""Batched writes of one import pass, inside the caller's single transaction.

The importer hands each new or changed record to an :class:`ImportWriter` as
it reads the row; the writer sends them to SQLite in ``executemany`` batches
(parents before children, for the foreign keys) and forgets them, so memory
stays flat however long the file is. A dry run uses a writer that is not
``enabled``: same code path, nothing written.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from sqlite_utils import Database

#: Flush when this many records are pending, or this many characters of note text.
BATCH_RECORDS = 5000
BATCH_CHARS = 8 << 20

_INSERTS = {
    "reps": ("id", "name", "created_at"),
    "accounts": ("id", "name", "external_id", "source", "created_at", "rep_id"),
    "contacts": ("id", "account_id", "name", "title", "email", "created_at"),
    # A contacts export's contact: every field it can carry (the deals' "contacts" above
    # are only a name on a deal row).
    "contact_records": (
        "id",
        "account_id",
        "name",
        "title",
        "email",
        "buying_role",
        "stance",
        "influence",
        "last_contact_at",
        "external_id",
        "source",
        "created_at",
        "updated_at",
    ),
    "opportunities": (
        "id",
        "account_id",
        "name",
        "amount",
        "currency",
        "stage",
        "close_date",
        "owner",
        "rep_id",
        "type",
        "playbook",
        "created_at",
        "stage_changed_at",
        "external_id",
        "source",
    ),
    "opportunity_history": (
        "opportunity_id",
        "changed_at",
        "field",
        "old_value",
        "new_value",
        "source",
        "author",
        "reason",
    ),
    "notes": (
        "opportunity_id",
        "created_at",
        "author",
        "lang",
        "text",
        "content_hash",
        "external_id",
        "source",
        "title",
    ),
    "next_steps": ("opportunity_id", "what", "set_at", "source"),
}
#: record -> values in column order (every record carries every column).
_GETTERS = {table: itemgetter(*columns) for table, columns in _INSERTS.items()}
#: Insert order within a flush: parents before the rows that reference them.
_ORDER = ("reps", "accounts", "contacts", "contact_records", "opportunities")
#: Record kinds written to another table than their name.
_TABLES = {"contact_records": "contacts"}


def _insert_sql(table: str) -> str:
    columns = _INSERTS[table]
    return (
        f"INSERT INTO {_TABLES.get(table, table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )


class ImportWriter:
    """Collects an import's writes and flushes them in batches (or drops them for a dry run)."""

    def __init__(self, db: Database, *, enabled: bool) -> None:
        self.db = db
        self.enabled = enabled
        self._rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in _INSERTS}
        self._updates: dict[tuple[str, ...], list[list[Any]]] = {}
        #: (table, columns) -> rows, for accounts and contacts (after the deals' updates)
        self._row_updates: dict[tuple[str, tuple[str, ...]], list[list[Any]]] = {}
        self._links: list[tuple[int, int]] = []
        self._note_updates: list[tuple[str, str, str | None, int]] = []
        self._pending = 0
        self._chars = 0

    def insert(self, table: str, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self._rows[table].append(_GETTERS[table](record))
        self._added(len(record.get("text") or "") if table == "notes" else 0)

    def update_deal(self, deal_id: int, changes: dict[str, Any]) -> None:
        if not self.enabled:
            return
        keys = tuple(sorted(changes))
        self._updates.setdefault(keys, []).append([changes[k] for k in keys] + [deal_id])
        self._added(0)

    def update_row(self, table: str, row_id: int, changes: dict[str, Any]) -> None:
        """Change an existing account or contact (sent after this flush's inserts)."""
        if not self.enabled:
            return
        assert table in ("accounts", "contacts"), table
        keys = tuple(sorted(changes))
        self._row_updates.setdefault((table, keys), []).append(
            [changes[k] for k in keys] + [row_id]
        )
        self._added(0)

    def link(self, deal_id: int, contact_id: int) -> None:
        if not self.enabled:
            return
        self._links.append((deal_id, contact_id))
        self._added(0)

    def update_note(self, note_id: int, text: str, digest: str, title: str | None = None) -> None:
        if not self.enabled:
            return
        self._note_updates.append((text, digest, title, note_id))
        self._added(len(text))

    def disable(self) -> None:
        """Drop what is pending and write nothing more (the import will be rolled back)."""
        self.enabled = False
        for rows in self._rows.values():
            rows.clear()
        self._updates.clear()
        self._row_updates.clear()
        self._links.clear()
        self._note_updates.clear()
        self._pending = 0
        self._chars = 0

    def _added(self, chars: int) -> None:
        self._pending += 1
        self._chars += chars
        if self._pending >= BATCH_RECORDS or self._chars >= BATCH_CHARS:
            self.flush()

    def flush(self) -> None:
        """Send everything pending to SQLite (still inside the caller's transaction)."""
        if not self._pending:
            return
        conn = self.db.conn
        for table in _ORDER:
            if self._rows[table]:
                conn.executemany(_insert_sql(table), self._rows[table])
                self._rows[table].clear()
        for keys, params in self._updates.items():
            assignments = ", ".join(f"{k} = ?" for k in keys)
            conn.executemany(f"UPDATE opportunities SET {assignments} WHERE id = ?", params)
        self._updates.clear()
        for (table, keys), params in self._row_updates.items():
            assignments = ", ".join(f"{k} = ?" for k in keys)
            conn.executemany(f"UPDATE {table} SET {assignments} WHERE id = ?", params)
        self._row_updates.clear()
        for table in ("opportunity_history", "notes", "next_steps"):
            if self._rows[table]:
                conn.executemany(_insert_sql(table), self._rows[table])
                self._rows[table].clear()
        if self._links:
            conn.executemany(
                "INSERT OR IGNORE INTO opportunity_contacts (opportunity_id, contact_id) "
                "VALUES (?, ?)",
                self._links,
            )
            self._links.clear()
        if self._note_updates:
            conn.executemany(
                "UPDATE notes SET text = ?, content_hash = ?, title = ? WHERE id = ?",
                self._note_updates,
            )
            self._note_updates.clear()
        self._pending = 0
        self._chars = 0
