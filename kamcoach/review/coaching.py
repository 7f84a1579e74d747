"""Per-rep coaching: which criteria cost a rep's deals the most, per playbook, and the trend.

A pipeline review says which deals are weak; coaching says why, rep by rep:
"Camille rarely finds the economic buyer" is actionable, and the playbook's
discovery questions for that criterion are what she should practise.

Practice items are ranked by weighted impact, not by share: the overall-score
points the rep's deals lose on a criterion (its weight in the deal's playbook
times how far below 3 it is), so a heavy criterion missing on five deals comes
before a light one missing on the only deal of a playbook. A criterion weak on
fewer than ``min_deals`` deals is not a habit and is not proposed. Criteria are
grouped by playbook: MEDDIC's "decision process" and BANT's "authority" are
practised with different questions. Like the pipeline review this is a few bulk
queries and one Python pass.
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
#: A criterion must be weak on at least this many deals to be a practice item.
MIN_DEALS = 2


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
    """Analysed open deals of this playbook."""
    missing: int
    """Of those, deals where the criterion is missing or a stated gap."""
    trend: Trend
    """Average 0-3 score of this criterion in the rep's recent reviews of this playbook."""
    questions: tuple[Question, ...] = ()
    weight: float = 0.0
    """The criterion's share of the playbook's total weight (0-1)."""
    points_lost: float = 0.0
    """Overall-score points (0-100 scale) the deals lose on this criterion, summed."""
    weak: int = 0
    """Deals where the criterion scores below 3 (missing, mentioned or specific)."""

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
            "weak": self.weak,
            "weight": round(self.weight, 4),
            "points_lost": round(self.points_lost, 1),
            "trend": self.trend.to_dict(),
            "questions": [
                {"phase": q.phase, "en": q.text.en, "fr": q.text.fr, "when_en": q.when.en}
                for q in self.questions
            ],
        }


@dataclass(slots=True)
class PlaybookCoaching:
    """One rep's criteria on the deals of one playbook."""

    playbook: str
    name: str
    open_deals: int
    analysed_deals: int
    criteria: list[CriterionGap] = field(default_factory=list)
    """Every criterion of the playbook, largest weighted impact first."""
    weakest: list[CriterionGap] = field(default_factory=list)
    """The criteria to practise (weak on at least ``min_deals`` deals), with their questions."""
    min_deals: int = MIN_DEALS

    @property
    def too_few(self) -> bool:
        """Fewer analysed deals than a habit needs: nothing is ranked as a practice item."""
        return self.analysed_deals < self.min_deals

    def to_dict(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook,
            "name": self.name,
            "open_deals": self.open_deals,
            "analysed_deals": self.analysed_deals,
            "min_deals": self.min_deals,
            "too_few": self.too_few,
            "criteria": [c.to_dict() for c in self.criteria],
            "weakest": [c.criterion for c in self.weakest],
        }


@dataclass(slots=True)
class RepCoaching:
    owner: str
    open_deals: int
    analysed_deals: int
    trend: Trend
    """Average overall score (0-100) of the rep's reviews, recent window vs previous."""
    playbooks: list[PlaybookCoaching] = field(default_factory=list)
    """Per playbook the rep's open deals use, most deals first."""
    lang: str = "en"
    """The language most of the rep's notes are in: the one to practise the questions in."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "open_deals": self.open_deals,
            "analysed_deals": self.analysed_deals,
            "trend": self.trend.to_dict(),
            "playbooks": [p.to_dict() for p in self.playbooks],
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
    min_deals: int = MIN_DEALS,
) -> list[RepCoaching]:
    """Coaching summary per rep (one rep with ``owner``), reps sorted by name.

    ``lang`` ("auto": the language most of each rep's notes are in) names the
    criteria and picks the questions' language for each rep. ``min_deals``:
    how many deals a criterion must be weak on to be proposed for practice.
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
    criterion_trend: dict[tuple[str, str, str], dict[str, tuple[float, int]]] = {}
    for rep, period, playbook_id, cid, avg, count in db.execute(
        f"""
        SELECT o.owner, CASE WHEN r.created_at >= ? THEN 'recent' ELSE 'previous' END,
               r.playbook, s.criterion, AVG(s.score), COUNT(*)
        FROM reviews r JOIN opportunities o ON o.id = r.opportunity_id
             JOIN review_scores s ON s.review_id = r.id
        WHERE r.created_at >= ? {owner_where}
        GROUP BY 1, 2, 3, 4
        """,
        [recent_start, previous_start, *owner_params],
    ):
        criterion_trend.setdefault((rep, playbook_id, cid), {})[period] = (round(avg, 2), count)

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

    # owner -> playbook -> {"open", "analysed", "missing": cid -> n, "weak": cid -> n,
    #                       "lost": cid -> points}
    per_owner: dict[str, dict[str, dict[str, Any]]] = {}
    for deal_id, rep, playbook_id in deals:
        entry = per_owner.setdefault(rep, {}).setdefault(
            playbook_id, {"open": 0, "analysed": 0, "missing": {}, "weak": {}, "lost": {}}
        )
        entry["open"] += 1
        playbook = playbooks.playbooks.get(playbook_id)
        effective = scores.get(deal_id)
        if playbook is None or effective is None:
            continue
        entry["analysed"] += 1
        total = sum(playbook.weights.values()) or 1.0
        for cid, weight in playbook.weights.items():
            score, status = effective.get(cid, (0, "missing"))
            if status == "gap":
                score = 0
            if score == 0 or status in ("missing", "gap"):
                entry["missing"][cid] = entry["missing"].get(cid, 0) + 1
            if score < 3:
                entry["weak"][cid] = entry["weak"].get(cid, 0) + 1
                lost = 100.0 * weight / total * (3 - score) / 3
                entry["lost"][cid] = entry["lost"].get(cid, 0.0) + lost

    result: list[RepCoaching] = []
    for rep in sorted(per_owner):
        rep_lang = lang if lang != "auto" else ("fr" if (votes.get(rep) or 0) > 0 else "en")
        groups: list[PlaybookCoaching] = []
        for playbook_id, entry in per_owner[rep].items():
            playbook = playbooks.playbooks.get(playbook_id)
            weights = playbook.weights if playbook else {}
            total = sum(weights.values()) or 1.0
            gaps = []
            for cid, weight in weights.items():
                criterion = playbooks.criteria.get(cid)
                gaps.append(
                    CriterionGap(
                        criterion=cid,
                        name=criterion.name.get(rep_lang) if criterion else cid,
                        deals=entry["analysed"],
                        missing=entry["missing"].get(cid, 0),
                        trend=trend(criterion_trend.get((rep, playbook_id, cid))),
                        questions=criterion.questions if criterion else (),
                        weight=weight / total,
                        points_lost=entry["lost"].get(cid, 0.0),
                        weak=entry["weak"].get(cid, 0),
                    )
                )
            gaps.sort(key=lambda g: (-g.points_lost, -g.weight, g.criterion))
            weakest = [g for g in gaps if g.points_lost > 0 and g.weak >= min_deals][:WEAKEST]
            groups.append(
                PlaybookCoaching(
                    playbook=playbook_id,
                    name=playbook.name.get(rep_lang) if playbook else playbook_id,
                    open_deals=entry["open"],
                    analysed_deals=entry["analysed"],
                    criteria=gaps,
                    weakest=weakest,
                    min_deals=min_deals,
                )
            )
        groups.sort(key=lambda g: (-g.open_deals, g.playbook))
        open_deals = sum(g.open_deals for g in groups)
        result.append(
            RepCoaching(
                owner=rep,
                open_deals=open_deals,
                analysed_deals=sum(g.analysed_deals for g in groups),
                trend=trend(overall_trend.get(rep)),
                playbooks=groups,
                lang=rep_lang,
            )
        )
    return result
