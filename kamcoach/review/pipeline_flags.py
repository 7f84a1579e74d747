"""The pipeline review's rules: per-stage plans, score outcomes, flags with their evidence.

A pipeline has a handful of playbooks and stages but many deals, so what
depends only on (playbook, stage) is worked out once (:class:`_StagePlan`)
and what depends on the scores once per distinct score set
(:class:`_ScoreOutcome`); :mod:`kamcoach.review.pipeline_rules` applies them
to one review's deals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kamcoach.domain.scoring import overall_score
from kamcoach.domain.stages import DEFAULT_PROBABILITY, OPEN_STAGES, at_or_after
from kamcoach.playbooks.model import Playbook, PlaybookSet
from kamcoach.review.config import FlagConfig
from kamcoach.review.pipeline_model import Flag, NextQuestion

# ---------------------------------------------------------------- rules


def _fmt_amount(value: float | str | None) -> str:
    try:
        return f"{float(value or 0):,.0f}"
    except ValueError:
        return str(value)


def _criterion_for(playbook: Playbook, candidates: tuple[str, ...]) -> str | None:
    for cid in candidates:
        if cid in playbook.weights:
            return cid
    return None


_SCORE_RULES: tuple[tuple[str, str], ...] = (
    ("no_power", "no economic buyer"),
    ("no_champion", "no champion"),
    ("no_metrics", "pain not quantified"),
)


@dataclass(frozen=True, slots=True)
class _StagePlan:
    """What the rules need that depends only on (playbook, stage): worked out once per review.

    A pipeline has a handful of playbooks and stages but many deals, so the
    gate, the applicable criterion rules, the day limits and the win
    probability are looked up here once instead of once per deal.
    """

    playbook: Playbook
    stage: str
    open: bool
    criteria: tuple[str, ...]
    score_rules: tuple[tuple[str, str, str, int], ...]
    """(flag id, label, criterion id, min score) of the criterion rules in force."""
    stale_limit: int | None
    stuck_limit: int | None
    probability: float
    gate: tuple[tuple[str, int], ...] = ()
    """(criterion id, minimum) of the stage gate, in the playbook's order."""


def _plan(playbook: Playbook, stage: str, config: FlagConfig) -> _StagePlan:
    rules = config.rules
    score_rules = []
    for fid, label in _SCORE_RULES:
        rule = rules[fid]
        if not rule.enabled or not at_or_after(stage, rule.from_stage):
            continue
        cid = _criterion_for(playbook, rule.criteria)
        if cid is not None:
            score_rules.append((fid, label, cid, rule.min_score))
    stage_obj = playbook.stage(stage)
    return _StagePlan(
        playbook=playbook,
        stage=stage,
        open=stage in OPEN_STAGES,
        criteria=playbook.criteria_ids,
        score_rules=tuple(score_rules),
        stale_limit=rules["stale"].days_for(stage) if rules["stale"].enabled else None,
        stuck_limit=rules["stuck"].days_for(stage) if rules["stuck"].enabled else None,
        probability=(stage_obj.probability if stage_obj else DEFAULT_PROBABILITY.get(stage, 0.0)),
        gate=tuple(playbook.gate(stage).items()),
    )


@dataclass(slots=True)
class _Scores:
    """A deal's effective scores laid out on its playbook (shared by deals with equal scores)."""

    raw: dict[str, tuple[int, str]] | None
    scores: tuple[int | None, ...]
    statuses: tuple[str | None, ...]
    overall: float | None
    scores_dict: dict[str, int | None]
    """Template copied into each DealRow (rows own their dicts)."""
    statuses_dict: dict[str, str | None]


def _layout_scores(playbook: Playbook, raw: dict[str, tuple[int, str]] | None) -> _Scores:
    crit = playbook.criteria_ids
    if raw is None:
        scores: tuple[int | None, ...] = (None,) * len(crit)
        statuses: tuple[str | None, ...] = (None,) * len(crit)
        overall: float | None = None
    else:
        scores = tuple(raw[c][0] if c in raw else 0 for c in crit)
        statuses = tuple(raw[c][1] if c in raw else "missing" for c in crit)
        overall = overall_score(playbook, {c: v or 0 for c, v in zip(crit, scores, strict=True)})
    return _Scores(
        raw,
        scores,
        statuses,
        overall,
        dict(zip(crit, scores, strict=True)),
        dict(zip(crit, statuses, strict=True)),
    )


@dataclass(slots=True)
class _ScoreOutcome:
    """Everything derived from a deal's effective scores at its stage (shared by equal deals)."""

    plan: _StagePlan
    laid: _Scores
    flags: tuple[Flag, ...]
    passed: bool
    below: dict[str, tuple[int, int]]
    qbase: tuple[Any, ...]
    """(playbook id, scores, below items): the next question's memo key, without the language."""
    questions: dict[str | None, NextQuestion | None]
    """Next question per note language, filled as deals ask for it."""
    sort_score: float


def _score_outcome(
    plan: _StagePlan,
    laid: _Scores,
    config: FlagConfig,
    names: dict[str, str],
    flag_of: Any,
    gate_flags: dict[tuple[Any, ...], Flag] | None = None,
) -> _ScoreOutcome:
    """The score-based rules (stage gate, economic buyer, champion, metrics) for one deal.

    Pure function of the plan and the effective scores, memoised by the
    caller: deals with the same playbook, stage and scores share the result.
    The gate is the plan's precompiled (criterion, minimum) tuple, so this is
    a few integer comparisons plus the flag texts (same result as
    :func:`gate_verdict`).
    """
    stage = plan.stage
    raw = laid.raw
    below: dict[str, tuple[int, int]] = {}
    for cid, minimum in plan.gate:
        value = raw.get(cid) if raw else None
        score = int(value[0] or 0) if value is not None else 0
        if score < minimum:
            below[cid] = (score, minimum)
    flags: list[Flag] = []
    if plan.open:
        analysed = raw is not None
        if below and config.enabled("stage_ahead"):
            # Many score sets fail a gate the same way: the flag text is built once per failure.
            gkey = (stage, analysed, *below.items())
            got = gate_flags.get(gkey) if gate_flags is not None else None
            if got is None:
                parts = ", ".join(
                    f"{names.get(c, c)} {s}/{m}" for c, (s, m) in sorted(below.items())
                )
                prefix = "not analysed; " if not analysed else ""
                got = flag_of("stage_ahead", f"{prefix}below the {stage} gate: {parts}")
                if gate_flags is not None:
                    gate_flags[gkey] = got
            flags.append(got)
        for fid, label, cid, min_score in plan.score_rules:
            if not analysed:
                flags.append(flag_of(fid, f"{label}: not analysed ({names.get(cid, cid)} unknown)"))
                continue
            score, status = (raw or {}).get(cid, (0, "missing"))
            if status == "gap" or score < min_score:
                what = "gap stated" if status == "gap" else f"{score}/{min_score} ({status})"
                flags.append(flag_of(fid, f"{label} at {stage}: {names.get(cid, cid)} {what}"))
    return _ScoreOutcome(
        plan,
        laid,
        tuple(flags),
        not below,
        below,
        (plan.playbook.id, laid.scores, tuple(below.items())),
        {},
        laid.overall if laid.overall is not None else -1.0,
    )


def pick_next_question(
    playbooks: PlaybookSet,
    playbook: Playbook,
    scores: dict[str, int | None],
    below: dict[str, tuple[int, int]],
    lang: str,
) -> NextQuestion | None:
    """The question for the most important failing criterion (weight, then distance to gate).

    When the deal passes its gate, the weakest weighted criterion not yet
    validated is asked about instead, so a rep always has something to learn.
    """
    cid = _next_criterion(playbook, scores, below)
    return None if cid is None else _question_for(playbooks, cid, lang)


def _next_criterion(
    playbook: Playbook, scores: dict[str, int | None], below: dict[str, tuple[int, int]]
) -> str | None:
    """The criterion :func:`pick_next_question` asks about (None when all are validated)."""
    if below:
        cid = max(
            below,
            key=lambda c: (
                playbook.weights.get(c, 0),
                below[c][1] - below[c][0],
                -_pos(playbook, c),
            ),
        )
    else:
        open_ = [c for c in playbook.weights if (scores.get(c) or 0) < 3]
        if not open_:
            return None
        cid = max(
            open_,
            key=lambda c: (playbook.weights[c] * (3 - (scores.get(c) or 0)), -_pos(playbook, c)),
        )
    return cid


def _question_for(playbooks: PlaybookSet, cid: str, lang: str) -> NextQuestion | None:
    """The playbook question for a criterion, in the note's language (English otherwise)."""
    criterion = playbooks.criteria.get(cid)
    if criterion is None or not criterion.questions:
        return None
    question = criterion.questions[0]
    lang = lang if lang in ("en", "fr") else "en"
    return NextQuestion(
        criterion=cid, text=question.text.get(lang), phase=question.phase, lang=lang
    )


def _pos(playbook: Playbook, cid: str) -> int:
    ids = playbook.criteria_ids
    return ids.index(cid) if cid in ids else len(ids)
