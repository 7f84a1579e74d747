"""Builders for tiny pipeline-review databases (imported by the test_review_* modules).

Holds no tests itself; keeping the builders in one module makes each rule
test state only the facts it is about.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

TODAY = date(2026, 11, 20)
MEDDIC = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "identify_pain",
    "champion",
)


def day(offset: int) -> str:
    """ISO date ``offset`` days from the pinned today (negative = past)."""
    return (TODAY + timedelta(days=offset)).isoformat()


def moment(offset: int) -> str:
    return day(offset) + "T10:00:00"


def add_account(db: Database, account_id: int = 1, name: str = "Acme") -> int:
    db["accounts"].insert({"id": account_id, "name": name, "created_at": moment(-400)}, ignore=True)
    return account_id


def add_deal(db: Database, deal_id: int, **fields: Any) -> int:
    """An open deal that, without reviews, flags nothing but the score rules."""
    add_account(db)
    row = {
        "id": deal_id,
        "account_id": 1,
        "name": f"Deal {deal_id}",
        "amount": 50000.0,
        "currency": "EUR",
        "stage": "discovery",
        "close_date": day(30),
        "owner": "Alice",
        "playbook": "meddic",
        "created_at": moment(-5),
        "stage_changed_at": moment(-5),
    }
    row.update(fields)
    db["opportunities"].insert(row)
    return deal_id


def add_review(
    db: Database,
    deal_id: int,
    scores: dict[str, int | tuple[int, str]],
    *,
    kind: str = "analyser",
    when: int = -1,
    overall: float = 50.0,
) -> int:
    status_by = {0: "missing", 1: "mentioned", 2: "specific", 3: "validated"}
    table = db["reviews"]
    table.insert(
        {
            "opportunity_id": deal_id,
            "created_at": moment(when),
            "author_kind": kind,
            "playbook": "meddic",
            "overall": overall,
        }
    )
    review_id = int(table.last_pk)  # type: ignore[attr-defined]
    rows = []
    for cid, value in scores.items():
        score, status = value if isinstance(value, tuple) else (value, status_by[value])
        rows.append({"review_id": review_id, "criterion": cid, "score": score, "status": status})
    db["review_scores"].insert_all(rows)
    return review_id


def full_scores(value: int = 3) -> dict[str, int | tuple[int, str]]:
    return dict.fromkeys(MEDDIC, value)


def add_note(db: Database, deal_id: int, text: str, when: int = -1, lang: str = "en") -> None:
    db["notes"].insert(
        {
            "opportunity_id": deal_id,
            "created_at": moment(when),
            "text": text,
            "lang": lang,
            "content_hash": str(hash(text)),
        }
    )


def add_contact(
    db: Database,
    deal_id: int,
    contact_id: int,
    *,
    engaged: bool = True,
    left: bool = False,
    role: str = "unknown",
) -> None:
    db["contacts"].insert(
        {
            "id": contact_id,
            "account_id": 1,
            "name": f"Contact {contact_id}",
            "buying_role": role,
            "left_company": int(left),
            "created_at": moment(-300),
        }
    )
    db["opportunity_contacts"].insert(
        {
            "opportunity_id": deal_id,
            "contact_id": contact_id,
            "role": None if role == "unknown" else role,
            "engaged": int(engaged),
        }
    )


def add_history(db: Database, deal_id: int, field: str, old: str, new: str, when: int = -3) -> None:
    db["opportunity_history"].insert(
        {
            "opportunity_id": deal_id,
            "changed_at": moment(when),
            "field": field,
            "old_value": old,
            "new_value": new,
        }
    )
