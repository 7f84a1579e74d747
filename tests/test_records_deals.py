"""Deals by hand (kamcoach.records.deals): create, edit, close, pause, resume, on a real SQLite file.

Each change is checked on the deal row AND on its opportunity_history rows
(field, old, new, author, reason, source); each refusal leaves the database
exactly as it was.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlite_utils import Database

from kamcoach.errors import InputError, NotFoundError
from kamcoach.records import deals as records
from kamcoach.records.deals import NewDeal
from kamcoach.storage import repo

PLAYBOOKS = ("bant", "meddic", "meddpicc")
AUTHOR = "Camille Martin"


def create(db: Database, **fields: Any) -> int:
    values: dict[str, Any] = {
        "account": "Acme",
        "name": "Data platform",
        "amount": 50000,
        "close_date": "2027-01-31",
        "owner": "Sarah Collins",
        "new_account": True,
    }
    values.update(fields)
    return records.create_deal(
        db, NewDeal(**values), PLAYBOOKS, default_playbook="meddic", author=AUTHOR
    )


def history(db: Database, deal_id: int) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in db.execute(
            "SELECT field, old_value, new_value, author, reason, source FROM opportunity_history "
            "WHERE opportunity_id = ? ORDER BY id",
            [deal_id],
        ).fetchall()
    ]


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a deal edit can touch."""
    return {
        table: [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()]
        for table in ("accounts", "opportunities", "opportunity_history", "reps")
    }


def deal(db: Database, deal_id: int) -> dict[str, Any]:
    return repo.get_deal(db, deal_id)


# ---------------------------------------------------------------- create


def test_create_with_a_new_account_writes_account_rep_and_deal_without_history(
    db: Database,
) -> None:
    deal_id = create(db, currency="usd", stage="qualification", type="upsell", playbook="bant")
    row = deal(db, deal_id)
    assert (row["account"], row["name"], row["amount"], row["currency"]) == (
        "Acme",
        "Data platform",
        50000.0,
        "USD",
    )
    assert (row["stage"], row["close_date"], row["type"], row["playbook"]) == (
        "qualification",
        "2027-01-31",
        "upsell",
        "bant",
    )
    assert row["source"] == "user" and row["stage_changed_at"] == row["created_at"]
    rep = db.execute("SELECT id, name FROM reps").fetchall()
    assert [tuple(r) for r in rep] == [(row["rep_id"], "Sarah Collins")]
    assert row["owner"] == "Sarah Collins"
    account_rep = db.execute("SELECT rep_id FROM accounts WHERE id = ?", [row["account_id"]])
    assert account_rep.fetchone()[0] == row["rep_id"]  # the new account is the rep's
    assert history(db, deal_id) == []  # a creation is not a change, as for an import
    assert repo.get_meta(db, "contents") in (None, "user")


def test_create_defaults_owner_to_the_user_and_playbook_to_the_team_default(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMCOACH_USER", "Léa Dubois")
    deal_id = records.create_deal(
        db,
        NewDeal(account="Acme", name="Pilot", new_account=True),
        PLAYBOOKS,
        default_playbook="meddpicc",
    )
    row = deal(db, deal_id)
    assert (row["owner"], row["playbook"], row["stage"], row["amount"], row["type"]) == (
        "Léa Dubois",
        "meddpicc",
        "discovery",
        0.0,
        "new",
    )


def test_amounts_are_read_as_crm_cells_are(db: Database) -> None:
    """Thousands groups and a currency sign, as typed in a form or on the command line."""
    first = create(db, amount="25 000,50 €")
    assert (deal(db, first)["amount"], deal(db, first)["currency"]) == (25000.5, "EUR")
    second = create(db, account="Acme", new_account=False, name="US deal", amount="1,000")
    assert deal(db, second)["amount"] == 1000.0
    written = records.edit_deal(db, second, {"amount": "$60,000"}, PLAYBOOKS, author=AUTHOR)
    assert [(h["field"], h["new_value"]) for h in written] == [
        ("amount", "60000.0"),
        ("currency", "USD"),
    ]


def test_create_in_an_existing_account_by_name_or_id_reuses_the_rep(db: Database) -> None:
    first = create(db)
    account_id = deal(db, first)["account_id"]
    second = create(
        db, account="ACME", name="Renewal 2027", new_account=False, owner="sarah collins"
    )
    third = create(db, account=str(account_id), name="Upsell", new_account=False)
    assert {deal(db, d)["account_id"] for d in (second, third)} == {account_id}
    assert db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 1
    assert deal(db, second)["rep_id"] == deal(db, first)["rep_id"]


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"account": "Nowhere", "new_account": False}, NotFoundError, "--new-account"),
        ({"account": "acme"}, InputError, "already exists"),
        ({"account": "Acme", "new_account": False}, InputError, "already has a deal named"),
        ({"playbook": "spin"}, InputError, "unknown playbook 'spin'"),
        ({"stage": "won"}, InputError, "unknown stage"),
        ({"stage": "closed_won"}, InputError, "open stage"),
        ({"amount": -5}, InputError, "negative"),
        ({"amount": "lots"}, InputError, "not a number"),
        ({"amount": "inf"}, InputError, "amount"),
        ({"currency": "euro"}, InputError, "3-letter"),
        ({"amount": "$50,000"}, InputError, "in USD but the currency is EUR"),
        ({"close_date": "31/01/2027"}, InputError, "not a date"),
        ({"type": "expansion"}, InputError, "deal type"),
        ({"name": "  "}, InputError, "deal name is empty"),
        ({"name": "two\nlines"}, InputError, "line break"),
        ({"owner": "bad\x1bname"}, InputError, "owner"),
    ],
)
def test_create_refuses_bad_values_and_writes_nothing(
    db: Database, fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    create(db, name="Existing")
    create(db, account="Acme", new_account=False)  # 'Data platform' in Acme
    before = snapshot(db)
    values = {"account": "Other", "new_account": True, **fields}
    with pytest.raises(error, match=message):
        create(db, **values)
    assert snapshot(db) == before


# ---------------------------------------------------------------- edit


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"stage": "proposal"}, ("stage", "discovery", "proposal")),
        ({"amount": "42000.5"}, ("amount", "50000.0", "42000.5")),
        ({"close_date": "2027-03-31"}, ("close_date", "2027-01-31", "2027-03-31")),
        ({"currency": "gbp"}, ("currency", "EUR", "GBP")),
        ({"name": "Data platform v2"}, ("name", "Data platform", "Data platform v2")),
        ({"owner": "Tom Baker"}, ("owner", "Sarah Collins", "Tom Baker")),
        ({"type": "renewal"}, ("type", "new", "renewal")),
        ({"playbook": "meddpicc"}, ("playbook", "meddic", "meddpicc")),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_each_edit_writes_one_history_row_with_author_reason_and_source(
    db: Database, changes: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    deal_id = create(db)
    written = records.edit_deal(db, deal_id, changes, PLAYBOOKS, reason="call", author=AUTHOR)
    assert [(h["field"], h["old_value"], h["new_value"]) for h in written] == [expected]
    assert history(db, deal_id) == [(*expected, AUTHOR, "call", "user")]
    field, _old, new = expected
    stored = deal(db, deal_id)[field]
    assert str(stored) == new
    if field == "owner":
        rep = db.execute("SELECT name FROM reps WHERE id = ?", [deal(db, deal_id)["rep_id"]])
        assert rep.fetchone()[0] == "Tom Baker"
    if field == "stage":
        assert deal(db, deal_id)["stage_changed_at"] >= deal(db, deal_id)["created_at"]


def test_edit_without_author_signs_with_the_user_and_same_values_write_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMCOACH_USER", "Léa Dubois")
    deal_id = create(db)
    records.edit_deal(db, deal_id, {"stage": "proposal", "amount": 60000}, PLAYBOOKS)
    assert [h[3] for h in history(db, deal_id)] == ["Léa Dubois", "Léa Dubois"]
    assert [h[4] for h in history(db, deal_id)] == [None, None]  # no reason given
    again = records.edit_deal(db, deal_id, {"stage": "proposal", "amount": "60000"}, PLAYBOOKS)
    assert again == [] and len(history(db, deal_id)) == 2
    # the same rep in another case is no owner change
    assert records.edit_deal(db, deal_id, {"owner": "SARAH COLLINS"}, PLAYBOOKS) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"stage": "proposal", "amount": "abc"}, "not a number"),
        ({"stage": "proposal", "playbook": "spin"}, "unknown playbook"),
        ({"close_date": "2027-02-30"}, "not a date"),
        ({"currency": "E"}, "3-letter"),
        ({"owner": ""}, "owner is empty"),
        ({"account_id": 3}, "cannot be edited"),
        ({}, "nothing to change"),
        ({"stage": "closed_won"}, "deals close"),
    ],
)
def test_edit_refuses_bad_values_and_writes_nothing(
    db: Database, changes: dict[str, Any], message: str
) -> None:
    deal_id = create(db)
    before = snapshot(db)
    with pytest.raises(InputError, match=message):
        records.edit_deal(db, deal_id, changes, PLAYBOOKS, reason="x", author=AUTHOR)
    assert snapshot(db) == before


def test_edit_of_an_unknown_deal_is_not_found(db: Database) -> None:
    with pytest.raises(NotFoundError):
        records.edit_deal(db, 99, {"stage": "proposal"}, PLAYBOOKS)


def test_a_failing_history_write_rolls_back_the_deal_and_the_new_rep(db: Database) -> None:
    """Deal update, new rep and history rows are one transaction."""
    deal_id = create(db)
    db.execute(
        "CREATE TRIGGER fail_history BEFORE INSERT ON opportunity_history "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    before = snapshot(db)
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        records.edit_deal(
            db, deal_id, {"owner": "New Rep", "stage": "proposal"}, PLAYBOOKS, author=AUTHOR
        )
    assert snapshot(db) == before
    assert db.execute("SELECT COUNT(*) FROM reps WHERE name = 'New Rep'").fetchone()[0] == 0


# ---------------------------------------------------------------- close and reopen


def test_close_lost_writes_stage_and_close_reason_with_the_reason(db: Database) -> None:
    deal_id = create(db)
    rows = records.close_deal(db, deal_id, won=False, reason="Budget cut", author=AUTHOR)
    assert {h["changed_at"] for h in rows} == {deal(db, deal_id)["stage_changed_at"]}
    assert history(db, deal_id) == [
        ("stage", "discovery", "closed_lost", AUTHOR, "Budget cut", "user"),
        ("close_reason", None, "Budget cut", AUTHOR, "Budget cut", "user"),
    ]
    row = deal(db, deal_id)
    assert (row["stage"], row["close_reason"]) == ("closed_lost", "Budget cut")


def test_close_needs_a_reason_and_an_open_deal(db: Database) -> None:
    deal_id = create(db)
    before = snapshot(db)
    with pytest.raises(InputError, match="give a reason"):
        records.close_deal(db, deal_id, won=True, reason="  ")
    assert snapshot(db) == before
    records.close_deal(db, deal_id, won=True, reason="Signed")
    before = snapshot(db)
    with pytest.raises(InputError, match="already closed won"):
        records.close_deal(db, deal_id, won=False, reason="changed my mind")
    for changes in ({"playbook": "bant"}, {"stage": "closed_lost"}):
        with pytest.raises(InputError):
            records.edit_deal(db, deal_id, changes, PLAYBOOKS, reason="x")
    with pytest.raises(InputError, match="only an open deal"):
        records.pause_deal(db, deal_id, reason="hold")
    assert snapshot(db) == before


def test_a_closed_deal_takes_corrections_and_reopens_with_a_reason(db: Database) -> None:
    deal_id = create(db)
    records.close_deal(db, deal_id, won=True, reason="Signed", author=AUTHOR)
    records.edit_deal(db, deal_id, {"amount": 48000}, PLAYBOOKS, author=AUTHOR)
    assert deal(db, deal_id)["amount"] == 48000.0
    before = snapshot(db)
    with pytest.raises(InputError, match="give a reason"):
        records.edit_deal(db, deal_id, {"stage": "negotiation"}, PLAYBOOKS)
    assert snapshot(db) == before
    records.edit_deal(
        db, deal_id, {"stage": "negotiation"}, PLAYBOOKS, reason="PO rejected", author=AUTHOR
    )
    row = deal(db, deal_id)
    assert (row["stage"], row["close_reason"]) == ("negotiation", None)
    assert history(db, deal_id)[-2:] == [
        ("stage", "closed_won", "negotiation", AUTHOR, "PO rejected", "user"),
        ("close_reason", "Signed", None, AUTHOR, "PO rejected", "user"),
    ]


# ---------------------------------------------------------------- pause and resume


def test_pause_and_resume_write_pause_rows_and_keep_the_end_date_on_the_deal(
    db: Database,
) -> None:
    deal_id = create(db)
    records.pause_deal(db, deal_id, reason="Budget frozen", until="2027-04-15", author=AUTHOR)
    row = deal(db, deal_id)
    assert (row["pause_reason"], row["paused_until"]) == ("Budget frozen", "2027-04-15")
    records.resume_deal(db, deal_id, reason="Budget released", author=AUTHOR)
    row = deal(db, deal_id)
    assert (row["pause_reason"], row["paused_until"]) == (None, None)
    assert history(db, deal_id) == [
        ("pause", "active", "paused", AUTHOR, "Budget frozen", "user"),
        ("pause", "paused", "active", AUTHOR, "Budget released", "user"),
    ]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda db, d: records.pause_deal(db, d, reason=""), "give a reason"),
        (lambda db, d: records.pause_deal(db, d, reason="x", until="2026-01-01"), "in the past"),
        (lambda db, d: records.pause_deal(db, d, reason="x", until="soon"), "not a date"),
        (lambda db, d: records.resume_deal(db, d, reason="back"), "not paused"),
    ],
    ids=["no-reason", "past", "bad-date", "not-paused"],
)
def test_pause_and_resume_refusals_write_nothing(db: Database, action: Any, message: str) -> None:
    deal_id = create(db)
    before = snapshot(db)
    with pytest.raises(InputError, match=message):
        action(db, deal_id)
    assert snapshot(db) == before


def test_pausing_twice_is_refused_and_closing_a_paused_deal_resumes_it(db: Database) -> None:
    deal_id = create(db)
    records.pause_deal(db, deal_id, reason="Frozen", author=AUTHOR)
    with pytest.raises(InputError, match="already paused"):
        records.pause_deal(db, deal_id, reason="again")
    with pytest.raises(InputError, match="give a reason"):
        records.resume_deal(db, deal_id, reason=None)
    records.close_deal(db, deal_id, won=False, reason="Project cancelled", author=AUTHOR)
    row = deal(db, deal_id)
    assert (row["stage"], row["pause_reason"]) == ("closed_lost", None)
    assert [h[:3] for h in history(db, deal_id)] == [
        ("pause", "active", "paused"),
        ("stage", "discovery", "closed_lost"),
        ("close_reason", None, "Project cancelled"),
        ("pause", "paused", "active"),
    ]


def test_deal_history_by_name_reads_the_same_rows(db: Database) -> None:
    deal_id = create(db)
    records.edit_deal(db, deal_id, {"stage": "proposal"}, PLAYBOOKS, reason="demo")
    rows = records.deal_history(db, "Data platform")
    assert [(r["field"], r["reason"]) for r in rows] == [("stage", "demo")]
