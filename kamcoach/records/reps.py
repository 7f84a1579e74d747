"""Reps: the people who own deals and accounts.

``rep_id`` on deals and accounts is the owner's identity; the owner name the
pipeline shows is kept in step with the rep by the m010 triggers. Code that
assigns an owner resolves the name here first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now, today
from kamcoach.domain.currency import ExchangeRates
from kamcoach.domain.ids import is_utf8, parse_id
from kamcoach.errors import InputError, NotFoundError
from kamcoach.records.currency import LeftOut, sum_deals
from kamcoach.records.open_pipeline import open_pipelines, team_rates, with_open_pipeline
from kamcoach.storage.repo import mark_user_data
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


# ---------------------------------------------------------------- listing


LANGUAGES: tuple[str, ...] = ("en", "fr")
NAME_MAX = 100
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_OPEN = "('closed_won', 'closed_lost')"


def _rows(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]


def list_reps(db: Database, *, team: str | None = None) -> list[dict[str, Any]]:
    """Every rep (or one team's) with its manager and portfolio size: open deals and
    pipeline (in the team's base currency), accounts."""
    return list_reps_totals(db, team=team)[0]


def list_reps_totals(
    db: Database, *, team: str | None = None, rates: ExchangeRates | None = None
) -> tuple[list[dict[str, Any]], tuple[LeftOut, ...]]:
    """:func:`list_reps` and the open deals its pipelines leave out (no rate for their
    currency). One aggregate per table, not a query per rep."""
    rates = rates or team_rates()
    rows = _rows(
        db,
        f"""
        SELECT r.id, r.name, r.email, m.name AS manager, r.team, r.language,
               COALESCE(o.open_deals, 0) AS open_deals,
               0 AS open_pipeline,
               COALESCE(a.accounts, 0) AS accounts
        FROM reps r
        LEFT JOIN reps m ON m.id = r.manager_id
        LEFT JOIN (SELECT rep_id, COUNT(*) AS open_deals
                   FROM opportunities WHERE stage NOT IN {_OPEN} GROUP BY rep_id) o
               ON o.rep_id = r.id
        LEFT JOIN (SELECT rep_id, COUNT(*) AS accounts FROM accounts GROUP BY rep_id) a
               ON a.rep_id = r.id
        WHERE ? IS NULL OR r.team = ? COLLATE NOCASE
        ORDER BY r.name COLLATE NOCASE, r.id
        """,
        [team, team],
    )
    sums = open_pipelines(db, "rep_id", rates=rates)
    return rows, with_open_pipeline(rows, sums, rates.base)


def portfolio(db: Database, ref: str | int) -> dict[str, Any]:
    """A rep with the accounts it owns and its open deals (what `reps show` prints)."""
    rep = get_rep(db, ref)
    manager = _row(db, "SELECT name FROM reps WHERE id = ?", [rep["manager_id"]])
    rep["manager"] = manager["name"] if manager else None
    rep["reports"] = [
        r["name"]
        for r in _rows(
            db,
            "SELECT name FROM reps WHERE manager_id = ? ORDER BY name COLLATE NOCASE",
            [rep["id"]],
        )
    ]
    rep["accounts"] = _rows(
        db,
        f"""
        SELECT a.id, a.name,
               COUNT(o.id) AS open_deals, 0 AS open_pipeline
        FROM accounts a
        LEFT JOIN opportunities o ON o.account_id = a.id AND o.stage NOT IN {_OPEN}
        WHERE a.rep_id = ? GROUP BY a.id ORDER BY a.name COLLATE NOCASE
        """,
        [rep["id"]],
    )
    rates = team_rates()
    left = with_open_pipeline(
        rep["accounts"], open_pipelines(db, "account_id", rates=rates), rates.base
    )
    rep["base_currency"] = rates.base
    rep["left_out"] = [lo.to_dict() for lo in left]
    rep["deals"] = _rows(
        db,
        f"""
        SELECT o.id, o.name, a.name AS account, o.stage, o.amount, o.currency, o.close_date
        FROM opportunities o JOIN accounts a ON a.id = o.account_id
        WHERE o.rep_id = ? AND o.stage NOT IN {_OPEN}
        ORDER BY o.close_date IS NULL, o.close_date, o.id
        """,
        [rep["id"]],
    )
    converted = sum_deals(
        ((d["id"], d["amount"], d["currency"]) for d in rep["deals"]), rates, today()
    )
    for d in rep["deals"]:
        d["amount_base"] = converted.amounts.get(d["id"])
        d["base_currency"] = rates.base
    return rep


# ---------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class RepFields:
    """What to set on a rep: None leaves a field as it is, "" clears it (not the name).

    ``manager`` is another rep's id or name.
    """

    name: str | None = None
    email: str | None = None
    manager: str | None = None
    team: str | None = None
    language: str | None = None


def _clean_name(db: Database, name: str, rep_id: int | None) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise InputError("a rep's name cannot be empty")
    if not is_utf8(clean) or not clean.isprintable():
        raise InputError(f"rep name {clean!r} holds characters that cannot be stored")
    if len(clean) > NAME_MAX:
        raise InputError(f"rep name is {len(clean)} characters long (at most {NAME_MAX})")
    other = find_rep(db, clean)
    if other is not None and other["id"] != rep_id:
        raise InputError(f"a rep called {other['name']!r} already exists (id {other['id']})")
    return clean


def _clean_text(value: str, what: str) -> str | None:
    clean = " ".join(value.split())
    if not clean:
        return None
    if not is_utf8(clean) or not clean.isprintable():
        raise InputError(f"{what} {clean!r} holds characters that cannot be stored")
    if len(clean) > NAME_MAX:
        raise InputError(f"{what} is {len(clean)} characters long (at most {NAME_MAX})")
    return clean


def _clean_email(value: str) -> str | None:
    clean = value.strip()
    if not clean:
        return None
    if not is_utf8(clean) or not _EMAIL.fullmatch(clean):
        raise InputError(f"e-mail {clean!r} is not an address like name@example.com")
    return clean


def _clean_language(value: str) -> str | None:
    clean = value.strip().lower()
    if not clean:
        return None
    if clean not in LANGUAGES:
        raise InputError(f"language {value.strip()!r} is not one of {', '.join(LANGUAGES)}")
    return clean


def _manager_id(db: Database, ref: str, rep_id: int | None, rep_name: str) -> int | None:
    """The manager's id; refuses the rep itself and any loop (A manages B manages A)."""
    if not ref.strip():
        return None
    try:
        manager = get_rep(db, ref.strip())
    except NotFoundError:
        raise NotFoundError(f"manager: no rep with id or name {ref.strip()!r}") from None
    if rep_id is not None:
        if manager["id"] == rep_id:
            raise InputError(f"{rep_name!r} cannot be their own manager")
        chain = [manager["name"]]
        current = manager["manager_id"]
        seen = {manager["id"]}
        while current is not None and current not in seen:
            if current == rep_id:
                path = " -> ".join([rep_name, *chain, rep_name])
                raise InputError(f"manager {manager['name']!r} would make a loop ({path})")
            seen.add(current)
            above = _row(db, "SELECT name, manager_id FROM reps WHERE id = ?", [current])
            if above is None:
                break
            chain.append(above["name"])
            current = above["manager_id"]
    return int(manager["id"])


def add_rep(db: Database, name: str, fields: RepFields | None = None) -> int:
    """Create a rep; InputError (nothing written) for a taken name or a bad value."""
    fields = fields or RepFields()
    clean = _clean_name(db, name, None)
    values: dict[str, Any] = {"name": clean, "created_at": iso_now()}
    if fields.email is not None:
        values["email"] = _clean_email(fields.email)
    if fields.team is not None:
        values["team"] = _clean_text(fields.team, "team")
    if fields.language is not None:
        values["language"] = _clean_language(fields.language)
    if fields.manager is not None:
        values["manager_id"] = _manager_id(db, fields.manager, None, clean)
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    with write_transaction(db):
        cursor = db.execute(f"INSERT INTO reps ({columns}) VALUES ({marks})", list(values.values()))
        rep_id = int(cursor.lastrowid or 0)
    mark_user_data(db)
    return rep_id


def edit_rep(db: Database, ref: str | int, fields: RepFields) -> dict[str, Any]:
    """Change a rep's name, e-mail, manager, team or language; returns the rep as saved.

    Renaming carries to every deal's displayed owner (the m010 trigger, in the
    same transaction). Every value is checked before anything is written.
    """
    rep = get_rep(db, ref)
    rep_id = int(rep["id"])
    changes: dict[str, Any] = {}
    if fields.name is not None:
        changes["name"] = _clean_name(db, fields.name, rep_id)
    if fields.email is not None:
        changes["email"] = _clean_email(fields.email)
    if fields.team is not None:
        changes["team"] = _clean_text(fields.team, "team")
    if fields.language is not None:
        changes["language"] = _clean_language(fields.language)
    if fields.manager is not None:
        changes["manager_id"] = _manager_id(
            db, fields.manager, rep_id, changes.get("name", rep["name"])
        )
    changes = {k: v for k, v in changes.items() if v != rep[k]}
    if changes:
        assignments = ", ".join(f"{k} = ?" for k in changes)
        with write_transaction(db):
            db.execute(f"UPDATE reps SET {assignments} WHERE id = ?", [*changes.values(), rep_id])
        mark_user_data(db)
    return get_rep(db, rep_id)
