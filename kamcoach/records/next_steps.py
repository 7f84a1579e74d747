"""A deal's agreed next step (what, who, when), with its history.

A next step is the single most telling fact about a deal in a pipeline
review: a deal with no agreed, dated next step is hope, not pipeline. The
``next_steps`` table (m013) keeps every step ever set; the deal's current next
step is its latest row (by ``set_at``, then id), older rows are its history,
so a step is never edited in place: setting a new one appends a row and
marking one done stamps ``done_at`` on the current row.

The deal screen, a manager's review, the call companion and the importer
all set steps through :func:`set_next_step`, each with its ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now
from kamcoach.clock import today as clock_today
from kamcoach.domain.stages import NEXT_STEP_SOURCES
from kamcoach.errors import InputError, NotFoundError
from kamcoach.storage import repo
from kamcoach.storage.tx import write_transaction

#: Longest ``what`` / ``who`` kept: a step is a line, not a note.
MAX_WHAT_CHARS = 500
MAX_WHO_CHARS = 200

_WORDS = {
    "en": {"due": "due", "done": "done", "overdue": "OVERDUE by {days} day{s}"},
    "fr": {"due": "échéance", "done": "fait le", "overdue": "EN RETARD de {days} jour{s}"},
}

_COLUMNS = "id, opportunity_id, what, who, due_date, set_at, set_by, source, review_id, done_at"


@dataclass(frozen=True, slots=True)
class NextStep:
    id: int
    deal_id: int
    what: str
    who: str | None
    due_date: date | None
    set_at: str
    set_by: str | None
    source: str
    review_id: int | None = None
    done_at: str | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None

    def overdue(self, today: date | None = None) -> bool:
        """Not done and due before today (the checklist and the pipeline say so)."""
        if self.done or self.due_date is None:
            return False
        return self.due_date < (today or clock_today())

    def summary(self, today: date | None = None, lang: str = "en") -> str:
        """One line: ``what (who, due YYYY-MM-DD)``, saying when it is overdue or done."""
        words = _WORDS.get(lang, _WORDS["en"])
        extra = [self.who] if self.who else []
        if self.due_date is not None:
            extra.append(f"{words['due']} {self.due_date.isoformat()}")
        text = self.what + (f" ({', '.join(extra)})" if extra else "")
        if self.done:
            text += f" — {words['done']} {(self.done_at or '')[:10]}".rstrip()
        elif self.due_date is not None and self.overdue(today):
            days = ((today or clock_today()) - self.due_date).days
            text += " — " + words["overdue"].format(days=days, s="s" if days != 1 else "")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deal_id": self.deal_id,
            "what": self.what,
            "who": self.who,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "set_at": self.set_at,
            "set_by": self.set_by,
            "source": self.source,
            "review_id": self.review_id,
            "done_at": self.done_at,
        }


@dataclass(frozen=True, slots=True)
class SetResult:
    """The step stored (or the unchanged current one) and what the caller should say."""

    step: NextStep
    changed: bool
    warning: str | None = None
    """A due date already past: allowed (recording yesterday's call), but said."""


def _step(row: tuple[Any, ...] | dict[str, Any]) -> NextStep:
    if isinstance(row, dict):
        row = tuple(row[c.strip()] for c in _COLUMNS.split(","))
    sid, deal, what, who, due, set_at, set_by, source, review_id, done_at = row
    return NextStep(
        id=int(sid),
        deal_id=int(deal),
        what=str(what),
        who=who,
        due_date=_stored_day(due),
        set_at=str(set_at),
        set_by=set_by,
        source=str(source),
        review_id=review_id,
        done_at=done_at,
    )


def _stored_day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:  # written by hand outside kamcoach: shown without a date
        return None


def parse_due(value: str | date | None) -> date | None:
    """A due date given as ISO ``YYYY-MM-DD`` (None or blank = no due date)."""
    if value is None or isinstance(value, date):
        return value
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"due date {value!r} is not YYYY-MM-DD") from None


def _clean(value: str | None, label: str, limit: int) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        return None
    if len(value) > limit:
        raise InputError(f"{label}: {len(value):,} characters, at most {limit}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{label}: not valid text (character {exc.start})") from None
    return value


def current(db: Database, deal_id: int) -> NextStep | None:
    """The deal's latest next step (done or not), None when none was ever set."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM next_steps WHERE opportunity_id = ? "
        "ORDER BY set_at DESC, id DESC LIMIT 1",
        [deal_id],
    ).fetchone()
    return None if row is None else _step(row)


def history(db: Database, deal_id: int) -> list[NextStep]:
    """Every next step the deal had, newest first (the first is the current one)."""
    return [
        _step(r)
        for r in db.execute(
            f"SELECT {_COLUMNS} FROM next_steps WHERE opportunity_id = ? "
            "ORDER BY set_at DESC, id DESC",
            [deal_id],
        )
    ]


def latest_rows_by_deal(
    db: Database, scope_sql: str = "1", params: list[Any] | None = None
) -> dict[int, tuple[Any, ...]]:
    """Per deal, the raw row of its current next step, in one indexed query.

    The pipeline review's path. The deals that have steps are read off the
    index ``(opportunity_id, set_at, id)`` (a covering scan), each one's
    latest step id is one seek in the same index, and only those rows are
    read from the table: the cost follows the number of steps stored (none:
    nothing to read), whatever order they were written in, and no
    :class:`NextStep` is built until a row is shown (:func:`step_from_row`).
    ``scope_sql`` is a condition on ``d.opportunity_id``. A file without the
    table (an old schema opened read-only) has no steps.
    """
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'next_steps'").fetchone():
        return {}
    cursor = db.execute(
        f"SELECT {', '.join('n.' + c.strip() for c in _COLUMNS.split(','))} FROM next_steps n "
        "WHERE n.id IN (SELECT (SELECT m.id FROM next_steps m "
        "WHERE m.opportunity_id = d.opportunity_id ORDER BY m.set_at DESC, m.id DESC LIMIT 1) "
        f"FROM (SELECT DISTINCT opportunity_id FROM next_steps) d WHERE {scope_sql})",
        list(params or []),
    )
    return {row[1]: row for row in cursor}


def step_from_row(row: tuple[Any, ...] | None) -> NextStep | None:
    """A row of :func:`latest_rows_by_deal` as a :class:`NextStep` (None stays None)."""
    return None if row is None else _step(row)


def latest_by_deal(
    db: Database, scope_sql: str = "1", params: list[Any] | None = None
) -> dict[int, NextStep]:
    """The current next step of many deals (see :func:`latest_rows_by_deal`)."""
    return {k: _step(v) for k, v in latest_rows_by_deal(db, scope_sql, params).items()}


def set_next_step(
    db: Database,
    deal: str | int,
    what: str,
    *,
    who: str | None = None,
    due: str | date | None = None,
    source: str = "deal",
    set_by: str | None = None,
    review_id: int | None = None,
    set_at: str | None = None,
    today: date | None = None,
) -> SetResult:
    """Record a new next step on a deal (by id or exact name); it becomes the current one.

    ``set_by`` defaults to the user (config.toml ``[user]``). Setting the same
    what/who/due as the current open step records nothing (re-running an
    import or a review does not grow the history). A due date in the past is
    stored with a warning: the rep may be writing up a step already missed.
    """
    row = repo.get_deal(db, deal)
    deal_id = int(row["id"])
    clean_what = _clean(what, "what", MAX_WHAT_CHARS)
    if not clean_what:
        raise InputError("next step: 'what' is empty (say what was agreed, e.g. 'demo to the CFO')")
    clean_who = _clean(who, "who", MAX_WHO_CHARS)
    due_date = parse_due(due)
    if source not in NEXT_STEP_SOURCES:
        raise InputError(
            f"unknown next-step source {source!r} (allowed: {', '.join(NEXT_STEP_SOURCES)})"
        )
    if set_by is None:
        from kamcoach.preferences import load_user

        set_by = load_user().name
    day = today or clock_today()
    warning = None
    if due_date is not None and due_date < day:
        warning = f"due date {due_date.isoformat()} is already past (today is {day.isoformat()})"
    with write_transaction(db):
        now = current(db, deal_id)
        if (
            now is not None
            and not now.done
            and (now.what, now.who, now.due_date) == (clean_what, clean_who, due_date)
        ):
            return SetResult(now, changed=False, warning=warning)
        table = db.table("next_steps")
        table.insert(
            {
                "opportunity_id": deal_id,
                "what": clean_what,
                "who": clean_who,
                "due_date": due_date.isoformat() if due_date else None,
                "set_at": set_at or iso_now(),
                "set_by": set_by,
                "source": source,
                "review_id": review_id,
                "done_at": None,
            }
        )
        step_id = int(table.last_pk or 0)
        repo.mark_user_data(db)
        stored = db.execute(f"SELECT {_COLUMNS} FROM next_steps WHERE id = ?", [step_id])
        return SetResult(_step(stored.fetchone()), changed=True, warning=warning)


def mark_done(db: Database, deal: str | int, *, done_at: str | None = None) -> NextStep:
    """Stamp the deal's current next step as done; InputError when there is none or it is done."""
    row = repo.get_deal(db, deal)
    deal_id = int(row["id"])
    with write_transaction(db):
        now = current(db, deal_id)
        if now is None:
            raise NotFoundError(f"deal #{deal_id} has no next step to mark done")
        if now.done:
            raise InputError(
                f"deal #{deal_id}: the next step {now.what!r} is already done "
                f"({(now.done_at or '')[:10]}); set a new one"
            )
        stamp = done_at or iso_now()
        db.execute("UPDATE next_steps SET done_at = ? WHERE id = ?", [stamp, now.id])
        repo.mark_user_data(db)
    done = current(db, deal_id)
    assert done is not None
    return done
