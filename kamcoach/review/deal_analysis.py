"""Analyse a stored deal's notes and save the analyser's review.

Per-note results are cached in ``note_analyses`` keyed by the note's content
hash and the analyser version (code revision + digest of the pattern files),
so re-running only re-reads notes whose text or rules changed. What a note
read again proposes about people is stored in ``proposals`` in the same
transaction (:mod:`kamcoach.records.proposals`). The combined
scores become a review with ``author_kind = 'analyser'``; reviews are never
overwritten, so the history of a deal's qualification is kept.
:func:`effective_scores` gives the score in force per criterion (``review.in_force``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now, now
from kamcoach.domain.models import CriterionScore, Review
from kamcoach.domain.scoring import GateVerdict, gate_verdict, overall_score
from kamcoach.errors import KamcoachError
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.records import proposals
from kamcoach.storage import repo
from kamcoach.storage.tx import write_transaction

Progress = Callable[[int, int | None], None]


@dataclass(slots=True)
class DealAnalysisStats:
    """What the last :func:`analyze_deal` call did (for the CLI and tests)."""

    notes: int = 0
    analysed: int = 0
    cached: int = 0
    saved: bool = False
    warnings: list[str] = field(default_factory=list)
    """Warnings of the notes read again (a note over the long-note limit)."""
    proposals: int = 0
    """New proposals about people read from the notes read again."""


last_stats = DealAnalysisStats()


def _cached(db: Database, note_id: int, playbook: str, digest: str, version: str) -> Any:
    from kamcoach.analysis.result import NoteAnalysis

    row = db.execute(
        "SELECT content_hash, analyser_version, result FROM note_analyses "
        "WHERE note_id = ? AND playbook = ?",
        [note_id, playbook],
    ).fetchone()
    if row is None or row[0] != digest or row[1] != version:
        return None
    try:
        return NoteAnalysis.from_dict(json.loads(row[2]))
    except (ValueError, KeyError, TypeError):
        return None


def _same(review: Review | None, scores: dict[str, CriterionScore], stage: str) -> bool:
    if review is None or review.stage != stage:
        return False
    if set(review.scores) != set(scores):
        return False
    return all(
        review.scores[c].score == s.score
        and review.scores[c].status == s.status
        and [(e.text, e.note_id) for e in review.scores[c].evidence]
        == [(e.text, e.note_id) for e in s.evidence]
        for c, s in scores.items()
    )


def analyze_deal(
    db: Database,
    deal_id: int,
    playbooks: PlaybookSet,
    *,
    progress: Progress | None = None,
) -> tuple[Review, GateVerdict]:
    """Analyse the deal's notes (cached per note) and save an analyser review.

    A new review is stored only when the scores, evidence or stage differ from
    the latest analyser review; otherwise that review is returned unchanged.
    """
    from kamcoach.analysis.engine import analyser_version, analyze_text

    global last_stats
    stats = DealAnalysisStats()
    deal = repo.get_deal(db, deal_id)
    deal_id = deal["id"]
    pb = playbooks.playbook(deal["playbook"])
    version = analyser_version(playbooks)
    contacts = repo.deal_contacts(db, deal_id)
    people = proposals.extractor_contacts(db, deal_id, deal["account_id"])
    notes = repo.deal_notes(db, deal_id, newest_first=False)
    stats.notes = len(notes)
    analyses = []
    fresh: list[dict[str, Any]] = []
    fresh_proposals: list[tuple[int, list[Any]]] = []
    for i, note in enumerate(notes):
        analysis = _cached(db, note["id"], pb.id, note["content_hash"], version)
        if analysis is None:
            analysis = analyze_text(
                note["text"],
                playbooks=playbooks,
                playbook=pb,
                lang=note["lang"] or "auto",
                contacts=contacts,
                note_id=note["id"],
                people=people,
            )
            stats.analysed += 1
            fresh_proposals.append((note["id"], analysis.proposals))
            fresh.append(
                {
                    "note_id": note["id"],
                    "playbook": pb.id,
                    "content_hash": note["content_hash"],
                    "analyser_version": version,
                    "lang": analysis.lang,
                    "result": json.dumps(analysis.to_dict(), ensure_ascii=False),
                    "analysed_at": iso_now(),
                }
            )
        else:
            stats.cached += 1
        # Cached or fresh: a note read with a warning (a note past the length limit) says so
        # every time the deal is analysed, not only the first.
        stats.warnings.extend(analysis.warnings)
        analysis.id = note["id"]
        analyses.append(analysis)
        if progress:
            progress(i + 1, len(notes))
    from kamcoach.analysis.engine import combine

    scores = combine(analyses, pb)
    verdict = gate_verdict(pb, deal["stage"], scores)
    latest = repo.latest_review(db, deal_id, author_kind="analyser")
    if not fresh and latest is not None and _same(latest, scores, deal["stage"]):
        last_stats = stats  # nothing to write (a read-only database stays readable)
        return latest, verdict
    # One write transaction: the cache rows, then the latest review read again under the
    # write lock, so two analysers running at once store one review, not two.
    with write_transaction(db):
        if fresh:
            db.table("note_analyses").upsert_all(fresh, pk=("note_id", "playbook"))
            # What the notes say about people waits for the rep, written with the analysis.
            for note_id, found in fresh_proposals:
                stats.proposals += proposals.store_note_proposals(
                    db, note_id, deal_id, deal["account_id"], found
                )
        latest = repo.latest_review(db, deal_id, author_kind="analyser")
        if _same(latest, scores, deal["stage"]) and latest is not None:
            last_stats = stats
            return latest, verdict
        review = Review(
            opportunity_id=deal_id,
            playbook=pb.id,
            author_kind="analyser",
            scores=scores,
            overall=overall_score(pb, scores),
            created_at=now(),
            author="kamcoach",
            stage=deal["stage"],
        )
        review.id = repo.save_review(db, review, gate_passed=verdict.passed)
    stats.saved = True
    last_stats = stats
    return review, verdict


def deals_with_notes(db: Database) -> list[int]:
    """Ids of the deals that have at least one note, in id order."""
    return [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT opportunity_id FROM notes ORDER BY opportunity_id"
        ).fetchall()
    ]


def analyze_all(
    db: Database,
    playbooks: PlaybookSet,
    *,
    progress: Progress | None = None,
    skipped: list[tuple[int, str]] | None = None,
    warnings: list[tuple[int, str]] | None = None,
) -> list[tuple[int, Review, GateVerdict]]:
    """Analyse every deal that has notes; ``progress(done, total)`` counts deals.

    With a ``skipped`` list, a deal the user must fix (an unknown playbook,
    say one removed from the team folder) is recorded there as ``(deal id,
    message)`` and the others are still analysed: one bad deal used to stop
    the whole run. Without it, the first such error is raised. A ``warnings``
    list receives ``(deal id, message)`` for every note read with a warning.
    """
    deal_ids = deals_with_notes(db)
    out = []
    for i, deal_id in enumerate(deal_ids):
        try:
            review, verdict = analyze_deal(db, deal_id, playbooks)
        except KamcoachError as exc:
            if skipped is None:
                raise
            skipped.append((deal_id, str(exc)))
        else:
            out.append((deal_id, review, verdict))
            if warnings is not None:
                warnings.extend((deal_id, message) for message in last_stats.warnings)
        if progress:
            progress(i + 1, len(deal_ids))
    return out


def effective_scores(
    db: Database, deal_id: int, playbooks: PlaybookSet
) -> dict[str, CriterionScore]:
    """The score in force on each of the deal's playbook criteria (``review.in_force``).

    A manager's correction, else the latest rep score, else the latest
    analyser review: re-analysing the notes never undoes a person's score.
    """
    from kamcoach.review.in_force import deal_in_force, scores_in_force

    deal = repo.get_deal(db, deal_id)
    pb = playbooks.playbook(deal["playbook"])
    return scores_in_force(deal_in_force(db, deal["id"]), pb.criteria_ids)
