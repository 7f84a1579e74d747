"""Reps: the people who own deals and accounts.

``rep_id`` on deals and accounts is the owner's identity; the owner name the
pipeline shows is kept in step with the rep by the m010 triggers. Code that
assigns an owner resolves the name here first.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now
from kamcoach.domain.ids import is_utf8, parse_id
from kamcoach.errors import InputError, NotFoundError
from kamcoach.storage.tx import write_transaction


def _row(db: Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def find_rep(db: Database, name: str) -> dict[str, Any] | None:
    """The rep called ``name`` (trimmed, ASCII case-insensitive), or None."""
    return _row(db, "SELECT * FROM reps WHERE name = ? COLLATE NOCASE", [name.strip()])


def ensure_rep(db: Database, name: str) -> int:
    """The id of the rep called ``name``, created when there is none yet.

    Joins the caller's transaction when there is one, so a deal and its new
    rep are written together or not at all.
    """
    clean = name.strip()
    if not clean:
        raise InputError("the owner's name is empty")
    if not is_utf8(clean) or not clean.isprintable():
        raise InputError(f"owner name {clean!r} holds characters that cannot be stored")
    known = find_rep(db, clean)
    if known is not None:
        return int(known["id"])
    with write_transaction(db):
        known = find_rep(db, clean)  # another writer may have created it while we waited
        if known is not None:
            return int(known["id"])
        cursor = db.execute("INSERT INTO reps (name, created_at) VALUES (?, ?)", [clean, iso_now()])
        return int(cursor.lastrowid or 0)


def get_rep(db: Database, ref: str | int) -> dict[str, Any]:
    """A rep by id or name; NotFoundError names what was asked for."""
    rep_id = parse_id(ref)
    if rep_id is not None:
        row = _row(db, "SELECT * FROM reps WHERE id = ?", [rep_id])
        if row is not None:
            return row
    text = str(ref)
    row = find_rep(db, text) if is_utf8(text) else None
    if row is None:
        raise NotFoundError(f"no rep with id or name {ref!r} (see `kamcoach reps list`)")
    return row
