"""Queries and writes on the kamcoach store.

Functions take the ``Database`` first. Reads return plain dicts (rows) or
domain dataclasses; every write of more than one row runs inside
``write_transaction`` (BEGIN IMMEDIATE) so a failure leaves the file exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now
from kamcoach.domain.amounts import amount_problem
from kamcoach.domain.ids import is_utf8, parse_id
from kamcoach.domain.models import CriterionScore, Evidence, Opportunity, Review
from kamcoach.domain.stages import DEAL_TYPES, REVIEW_AUTHORS, STAGES
from kamcoach.errors import InputError, NotFoundError
from kamcoach.storage.tx import write_transaction

#: Deal columns whose changes go to ``opportunity_history`` under their own name
#: (m009), from an import or a hand edit alike.
TRACKED_FIELDS = ("stage", "amount", "close_date", "currency", "name", "owner", "type", "playbook")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _rows(db: Database, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]


def _one(db: Database, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
    rows = _rows(db, sql, params)
    return rows[0] if rows else None


def has_user_data(db: Database) -> bool:
    """True when the database holds anything not loaded by ``kamcoach demo``."""
    if not db.table("opportunities").exists():
        return False
    count = db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0]
    if not count:
        notes = db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
        return bool(notes)
    marker = _one(db, "SELECT value FROM meta WHERE key = 'contents'")
    return not (marker and marker["value"] == "demo")


def set_meta(db: Database, key: str, value: str) -> None:
    # A single row, but still BEGIN IMMEDIATE: it waits for another writer like the rest.
    with write_transaction(db):
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [key, value])


def get_meta(db: Database, key: str) -> str | None:
    row = _one(db, "SELECT value FROM meta WHERE key = ?", [key])
    return row["value"] if row else None


def mark_user_data(db: Database) -> None:
    """Record that the user wrote to the database, so ``demo`` will not overwrite it."""
    if get_meta(db, "contents") == "demo":
        set_meta(db, "contents", "user")


# ---------------------------------------------------------------- accounts


def list_accounts(db: Database) -> list[dict[str, Any]]:
    return _rows(
        db,
        """
        SELECT a.id, a.name, a.industry, a.country, a.key_account, a.annual_value,
               COUNT(DISTINCT o.id) AS deals,
               COALESCE(SUM(CASE WHEN o.stage NOT IN ('closed_won', 'closed_lost')
                            THEN o.amount END), 0) AS open_pipeline,
               (SELECT COUNT(*) FROM contacts c WHERE c.account_id = a.id) AS contacts
        FROM accounts a LEFT JOIN opportunities o ON o.account_id = a.id
        GROUP BY a.id ORDER BY a.name
        """,
    )


def get_account(db: Database, ref: str | int) -> dict[str, Any]:
    row = _find(db, "accounts", ref)
    if row is None:
        raise NotFoundError(f"no account with id or name {ref!r}")
    return row


def _find(db: Database, table: str, ref: str | int) -> dict[str, Any] | None:
    text = str(ref).strip()
    row_id = parse_id(ref)
    if row_id is None and text.startswith("#"):
        row_id = parse_id(text[1:])  # "#12", as errors and tables write ids
    if row_id is not None:
        row = _one(db, f"SELECT * FROM {table} WHERE id = ?", [row_id])
        if row:
            return row
    if not is_utf8(text):
        return None  # undecodable command-line bytes: no stored name can match
    rows = _rows(db, f"SELECT * FROM {table} WHERE lower(name) = lower(?)", [text])
    if len(rows) > 1:
        ids = ", ".join(str(r["id"]) for r in rows)
        raise InputError(f"{table[:-1]} name {text!r} is ambiguous (ids {ids}); use the id")
    return rows[0] if rows else None


def contacts_for_account(db: Database, account_id: int) -> list[dict[str, Any]]:
    return _rows(db, "SELECT * FROM contacts WHERE account_id = ? ORDER BY name", [account_id])


# ---------------------------------------------------------------- deals


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def row_to_opportunity(row: dict[str, Any]) -> Opportunity:
    return Opportunity(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        amount=float(row["amount"] or 0),
        currency=row["currency"],
        stage=row["stage"],
        close_date=_parse_date(row["close_date"]),
        owner=row["owner"],
        type=row["type"],
        playbook=row["playbook"],
        created_at=_parse_dt(row["created_at"]),
        stage_changed_at=_parse_dt(row["stage_changed_at"]),
        pause_reason=row["pause_reason"],
        paused_until=_parse_date(row["paused_until"]),
    )


def get_deal(db: Database, ref: str | int) -> dict[str, Any]:
    """A deal row (with its account name) by id or exact name; NotFoundError otherwise.

    The error names the closest deals (:mod:`kamcoach.storage.lookup`), never picks one.
    """
    row = _find(db, "opportunities", ref)
    if row is None:
        from kamcoach.storage.lookup import deal_hint

        hint = deal_hint(db, ref)
        raise NotFoundError(
            f"no deal with id or name {ref!r}" + (hint if hint else " (see `kamcoach deals list`)")
        )
    account = _one(db, "SELECT name FROM accounts WHERE id = ?", [row["account_id"]])
    row["account"] = account["name"] if account else None
    return row


def list_deals(
    db: Database,
    *,
    owner: str | None = None,
    stage: str | None = None,
    account_id: int | None = None,
    include_closed: bool = True,
) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if owner and not is_utf8(owner):
        return []  # undecodable command-line bytes: no stored owner can match
    if owner:
        where.append("lower(o.owner) = lower(?)")
        params.append(owner)
    if stage:
        where.append("o.stage = ?")
        params.append(stage)
    if account_id is not None:
        where.append("o.account_id = ?")
        params.append(account_id)
    if not include_closed:
        where.append("o.stage NOT IN ('closed_won', 'closed_lost')")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return _rows(
        db,
        f"""
        SELECT o.id, o.name, a.name AS account, o.stage, o.amount, o.currency,
               o.close_date, o.owner, o.type, o.playbook,
               (SELECT MAX(n.created_at) FROM notes n WHERE n.opportunity_id = o.id)
                   AS last_note_at,
               (SELECT r.overall FROM reviews r WHERE r.opportunity_id = o.id
                ORDER BY r.created_at DESC, r.id DESC LIMIT 1) AS score
        FROM opportunities o JOIN accounts a ON a.id = o.account_id
        {clause}
        ORDER BY o.close_date IS NULL, o.close_date, o.id
        """,
        params,
    )


def deal_contacts(db: Database, deal_id: int) -> list[dict[str, Any]]:
    """A deal's contacts; ``role`` is the effective one (the deal's override, else theirs)."""
    return _rows(
        db,
        """
        SELECT c.id, c.name, c.title, COALESCE(oc.role, c.buying_role) AS role,
               oc.role AS deal_role, c.buying_role, c.stance, c.influence,
               c.last_contact_at, c.email, c.left_company, oc.engaged
        FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
        WHERE oc.opportunity_id = ? ORDER BY oc.engaged DESC, c.name
        """,
        [deal_id],
    )


def deal_notes(db: Database, deal_id: int, *, newest_first: bool = True) -> list[dict[str, Any]]:
    order = "DESC" if newest_first else "ASC"
    return _rows(
        db,
        f"SELECT * FROM notes WHERE opportunity_id = ? ORDER BY created_at {order}, id {order}",
        [deal_id],
    )


def deal_history(db: Database, deal_id: int) -> list[dict[str, Any]]:
    return _rows(
        db,
        "SELECT * FROM opportunity_history WHERE opportunity_id = ? ORDER BY changed_at, id",
        [deal_id],
    )


def validate_deal_fields(fields: dict[str, Any]) -> None:
    if "stage" in fields and fields["stage"] not in STAGES:
        raise InputError(f"unknown stage {fields['stage']!r} (allowed: {', '.join(STAGES)})")
    if "type" in fields and fields["type"] not in DEAL_TYPES:
        raise InputError(f"unknown deal type {fields['type']!r} (allowed: {', '.join(DEAL_TYPES)})")
    if "amount" in fields:
        try:
            amount = float(fields["amount"])
        except (TypeError, ValueError):
            raise InputError(f"amount {fields['amount']!r} is not a number") from None
        problem = amount_problem(amount)
        if problem:
            raise InputError(f"amount {fields['amount']!r} {problem}")
    if fields.get("close_date"):
        try:
            date.fromisoformat(str(fields["close_date"]))
        except ValueError:
            raise InputError(f"close date {fields['close_date']!r} is not YYYY-MM-DD") from None


def history_row(
    deal_id: int,
    field: str,
    old: Any,
    new: Any,
    *,
    when: str,
    source: str,
    author: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One ``opportunity_history`` row, as imports and hand edits both write it."""
    return {
        "opportunity_id": deal_id,
        "changed_at": when,
        "field": field,
        "old_value": None if old is None else str(old),
        "new_value": None if new is None else str(new),
        "source": source,
        "author": author,
        "reason": reason,
    }


def update_deal(
    db: Database,
    deal_id: int,
    changes: dict[str, Any],
    *,
    source: str = "user",
    changed_at: str | None = None,
    author: str | None = None,
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """Apply field changes, recording each tracked one in the history (with author and reason).

    Besides :data:`TRACKED_FIELDS`, ``close_reason`` is recorded under its name
    and a ``pause_reason`` set or cleared as a 'pause' row ('active' <->
    'paused'); other columns (``rep_id``, ``paused_until``) change silently.
    Returns the history rows written. Unchanged values record nothing, so
    re-applying the same update is a no-op. The deal is read inside the write
    transaction, so the old values are the ones replaced.
    """
    validate_deal_fields(changes)
    when = changed_at or iso_now()
    with write_transaction(db):
        current = get_deal(db, deal_id)
        history: list[dict[str, Any]] = []
        updates: dict[str, Any] = {}
        for key, value in changes.items():
            old = current.get(key)
            if key == "amount":
                value = float(value)
                same = old is not None and abs(float(old) - value) < 0.005
            else:
                same = old == value
            if same:
                continue
            updates[key] = value
            field, before, after = key, old, value
            if key == "pause_reason":
                if (old is None) == (value is None):
                    continue
                field, before, after = "pause", _pause(old), _pause(value)
            elif key not in TRACKED_FIELDS and key != "close_reason":
                continue
            history.append(
                history_row(
                    deal_id,
                    field,
                    before,
                    after,
                    when=when,
                    source=source,
                    author=author,
                    reason=reason,
                )
            )
        if not updates:
            return []
        if "stage" in updates:
            updates["stage_changed_at"] = when
        db.table("opportunities").update(deal_id, updates)
        if history:
            db.table("opportunity_history").insert_all(history)
        mark_user_data(db)
    return history


def _pause(reason: str | None) -> str:
    return "active" if reason is None else "paused"


# ---------------------------------------------------------------- notes


def add_note(
    db: Database,
    deal_id: int,
    text: str,
    *,
    author: str | None = None,
    created_at: str | None = None,
    lang: str | None = None,
    title: str | None = None,
) -> int:
    """The one writer of a hand-written note; ``title`` is shown, never analysed (m015)."""
    get_deal(db, deal_id)
    if not text or not text.strip():
        raise InputError("the note is empty")
    record: dict[str, Any] = {
        "opportunity_id": deal_id,
        "created_at": created_at or iso_now(),
        "author": author,
        "lang": lang,
        "text": text,
        "content_hash": content_hash(text),
    }
    if title is not None:
        record["title"] = title
    with write_transaction(db):
        table = db.table("notes")
        table.insert(record)
        mark_user_data(db)
        return int(table.last_pk or 0)


# ---------------------------------------------------------------- reviews


def save_review(db: Database, review: Review, *, gate_passed: bool | None = None) -> int:
    """Store a review and its per-criterion scores in one transaction."""
    if review.author_kind not in REVIEW_AUTHORS:
        raise InputError(
            f"unknown review author kind {review.author_kind!r} "
            f"(allowed: {', '.join(REVIEW_AUTHORS)})"
        )
    with write_transaction(db):
        reviews = db.table("reviews")
        reviews.insert(
            {
                "opportunity_id": review.opportunity_id,
                "created_at": review.created_at.strftime("%Y-%m-%dT%H:%M:%S"),
                "author": review.author,
                "author_kind": review.author_kind,
                "playbook": review.playbook,
                "stage": review.stage,
                "overall": round(review.overall, 1),
                "gate_passed": None if gate_passed is None else int(gate_passed),
                "comment": review.comment,
                # m014 columns, written only when set (a manager's review).
                **({"forecast": review.forecast} if review.forecast else {}),
            }
        )
        review_id = int(reviews.last_pk or 0)
        verdicts = any(s.verdict for s in review.scores.values())
        db.table("review_scores").insert_all(
            {
                "review_id": review_id,
                "criterion": s.criterion,
                "score": s.score,
                "status": s.status,
                "reason": s.reason,
                "evidence": json.dumps(
                    [
                        {
                            "text": e.text,
                            "start": e.start,
                            "end": e.end,
                            "negated": e.negated,
                            "note_id": e.note_id,
                        }
                        for e in s.evidence
                    ],
                    ensure_ascii=False,
                ),
                **({"verdict": s.verdict} if verdicts else {}),
            }
            for s in review.scores.values()
        )
        if review.author_kind != "analyser":
            mark_user_data(db)
    return review_id


def _review_from_rows(head: dict[str, Any], scores: list[dict[str, Any]]) -> Review:
    return Review(
        id=head["id"],
        opportunity_id=head["opportunity_id"],
        playbook=head["playbook"],
        author_kind=head["author_kind"],
        author=head["author"],
        stage=head["stage"],
        overall=head["overall"],
        comment=head["comment"],
        created_at=datetime.fromisoformat(head["created_at"]),
        forecast=head.get("forecast"),
        scores={
            s["criterion"]: CriterionScore(
                criterion=s["criterion"],
                score=s["score"],
                status=s["status"],
                reason=s["reason"],
                evidence=[Evidence(**e) for e in json.loads(s["evidence"] or "[]")],
                verdict=s.get("verdict"),
            )
            for s in scores
        },
    )


def deal_reviews(db: Database, deal_id: int, *, author_kind: str | None = None) -> list[Review]:
    """All reviews of a deal, oldest first (the history a trend is drawn from)."""
    params: list[Any] = [deal_id]
    extra = ""
    if author_kind:
        extra = " AND author_kind = ?"
        params.append(author_kind)
    heads = _rows(
        db,
        f"SELECT * FROM reviews WHERE opportunity_id = ?{extra} ORDER BY created_at, id",
        params,
    )
    return [
        _review_from_rows(
            head, _rows(db, "SELECT * FROM review_scores WHERE review_id = ?", [head["id"]])
        )
        for head in heads
    ]


def latest_review(db: Database, deal_id: int, *, author_kind: str | None = None) -> Review | None:
    reviews = deal_reviews(db, deal_id, author_kind=author_kind)
    return reviews[-1] if reviews else None


def iter_latest_scores(db: Database) -> Iterator[dict[str, Any]]:
    """Per deal and criterion, the score of the latest review (one streaming query)."""
    cursor = db.execute(
        """
        WITH latest AS (
            SELECT r.opportunity_id, r.id,
                   ROW_NUMBER() OVER (PARTITION BY r.opportunity_id
                                      ORDER BY r.created_at DESC, r.id DESC) AS rn
            FROM reviews r
        )
        SELECT l.opportunity_id, s.criterion, s.score, s.status
        FROM latest l JOIN review_scores s ON s.review_id = l.id
        WHERE l.rn = 1
        ORDER BY l.opportunity_id
        """
    )
    for opportunity_id, criterion, score, status in cursor:
        yield {
            "opportunity_id": opportunity_id,
            "criterion": criterion,
            "score": score,
            "status": status,
        }
