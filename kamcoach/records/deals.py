"""Deals created and changed by hand: create, edit, close won/lost, pause and resume.

The CLI (``kamcoach deals add|edit|close|pause|resume``) and the TUI's deal
forms call these functions, so both validate the same way and write the same
history. Every change goes through :func:`kamcoach.storage.repo.update_deal`,
the one history writer an import also feeds, with the author (the user's name
from config.toml unless given) and the source (``user``), so a deal's history
reads the same whether a CRM export or a rep moved it.

Rules a CRM would enforce and a hand edit must too:
- a new deal starts in an open stage; closing takes a reason (``close_deal``),
  written on the stage row and on a 'close_reason' row in one transaction;
- a closed deal takes corrections (amount, currency, close date, owner, type,
  name) but no playbook, pause or second close: it is reopened first, by a
  stage change back to an open stage, with a reason;
- a pause takes a reason and maybe an end date; resuming takes a reason.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now, today
from kamcoach.domain.stages import CLOSED_STAGES, OPEN_STAGES
from kamcoach.errors import InputError, NotFoundError
from kamcoach.records.deal_fields import (
    EDITABLE_WHEN_CLOSED,
    check_fields,
    day,
    need_reason,
    same_value,
    text_value,
)
from kamcoach.storage import repo
from kamcoach.storage.tx import write_transaction

#: Where hand edits come from, in ``opportunity_history.source`` (imports write the CRM's name).
SOURCE = "user"


@dataclass(frozen=True, slots=True)
class NewDeal:
    """What the user typed to create a deal; checked by :func:`create_deal`."""

    account: str | int
    """An existing account's id or exact name, or the name of a new one (``new_account``)."""
    name: str
    amount: float | str = 0.0
    currency: str = "EUR"
    stage: str = "discovery"
    close_date: str | None = None
    owner: str | None = None
    """A rep's name; the user's own name when None."""
    type: str = "new"
    playbook: str | None = None
    """A loaded playbook's id; the team default when None."""
    new_account: bool = False
    """Create the account ``account`` names (refused when it exists)."""


def _author(author: str | None) -> str:
    if author and author.strip():
        return author.strip()
    from kamcoach.preferences import load_user

    return load_user().name


def _resolve_account(db: Database, ref: str | int, new: bool) -> int | str:
    """An existing account's id, or the checked name of the account to create."""
    if new:
        name = text_value(ref, "account name")
        known = _scalar(db, "SELECT id FROM accounts WHERE lower(name) = lower(?)", [name])
        if known is not None:
            raise InputError(
                f"account {name!r} already exists (id {known}); name it without --new-account"
            )
        return name
    try:
        return int(repo.get_account(db, ref)["id"])
    except NotFoundError:
        raise NotFoundError(
            f"no account with id or name {str(ref)!r} (see `kamcoach accounts list`; "
            f"--new-account creates it)"
        ) from None


def _owner_rep(db: Database, name: str) -> tuple[int, str]:
    """The rep called ``name`` (created when new): its id and its name as stored."""
    from kamcoach.records.reps import ensure_rep

    rep_id = ensure_rep(db, name)
    stored = _scalar(db, "SELECT name FROM reps WHERE id = ?", [rep_id])
    return rep_id, str(stored) if stored is not None else name


def _scalar(db: Database, sql: str, params: list[Any]) -> Any:
    """The first column of the first row, or None."""
    row = db.execute(sql, params).fetchone()
    return None if row is None else row[0]


def create_deal(
    db: Database,
    new: NewDeal,
    playbook_ids: Collection[str],
    *,
    default_playbook: str,
    author: str | None = None,
) -> int:
    """Create the deal (and its account when ``new.new_account``); returns its id.

    Everything is checked before anything is written, and the account, the rep
    and the deal are written in one transaction.
    """
    fields = check_fields(
        {
            "name": new.name,
            "amount": new.amount if new.amount not in (None, "") else 0.0,
            "currency": new.currency,
            "stage": new.stage,
            "close_date": new.close_date,
            "owner": new.owner if new.owner and new.owner.strip() else _author(author),
            "type": new.type,
            "playbook": new.playbook or default_playbook,
        },
        playbook_ids,
    )
    if fields["stage"] not in OPEN_STAGES:
        raise InputError(
            f"a new deal starts in an open stage ({', '.join(OPEN_STAGES)}); "
            f"close it afterwards with a reason"
        )
    now = iso_now()
    with write_transaction(db):
        account = _resolve_account(db, new.account, new.new_account)
        rep_id, owner = _owner_rep(db, fields["owner"])
        if isinstance(account, str):  # a new account belongs to the rep of its first deal
            accounts = db.table("accounts")
            accounts.insert(
                {"name": account, "source": SOURCE, "created_at": now, "rep_id": rep_id}
            )
            account_id = int(accounts.last_pk or 0)
        else:
            account_id = account
            twin = _scalar(
                db,
                "SELECT id FROM opportunities WHERE account_id = ? AND lower(name) = lower(?)",
                [account_id, fields["name"]],
            )
            if twin is not None:
                raise InputError(
                    f"this account already has a deal named {fields['name']!r} "
                    f"(#{twin}); give the new one another name"
                )
        deals = db.table("opportunities")
        deals.insert(
            {
                **fields,
                "account_id": account_id,
                "owner": owner,
                "rep_id": rep_id,
                "created_at": now,
                "stage_changed_at": now,
                "source": SOURCE,
            }
        )
        deal_id = int(deals.last_pk or 0)
        repo.mark_user_data(db)
    return deal_id


def edit_deal(
    db: Database,
    deal: str | int,
    changes: dict[str, Any],
    playbook_ids: Collection[str],
    *,
    reason: str | None = None,
    author: str | None = None,
) -> list[dict[str, Any]]:
    """Change some of a deal's fields; returns the history rows written (none when nothing changed).

    A closed deal takes only :data:`EDITABLE_WHEN_CLOSED`, or a stage change back
    to an open stage (a reopening), which needs a reason and clears the close
    reason. Closing goes through :func:`close_deal`.
    """
    with write_transaction(db):  # read and checked under the write lock
        current = repo.get_deal(db, deal)
        fields = check_fields(changes, playbook_ids)
        if not fields:
            raise InputError("nothing to change: give at least one field (stage, amount, ...)")
        fields = {k: v for k, v in fields.items() if not same_value(k, current.get(k), v)}
        if not fields:
            return []
        stage = fields.get("stage", current["stage"])
        closed = current["stage"] in CLOSED_STAGES
        if stage in CLOSED_STAGES and stage != current["stage"]:
            raise InputError(
                f"closing a deal takes a reason: use `kamcoach deals close {current['id']} "
                f"--{'won' if stage == 'closed_won' else 'lost'} --reason ...`"
            )
        reopen = closed and stage in OPEN_STAGES
        if closed and not reopen:
            refused = sorted(set(fields) - EDITABLE_WHEN_CLOSED - {"stage"})
            if refused:
                raise InputError(
                    f"deal #{current['id']} is {current['stage'].replace('_', ' ')}: "
                    f"its {refused[0]} no longer matters; reopen it first (a stage change "
                    f"back to an open stage, with a reason)"
                )
        if reopen:
            reason = need_reason(reason, f"reopening a deal closed {current['stage'][7:]}")
            fields["close_reason"] = None
        return _write(db, int(current["id"]), fields, reason=reason, author=author)


def _write(
    db: Database,
    deal_id: int,
    fields: dict[str, Any],
    *,
    reason: str | None,
    author: str | None,
) -> list[dict[str, Any]]:
    """One transaction: the owner's rep (when it changes) and the deal's fields with history."""
    reason = reason.strip() if reason and reason.strip() else None
    who = _author(author)
    with write_transaction(db):
        if "owner" in fields:
            fields["rep_id"], fields["owner"] = _owner_rep(db, fields["owner"])
        return repo.update_deal(db, deal_id, fields, source=SOURCE, author=who, reason=reason)


def close_deal(
    db: Database,
    deal: str | int,
    *,
    won: bool,
    reason: str | None,
    author: str | None = None,
) -> list[dict[str, Any]]:
    """Close the deal won or lost: the stage move and the close reason, one transaction.

    A paused deal is resumed by the same change (a closed deal is not paused).
    """
    with write_transaction(db):  # read and checked under the write lock
        current = repo.get_deal(db, deal)
        stage = "closed_won" if won else "closed_lost"
        why = need_reason(reason, f"why the deal was {'won' if won else 'lost'}")
        if current["stage"] in CLOSED_STAGES:
            raise InputError(
                f"deal #{current['id']} is already {current['stage'].replace('_', ' ')}; "
                f"reopen it first (a stage change back to an open stage, with a reason)"
            )
        fields: dict[str, Any] = {"stage": stage, "close_reason": why}
        if current["pause_reason"] is not None:
            fields.update(pause_reason=None, paused_until=None)
        return _write(db, int(current["id"]), fields, reason=why, author=author)


def pause_deal(
    db: Database,
    deal: str | int,
    *,
    reason: str | None,
    until: str | None = None,
    author: str | None = None,
) -> list[dict[str, Any]]:
    """Pause an open deal (the customer froze the project); with ``until``, stale and stuck flags wait."""
    with write_transaction(db):  # read and checked under the write lock
        current = repo.get_deal(db, deal)
        why = need_reason(reason, "why the deal is paused")
        end = day(until, "pause end date")
        if current["stage"] in CLOSED_STAGES:
            raise InputError(
                f"deal #{current['id']} is {current['stage'].replace('_', ' ')}: "
                f"only an open deal can be paused"
            )
        if current["pause_reason"] is not None:
            raise InputError(
                f"deal #{current['id']} is already paused ({current['pause_reason']}); "
                f"resume it first"
            )
        if end is not None and end < today().isoformat():
            raise InputError(f"pause end date {end} is in the past")
        return _write(
            db,
            int(current["id"]),
            {"pause_reason": why, "paused_until": end},
            reason=why,
            author=author,
        )


def resume_deal(
    db: Database, deal: str | int, *, reason: str | None, author: str | None = None
) -> list[dict[str, Any]]:
    """End a deal's pause; the reason says what restarted it."""
    with write_transaction(db):  # read and checked under the write lock
        current = repo.get_deal(db, deal)
        why = need_reason(reason, "why the deal is active again")
        if current["pause_reason"] is None:
            raise InputError(f"deal #{current['id']} is not paused")
        return _write(
            db,
            int(current["id"]),
            {"pause_reason": None, "paused_until": None},
            reason=why,
            author=author,
        )


def deal_history(db: Database, deal: str | int) -> list[dict[str, Any]]:
    """The deal's history, oldest first (imports and hand edits alike)."""
    return repo.deal_history(db, int(repo.get_deal(db, deal)["id"]))
