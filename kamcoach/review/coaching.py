"""Per-rep coaching: which criteria a rep most often leaves missing, and the trend.

A pipeline review says which deals are weak; coaching says why, rep by rep:
"Camille rarely finds the economic buyer" is actionable, and the playbook's
discovery questions for that criterion are what she should practise. Like the
pipeline review this is a few bulk queries and one Python pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import today as clock_today
from kamcoach.domain.ids import is_utf8
from kamcoach.playbooks.model import PlaybookSet, Question
from kamcoach.review.pipeline import load_effective_scores, scope_clause

WEAKEST = 3


@dataclass(slots=True)
class Trend:
    """Average of a value over the last window vs the window before it."""

    recent: float | None
    previous: float | None
    recent_count: int = 0
    previous_count: int = 0

    @property
    def delta(self) -> float | None:
        if self.recent is None or self.previous is None:
            return None
        return round(self.recent - self.previous, 2)

    @property
    def direction(self) -> str:
        delta = self.delta
        if delta is None:
            return "new" if self.recent is not None else "n/a"
        if abs(delta) < 1e-9:
            return "flat"
        return "up" if delta > 0 else "down"

    def to_dict(self) -> dict[str, Any]:
        return {
            "recent": self.recent,
            "previous": self.previous,
            "recent_count": self.recent_count,
            "previous_count": self.previous_count,
            "delta": self.delta,
            "direction": self.direction,
        }


@dataclass(slots=True)
class CriterionGap:
    criterion: str
    name: str
    deals: int
    """Analysed open deals whose playbook uses this criterion."""
    missing: int
    """Of those, deals where the criterion is missing or a stated gap."""
    trend: Trend
    """Average 0-3 score of this criterion in the rep's recent reviews."""
    questions: tuple[Question, ...] = ()

    @property
    def missing_share(self) -> float:
        return self.missing / self.deals if self.deals else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "name": self.name,
            "deals": self.deals,
            "missing": self.missing,
            "missing_share": round(self.missing_share, 4),
            "trend": self.trend.to_dict(),
            "questions": [
                {"phase": q.phase, "en": q.text.en, "fr": q.text.fr, "when_en": q.when.en}
                for q in self.questions
            ],
        }


@dataclass(slots=True)
class RepCoaching:
    owner: str
    open_deals: int
    analysed_deals: int
    trend: Trend
    """Average overall score (0-100) of the rep's reviews, recent window vs previous."""
    criteria: list[CriterionGap] = field(default_factory=list)
    """Every criterion, most often missing first."""
    weakest: list[CriterionGap] = field(default_factory=list)
    """The criteria to practise, with their playbook questions."""
    lang: str = "en"
    """The language most of the rep's notes are in: the one to practise the questions in."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "open_deals": self.open_deals,
            "analysed_deals": self.analysed_deals,
            "trend": self.trend.to_dict(),
            "criteria": [c.to_dict() for c in self.criteria],
            "weakest": [c.criterion for c in self.weakest],
            "lang": self.lang,
        }


def coach(
    db: Database,
    playbooks: PlaybookSet,
    owner: str | None = None,
    *,
    window_days: int = 30,
    today: date | None = None,
    lang: str = "auto",
) -> list[RepCoaching]:
    """Coaching summary per rep (one rep with ``owner``), reps sorted by name.

    ``lang`` ("auto": the language most of each rep's notes are in) names the
    criteria and picks the questions' language for each rep.
    """
    if owner is not None and not is_utf8(owner):
        return []  # undecodable command-line bytes: no stored owner can match
    today = today or clock_today()
    recent_start = (today - timedelta(days=window_days)).isoformat()
    previous_start = (today - timedelta(days=2 * window_days)).isoformat()
    clause, params, _ = scope_clause(owner, None)
    deals = list(
        db.execute(f"SELECT o.id, o.owner, o.playbook FROM opportunities o WHERE {clause}", params)
    )
    scores = load_effective_scores(db, clause, params)

    owner_where = "AND lower(o.owner) = lower(?)" if owner else ""
    owner_params = [owner] if owner else []
    overall_trend: dict[str, dict[str, tuple[float, int]]] = {}
    for rep, period, avg, count in db.execute(
        f"""
        SELECT o.owner, CASE WHEN r.created_at >= ? THEN 'recent' ELSE 'previous' END,
               AVG(r.overall), COUNT(*)
        FROM reviews r JOIN opportunities o ON o.id = r.opportunity_id
        WHERE r.created_at >= ? {owner_where}
        GROUP BY 1, 2
        """,
        [recent_start, previous_start, *owner_params],
    ):
        overall_trend.setdefault(rep, {})[period] = (round(avg, 1), count)
    criterion_trend: dict[tuple[str, str], dict[str, tuple[float, int]]] = {}
    for rep, period, cid, avg, count in db.execute(
        f"""
        SELECT o.owner, CASE WHEN r.created_at >= ? THEN 'recent' ELSE 'previous' END,
               s.criterion, AVG(s.score), COUNT(*)
        FROM reviews r JOIN opportunities o ON o.id = r.opportunity_id
             JOIN review_scores s ON s.review_id = r.id
        WHERE r.created_at >= ? {owner_where}
        GROUP BY 1, 2, 3
        """,
        [recent_start, previous_start, *owner_params],
    ):
        criterion_trend.setdefault((rep, cid), {})[period] = (round(avg, 2), count)

    # Each rep's language: French +1, English -1 per note (the rep's choice, else detected).
    votes = dict(
        db.execute(
            f"""
            SELECT o.owner, SUM(CASE COALESCE(n.lang, a.lang) WHEN 'fr' THEN 1
                                WHEN 'en' THEN -1 ELSE 0 END)
            FROM notes n JOIN opportunities o ON o.id = n.opportunity_id
                 LEFT JOIN note_analyses a ON a.note_id = n.id
            WHERE {clause} GROUP BY o.owner
            """,
            params,
        ).fetchall()
    )

    def trend(data: dict[str, tuple[float, int]] | None) -> Trend:
        data = data or {}
        recent = data.get("recent")
        previous = data.get("previous")
        return Trend(
            recent=recent[0] if recent else None,
            previous=previous[0] if previous else None,
            recent_count=recent[1] if recent else 0,
            previous_count=previous[1] if previous else 0,
        )

    per_owner: dict[str, dict[str, Any]] = {}
    for deal_id, rep, playbook_id in deals:
        entry = per_owner.setdefault(rep, {"open": 0, "analysed": 0, "deals": {}, "missing": {}})
        entry["open"] += 1
        playbook = playbooks.playbooks.get(playbook_id)
        effective = scores.get(deal_id)
        if playbook is None or effective is None:
            continue
        entry["analysed"] += 1
        for cid in playbook.criteria_ids:
            entry["deals"][cid] = entry["deals"].get(cid, 0) + 1
            score, status = effective.get(cid, (0, "missing"))
            if score == 0 or status in ("missing", "gap"):
                entry["missing"][cid] = entry["missing"].get(cid, 0) + 1

    result: list[RepCoaching] = []
    for rep in sorted(per_owner):
        entry = per_owner[rep]
        rep_lang = lang if lang != "auto" else ("fr" if (votes.get(rep) or 0) > 0 else "en")
        gaps = []
        for cid, count in entry["deals"].items():
            criterion = playbooks.criteria.get(cid)
            gaps.append(
                CriterionGap(
                    criterion=cid,
                    name=criterion.name.get(rep_lang) if criterion else cid,
                    deals=count,
                    missing=entry["missing"].get(cid, 0),
                    trend=trend(criterion_trend.get((rep, cid))),
                    questions=criterion.questions if criterion else (),
                )
            )
        gaps.sort(key=lambda g: (-g.missing_share, g.trend.recent or 0.0, g.criterion))
        weakest = [g for g in gaps if g.missing][:WEAKEST]
        result.append(
            RepCoaching(
                owner=rep,
                open_deals=entry["open"],
                analysed_deals=entry["analysed"],
                trend=trend(overall_trend.get(rep)),
                criteria=gaps,
                weakest=weakest,
                lang=rep_lang,
            )
        )
    return result
