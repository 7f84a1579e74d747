"""What the screens show, read from the core in one call each (run inside workers).

These functions only gather: every rule lives in the core modules
(``review.pipeline``, ``review.prep``, ``domain.scoring``), the same ones the
CLI calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcoach.domain.models import CriterionScore, Review
from kamcoach.domain.scoring import GateVerdict, gate_verdict, overall_score
from kamcoach.domain.stages import DEFAULT_PROBABILITY
from kamcoach.playbooks.model import Playbook, PlaybookSet
from kamcoach.records.next_steps import current as current_next_step
from kamcoach.review.in_force import InForce, in_force, scores_in_force
from kamcoach.review.prep import detect_deal_lang
from kamcoach.storage import repo


@dataclass(slots=True)
class DealView:
    """One deal as the deal screen shows it."""

    deal: dict[str, Any]
    playbook: Playbook
    scores: dict[str, CriterionScore]
    verdict: GateVerdict
    overall: float
    flags: list[Any]
    """:class:`kamcoach.review.pipeline.Flag` items (id, severity, reason)."""
    contacts: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    """Newest first."""
    reviews: list[Review]
    """Oldest first: the trend."""
    lang: str
    overrides: dict[str, Review] = field(default_factory=dict)
    """criterion -> the rep or manager review whose score is in force."""
    in_force: dict[str, InForce] = field(default_factory=dict)
    """criterion -> the score in force, who gave it and why (``review.in_force``)."""
    next_step: Any = None
    """The deal's current :class:`kamcoach.records.next_steps.NextStep`, None if none was set."""

    @property
    def id(self) -> int:
        return int(self.deal["id"])


def load_pipeline(
    db: Database,
    playbooks: PlaybookSet,
    *,
    owner: str | None = None,
    stage: str | None = None,
    flag: str | None = None,
) -> Any:
    """The manager's pipeline review (same function as ``kamcoach pipeline``)."""
    from kamcoach.review.pipeline import review_pipeline

    return review_pipeline(db, playbooks, owner=owner, stage=stage, flag=flag)


def rows_totals(playbooks: PlaybookSet, rows: Sequence[Any], key: str = "filtered") -> Any:
    """Totals of some pipeline rows (an account's deals), as the core sums them.

    The core review filters by owner, stage and flag but not by account; rather
    than widen the core for one screen, the account view sums its own rows with
    the core's ``Totals.add`` and the stage probability of each deal's playbook
    (the same lookup the core makes), so the figures match ``kamcoach pipeline``.
    """
    from kamcoach.review.pipeline import Totals

    totals = Totals(key)
    for row in rows:
        playbook = playbooks.playbooks.get(row.playbook)
        stage = playbook.stage(row.stage) if playbook else None
        probability = stage.probability if stage else DEFAULT_PROBABILITY.get(row.stage, 0.0)
        totals.add(row, probability)
    return totals


def deal_flags(db: Database, playbooks: PlaybookSet, deal: dict[str, Any]) -> list[Any]:
    """The pipeline-review flags of one deal (none for closed deals)."""
    if deal["stage"] in ("closed_won", "closed_lost"):
        return []
    report = load_pipeline(db, playbooks, owner=deal["owner"] or None, stage=deal["stage"])
    find = getattr(report.deals, "find", None)
    if find is not None:  # builds only this deal's row
        row = find(deal["id"])
        return list(row.flags) if row is not None else []
    for row in report.deals:
        if row.id == deal["id"]:
            return list(row.flags)
    return []


def load_deal(db: Database, playbooks: PlaybookSet, deal_id: int) -> DealView:
    deal = repo.get_deal(db, deal_id)
    playbook = playbooks.playbook(deal["playbook"])
    notes = repo.deal_notes(db, deal_id, newest_first=True)
    reviews = repo.deal_reviews(db, deal_id)
    found = in_force(reviews)
    scores = scores_in_force(found, playbook.criteria_ids)
    overrides = {
        cid: f.review
        for cid, f in found.items()
        if f.author_kind != "analyser" and cid in playbook.criteria_ids
    }
    try:
        flags = deal_flags(db, playbooks, deal)
    except Exception:  # a broken flag config must not hide the deal
        flags = []
    return DealView(
        deal=deal,
        playbook=playbook,
        scores=scores,
        verdict=gate_verdict(playbook, deal["stage"], scores),
        overall=overall_score(playbook, scores),
        flags=flags,
        contacts=repo.deal_contacts(db, deal_id),
        notes=notes,
        reviews=reviews,
        lang=detect_deal_lang(notes),
        overrides=overrides,
        in_force=found,
        next_step=current_next_step(db, deal_id),
    )


def evidence_spans(
    note: dict[str, Any], scores: dict[str, CriterionScore]
) -> list[tuple[int, int, bool, str]]:
    """(start, end, negated, criterion) of the evidence quoted from this note."""
    text = str(note["text"])
    spans: list[tuple[int, int, bool, str]] = []
    for cid, score in scores.items():
        for ev in score.evidence:
            if ev.note_id is not None and ev.note_id != note["id"]:
                continue
            start, end = ev.start, ev.end
            if not (0 <= start < end <= len(text) and text[start:end] == ev.text):
                found = text.find(ev.text) if ev.text else -1
                if found < 0:
                    continue
                start, end = found, found + len(ev.text)
            spans.append((start, end, ev.negated, cid))
    return sorted(spans)
