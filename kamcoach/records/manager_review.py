"""A manager's deal review: forecast category, comment, next step, and per criterion
agreement or correction of the score in force.

Stored as one ``reviews`` row with ``author_kind = 'manager'`` and its
``forecast`` (m014), one ``review_scores`` row per criterion the manager looked
at with its ``verdict``:

* ``agreed``: the score in force at that moment is confirmed. The row is
  history, it pins nothing (``review.in_force``): new evidence in the notes or a
  rep's requalification still moves the score, as it would have anyway.
* ``corrected``: a new score 0-3 with a required reason. It stays in force until
  a manager reviews the criterion again; a later rep score waits behind it.

The next step goes to ``next_steps`` (m013) with ``source = 'review'`` and the
review's id, in the same transaction, so a review is saved whole or not at all.
The CLI (``kamcoach review``) and the TUI review screen both call
:func:`save_manager_review`; every mistake is an :class:`InputError` raised
before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import now
from kamcoach.domain.models import CriterionScore, Review
from kamcoach.domain.scoring import gate_verdict, overall_score, status_for
from kamcoach.domain.stages import FORECAST_CATEGORIES
from kamcoach.errors import InputError
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.review.in_force import in_force, scores_in_force
from kamcoach.storage import repo
from kamcoach.storage.tx import write_transaction


@dataclass(slots=True)
class Correction:
    """A manager's new score for one criterion, and why (required)."""

    criterion: str
    score: int
    reason: str


@dataclass(slots=True)
class NextStep:
    """What happens next on the deal, who does it, by when (ISO date)."""

    what: str
    who: str | None = None
    due: str | None = None


@dataclass(slots=True)
class ManagerReviewInput:
    """Everything a manager decides in one review (all parts optional, not all empty)."""

    forecast: str | None = None
    comment: str | None = None
    agree: list[str] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    next_step: NextStep | None = None
    author: str | None = None


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def validate(entry: ManagerReviewInput, criteria: tuple[str, ...]) -> None:
    """Raise :class:`InputError` on the first mistake (nothing is written before this passes)."""
    allowed = ", ".join(criteria)
    if entry.forecast is not None and entry.forecast not in FORECAST_CATEGORIES:
        raise InputError(
            f"unknown forecast category {entry.forecast!r} "
            f"(allowed: {', '.join(FORECAST_CATEGORIES)})"
        )
    seen: set[str] = set()
    for cid in [*entry.agree, *(c.criterion for c in entry.corrections)]:
        if cid not in criteria:
            raise InputError(f"unknown criterion {cid!r} (allowed: {allowed})")
        if cid in seen:
            raise InputError(f"criterion {cid!r} given twice: agree or correct it once")
        seen.add(cid)
    for c in entry.corrections:
        if not isinstance(c.score, int) or isinstance(c.score, bool) or not 0 <= c.score <= 3:
            raise InputError(f"score {c.score!r} for {c.criterion!r} is not 0, 1, 2 or 3")
        if not _clean(c.reason):
            raise InputError(f"correcting {c.criterion!r} needs a reason")
    step = entry.next_step
    if step is not None:
        if not _clean(step.what):
            raise InputError("the next step needs a what (--next-step TEXT)")
        if step.due:
            try:
                date.fromisoformat(step.due)
            except ValueError:
                raise InputError(f"due date {step.due!r} is not YYYY-MM-DD") from None
    if not (entry.forecast or _clean(entry.comment) or seen or step):
        raise InputError(
            "nothing to record: give a forecast, a comment, a next step, "
            "or agree with or correct a criterion"
        )


def record_next_step(
    db: Database,
    deal_id: int,
    step: NextStep,
    *,
    review_id: int,
    author: str | None,
    set_at: str | None = None,
) -> str | None:
    """Set the review's next step through ``records.next_steps`` (source 'review').

    The same writer as the deal screen and the importer (its checks, its
    history rule: the latest row is the step in force, the same open step
    again records nothing). Joins the caller's transaction; returns its
    warning (a due date already past), None otherwise.
    """
    from kamcoach.records.next_steps import set_next_step

    result = set_next_step(
        db,
        deal_id,
        step.what,
        who=step.who,
        due=step.due,
        source="review",
        set_by=author,
        review_id=review_id,
        set_at=set_at,
    )
    return result.warning


def save_manager_review(
    db: Database,
    deal_ref: str | int,
    playbooks: PlaybookSet,
    entry: ManagerReviewInput,
    *,
    created_at: datetime | None = None,
    warnings: list[str] | None = None,
) -> int:
    """Validate and store a manager's review of a deal; returns the review id.

    The agreed rows copy the score in force when the review is written (read
    inside the write transaction, so a score saved meanwhile by someone else
    is the one confirmed). The review's overall score and gate are those of
    the scores in force once the corrections apply. ``warnings`` receives
    what is allowed but worth saying (a next step due in the past).
    """
    deal = repo.get_deal(db, deal_ref)
    playbook = playbooks.playbook(deal["playbook"])
    criteria = tuple(playbook.criteria_ids)
    validate(entry, criteria)
    when = created_at or now()
    with write_transaction(db):
        found = in_force(repo.deal_reviews(db, deal["id"]))
        current = scores_in_force(found, criteria)
        rows: dict[str, CriterionScore] = {}
        for cid in entry.agree:
            s = current[cid]
            rows[cid] = CriterionScore(cid, s.score, s.status, [], None, "agreed")
        for c in entry.corrections:
            rows[c.criterion] = CriterionScore(
                c.criterion, c.score, status_for(c.score), [], (c.reason or "").strip(), "corrected"
            )
        after = {**current, **{cid: s for cid, s in rows.items() if s.verdict == "corrected"}}
        verdict = gate_verdict(playbook, deal["stage"], after)
        review = Review(
            opportunity_id=deal["id"],
            playbook=playbook.id,
            author_kind="manager",
            scores=rows,
            overall=overall_score(playbook, after),
            created_at=when,
            author=_clean(entry.author),
            stage=deal["stage"],
            comment=_clean(entry.comment),
            forecast=entry.forecast,
        )
        review_id = repo.save_review(db, review, gate_passed=verdict.passed)
        if entry.next_step is not None:
            warning = record_next_step(
                db,
                deal["id"],
                entry.next_step,
                review_id=review_id,
                author=review.author,
                set_at=when.strftime("%Y-%m-%dT%H:%M:%S"),
            )
            if warning and warnings is not None:
                warnings.append(warning)
    return review_id


def manager_reviews(db: Database, deal_id: int) -> list[Review]:
    """The deal's manager reviews, oldest first (``kamcoach review DEAL --history``)."""
    return repo.deal_reviews(db, deal_id, author_kind="manager")


def review_next_steps(db: Database, deal_id: int) -> dict[int, dict[str, Any]]:
    """review id -> the next step that review set (for the history)."""
    cursor = db.execute(
        "SELECT review_id, what, who, due_date FROM next_steps "
        "WHERE opportunity_id = ? AND review_id IS NOT NULL ORDER BY set_at, id",
        [deal_id],
    )
    return {rid: {"what": w, "who": who, "due": due} for rid, w, who, due in cursor}


def latest_forecast(db: Database, deal_id: int) -> tuple[str, str] | None:
    """(category, day) of the deal's latest manager review that gave a forecast."""
    row = db.execute(
        "SELECT forecast, created_at FROM reviews WHERE opportunity_id = ? "
        "AND author_kind = 'manager' AND forecast IS NOT NULL "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        [deal_id],
    ).fetchone()
    return (row[0], row[1][:10]) if row else None
