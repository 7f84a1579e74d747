"""Which score is in force on each criterion of a deal, and why.

A deal collects scores from three authors: the analyser (read from the notes),
the rep and the manager. The rule, the same as the ``deal_scores`` triggers of
migration m014 that the pipeline review reads:

1. the latest **manager** score that is a correction (verdict ``corrected``, or
   NULL for a manager's plain override) is in force;
2. else the latest **rep** score;
3. else the score of the **latest analyser review**.

A manager who *agrees* confirms the score in force at that moment; the row is
history and pins nothing, so a later analyser or rep score replaces it as it
would have anyway. A manager's correction is never replaced by a later rep
score: the rep's score waits, visible, until a manager reviews again. Every
score stays in the history; :meth:`InForce.why` says which one counts, who gave
it and when, and which later scores are waiting behind it.

Pure functions over :class:`~kamcoach.domain.models.Review` objects (the CLI,
the TUI, the checklist and the deal analysis all call :func:`in_force`), plus
:func:`deal_in_force` that loads the reviews of one deal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlite_utils import Database

from kamcoach.domain.models import CriterionScore, Review

#: Precedence of the authors: a lower rank wins whatever the dates.
RANK = {"manager": 0, "rep": 1, "analyser": 2}


@dataclass(slots=True, frozen=True)
class Scored:
    """One criterion's score as one review gave it."""

    review: Review
    score: CriterionScore

    @property
    def day(self) -> str:
        return f"{self.review.created_at:%Y-%m-%d}"

    @property
    def kind(self) -> str:
        return self.review.author_kind


@dataclass(slots=True)
class InForce:
    """The score in force on one criterion, the review that gave it, and what waits."""

    criterion: str
    current: Scored
    confirmed_by: Scored | None = None
    """The latest manager agreement given after the score in force (a confirmation)."""
    waiting: list[Scored] = field(default_factory=list)
    """Later scores of lower precedence that differ and do not apply (newest per author kind)."""

    @property
    def score(self) -> CriterionScore:
        return self.current.score

    @property
    def review(self) -> Review:
        return self.current.review

    @property
    def author_kind(self) -> str:
        return self.current.review.author_kind

    def source(self) -> str:
        """Who gave the score in force, in a few words: ``manager J. Doe, 2026-11-20``."""
        kind, author = self.author_kind, self.review.author
        who = f"{kind} {author}" if author and kind != "analyser" else kind
        return f"{who}, {self.current.day}"

    def why(self) -> str:
        """One sentence: the score in force, its author, and what waits behind it."""
        s, review = self.current.score, self.review
        details = [review.author] if review.author and self.author_kind != "analyser" else []
        details.append(self.current.day)
        if self.author_kind == "manager":
            if s.verdict == "corrected":
                details.append(f"corrected: {s.reason}" if s.reason else "corrected")
            elif s.reason:
                details.append(f"override: {s.reason}")
        elif self.author_kind == "rep" and s.reason:
            details.append(s.reason)
        elif self.author_kind == "analyser":
            details.append("from the notes")
        text = f"{self.author_kind} {s.score} ({', '.join(details)}) in force"
        if self.confirmed_by is not None:
            who = self.confirmed_by.review.author or "a manager"
            text += f", agreed by {who} on {self.confirmed_by.day}"
        for later in self.waiting:
            text += f"; {later.kind} scored {later.score.score} on {later.day} after it"
        if self.waiting:
            text += (
                " — the manager's score stands until a manager reviews again"
                if self.author_kind == "manager"
                else " — a person's score stands over the notes"
            )
        return text


def _order(review: Review) -> tuple[str, int]:
    # created_at then id, as the SQL orders (ISO text of the same datetime).
    return (review.created_at.isoformat(), review.id or 0)


def in_force(reviews: Iterable[Review]) -> dict[str, InForce]:
    """Per criterion, the score in force and why (see the module docstring for the rule).

    ``reviews`` in any order; criteria no review scored are absent.
    """
    ordered = sorted(reviews, key=_order)
    analyser = next((r for r in reversed(ordered) if r.author_kind == "analyser"), None)
    history: dict[str, list[Scored]] = {}
    for review in ordered:
        if review.author_kind == "analyser" and review is not analyser:
            continue  # only the latest analyser review counts (older ones are history)
        for cid, score in review.scores.items():
            history.setdefault(cid, []).append(Scored(review, score))
    out: dict[str, InForce] = {}
    for cid, items in history.items():
        candidates = [it for it in items if it.score.verdict != "agreed"]
        if not candidates:
            continue  # only agreements (of a score no longer stored): nothing in force
        # Best rank, then the latest (items are oldest first; max keeps the last of ties).
        best = min(RANK.get(it.kind, 3) for it in candidates)
        current = [it for it in candidates if RANK.get(it.kind, 3) == best][-1]
        position = items.index(current)
        after = items[position + 1 :]
        agreements = [
            it
            for it in after
            if it.kind == "manager"
            and it.score.verdict == "agreed"
            and it.score.score == current.score.score
        ]
        waiting: dict[str, Scored] = {}
        for it in after:
            if it.score.verdict == "agreed" or it.kind == current.kind:
                continue
            if it.score.score != current.score.score:
                waiting[it.kind] = it  # the newest per author kind
            else:
                waiting.pop(it.kind, None)
        out[cid] = InForce(
            cid,
            current,
            agreements[-1] if agreements else None,
            sorted(waiting.values(), key=lambda it: _order(it.review)),
        )
    return out


def deal_in_force(db: Database, deal_id: int) -> dict[str, InForce]:
    """:func:`in_force` over every review stored for the deal."""
    from kamcoach.storage import repo

    return in_force(repo.deal_reviews(db, deal_id))


def scores_in_force(
    found: dict[str, InForce], criteria: Iterable[str]
) -> dict[str, CriterionScore]:
    """The playbook's criteria in order, each with its score in force (0 'missing' if none)."""
    return {
        cid: found[cid].score if cid in found else CriterionScore(cid, 0, "missing", [])
        for cid in criteria
    }
