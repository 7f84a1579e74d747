"""Export deals, reviews and notes as CSV or JSON Lines, for a CRM or a spreadsheet.

Deals carry their CRM source and id (so a CRM import can match them back),
the latest overall score and one ``score_<criterion>`` column per criterion
of the latest review. ``excel=True`` writes what Excel opens correctly on a
French or German desktop: UTF-8 with a byte-order mark and ``;`` separators.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any, BinaryIO

from sqlite_utils import Database

from kamcoach.io.csv_cells import neutralise
from kamcoach.storage.repo import iter_latest_scores

EXPORT_KINDS: tuple[str, ...] = ("deals", "reviews", "notes")
EXPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl")

DEAL_COLUMNS = [
    "id",
    "source",
    "external_id",
    "name",
    "account",
    "stage",
    "amount",
    "currency",
    "close_date",
    "owner",
    "type",
    "playbook",
    "created_at",
    "stage_changed_at",
    "score",
]
REVIEW_COLUMNS = [
    "id",
    "deal_id",
    "deal",
    "account",
    "created_at",
    "author_kind",
    "author",
    "playbook",
    "stage",
    "overall",
    "gate_passed",
    "comment",
]
NOTE_COLUMNS = [
    "id",
    "deal_id",
    "deal",
    "account",
    "created_at",
    "author",
    "lang",
    "source",
    "external_id",
    "title",
    "text",
]


def _rows(db: Database, sql: str) -> list[dict[str, Any]]:
    cursor = db.execute(sql)
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]


def deal_rows(db: Database) -> tuple[list[str], list[dict[str, Any]]]:
    """Every deal with its latest overall score and per-criterion scores as columns."""
    rows = _rows(
        db,
        """
        SELECT o.id, o.source, o.external_id, o.name, a.name AS account, o.stage, o.amount,
               o.currency, o.close_date, o.owner, o.type, o.playbook, o.created_at,
               o.stage_changed_at,
               (SELECT r.overall FROM reviews r WHERE r.opportunity_id = o.id
                ORDER BY r.created_at DESC, r.id DESC LIMIT 1) AS score
        FROM opportunities o JOIN accounts a ON a.id = o.account_id
        ORDER BY o.id
        """,
    )
    by_id = {r["id"]: r for r in rows}
    criteria: list[str] = []
    for item in iter_latest_scores(db):
        column = f"score_{item['criterion']}"
        if column not in criteria:
            criteria.append(column)
        if item["opportunity_id"] in by_id:
            by_id[item["opportunity_id"]][column] = item["score"]
    return DEAL_COLUMNS + sorted(criteria), rows


def review_rows(db: Database) -> tuple[list[str], list[dict[str, Any]]]:
    """Every review, oldest first, with one column per criterion score."""
    rows = _rows(
        db,
        """
        SELECT r.id, r.opportunity_id AS deal_id, o.name AS deal, a.name AS account,
               r.created_at, r.author_kind, r.author, r.playbook, r.stage, r.overall,
               r.gate_passed, r.comment
        FROM reviews r JOIN opportunities o ON o.id = r.opportunity_id
        JOIN accounts a ON a.id = o.account_id
        ORDER BY r.created_at, r.id
        """,
    )
    by_id = {r["id"]: r for r in rows}
    criteria: set[str] = set()
    for review_id, criterion, score in db.execute(
        "SELECT review_id, criterion, score FROM review_scores"
    ):
        criteria.add(criterion)
        if review_id in by_id:
            by_id[review_id][f"score_{criterion}"] = score
    return REVIEW_COLUMNS + [f"score_{c}" for c in sorted(criteria)], rows


def note_rows(db: Database) -> tuple[list[str], list[dict[str, Any]]]:
    rows = _rows(
        db,
        """
        SELECT n.id, n.opportunity_id AS deal_id, o.name AS deal, a.name AS account,
               n.created_at, n.author, n.lang, n.source, n.external_id, n.title, n.text
        FROM notes n JOIN opportunities o ON o.id = n.opportunity_id
        JOIN accounts a ON a.id = o.account_id
        ORDER BY n.opportunity_id, n.created_at, n.id
        """,
    )
    return NOTE_COLUMNS, rows


def export_rows(db: Database, kind: str) -> tuple[list[str], list[dict[str, Any]]]:
    if kind == "deals":
        return deal_rows(db)
    if kind == "reviews":
        return review_rows(db)
    if kind == "notes":
        return note_rows(db)
    raise ValueError(f"unknown export kind {kind!r}")


def write_export(
    columns: list[str],
    rows: Iterable[dict[str, Any]],
    fmt: str,
    out: BinaryIO,
    *,
    excel: bool = False,
) -> int:
    """Write rows to a binary stream; returns how many rows were written."""
    count = 0
    if fmt == "jsonl":
        for row in rows:
            line = json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False)
            out.write(line.encode("utf-8") + b"\n")
            count += 1
        return count
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}")
    encoding = "utf-8-sig" if excel else "utf-8"
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c), excel) for c in columns])
        count += 1
    out.write(text.getvalue().encode(encoding))
    return count


def _cell(value: Any, excel: bool) -> Any:
    """Empty for None; a decimal comma for Excel, which expects it with ``;`` separators.

    Text that a spreadsheet would run as a formula is neutralised; numbers
    (a negative amount) are decided on their type, before any formatting.
    """
    if value is None:
        return ""
    if excel and isinstance(value, float):
        return repr(value).replace(".", ",")
    return neutralise(value)
