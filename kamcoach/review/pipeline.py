"""The weekly pipeline review: deterministic flags, evidence and totals.

A manager does not want the CRM read aloud; they want the exceptions, the
evidence behind each, and how much of the pipeline is real. Everything here is
computed from a handful of bulk SQL queries (latest scores, note recency,
history, contacts, one streaming scan of note texts) followed by one Python
pass over the deals, so a 100k-deal pipeline is reviewed in about a second and
the cost grows linearly. Nothing here imports click, rich or textual: the CLI,
the reports and the TUI all call :func:`review_pipeline`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import today as clock_today
from kamcoach.domain.scoring import overall_score
from kamcoach.domain.stages import DEFAULT_PROBABILITY, OPEN_STAGES, STAGES, at_or_after
from kamcoach.errors import InputError
from kamcoach.playbooks.model import Playbook, PlaybookSet
from kamcoach.review.config import FLAG_IDS, FlagConfig, load_flag_config, phrase_pattern

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True, slots=True)
class Flag:
    """One exception on a deal: which rule, how bad, and the evidence in one line."""

    id: str
    severity: str
    reason: str


@dataclass(frozen=True, slots=True)
class NextQuestion:
    """The question to ask next, from the playbook, for the most important failing criterion."""

    criterion: str
    text: str
    phase: str
    lang: str


@dataclass(slots=True)
class DealRow:
    id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: float
    currency: str
    close_date: date | None
    playbook: str
    score: float | None
    """Overall 0-100 score of the effective review; None when never analysed."""
    scores: dict[str, int | None]
    """Per criterion of the deal's playbook: 0-3, None when never analysed."""
    statuses: dict[str, str | None]
    flags: list[Flag] = field(default_factory=list)
    gate_passed: bool = False
    next_question: NextQuestion | None = None
    paused_until: date | None = None
    last_activity: date | None = None
    engaged_contacts: int = 0

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def analysed(self) -> bool:
        return self.score is not None

    def flag_ids(self) -> list[str]:
        return [f.id for f in self.flags]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["close_date"] = self.close_date.isoformat() if self.close_date else None
        data["paused_until"] = self.paused_until.isoformat() if self.paused_until else None
        data["last_activity"] = self.last_activity.isoformat() if self.last_activity else None
        return data


@dataclass(slots=True)
class Totals:
    """Money in a slice of the pipeline, and how much of it is in doubt."""

    key: str
    deals: int = 0
    flagged_deals: int = 0
    pipeline: float = 0.0
    weighted: float = 0.0
    qualified: float = 0.0
    """Amount of deals passing their stage gate."""
    flagged: float = 0.0
    """Amount of flagged deals."""

    @property
    def share_flagged(self) -> float:
        """Share of the pipeline amount carried by flagged deals (0-1)."""
        return self.flagged / self.pipeline if self.pipeline else 0.0

    @property
    def share_qualified(self) -> float:
        return self.qualified / self.pipeline if self.pipeline else 0.0

    def add(self, deal: DealRow, probability: float) -> None:
        self.deals += 1
        self.pipeline += deal.amount
        self.weighted += deal.amount * probability
        if deal.gate_passed:
            self.qualified += deal.amount
        if deal.flags:
            self.flagged_deals += 1
            self.flagged += deal.amount

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "deals": self.deals,
            "flagged_deals": self.flagged_deals,
            "pipeline": round(self.pipeline, 2),
            "weighted": round(self.weighted, 2),
            "qualified": round(self.qualified, 2),
            "flagged": round(self.flagged, 2),
            "share_flagged": round(self.share_flagged, 4),
            "share_qualified": round(self.share_qualified, 4),
        }


@dataclass(slots=True)
class PipelineReport:
    today: date
    deals: list[DealRow]
    """Exceptions first (flagged deals), then the rest; each by soonest close then lowest score."""
    by_owner: dict[str, Totals]
    by_stage: dict[str, Totals]
    total: Totals
    filters: dict[str, str | None]
    flag_counts: dict[str, int]
    currencies: tuple[str, ...] = ()

    @property
    def flagged(self) -> list[DealRow]:
        return [d for d in self.deals if d.flags]

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "filters": self.filters,
            "currencies": list(self.currencies),
            "total": self.total.to_dict(),
            "by_owner": [t.to_dict() for t in self.by_owner.values()],
            "by_stage": [t.to_dict() for t in self.by_stage.values()],
            "flag_counts": self.flag_counts,
            "deals": [d.to_dict() for d in self.deals],
        }


# ---------------------------------------------------------------- bulk loading


def scope_clause(
    owner: str | None, stage: str | None, alias: str = "o"
) -> tuple[str, list[Any], bool]:
    """WHERE clause on opportunities for the filters; the bool says "everything open"."""
    where: list[str] = []
    params: list[Any] = []
    if owner:
        where.append(f"lower({alias}.owner) = lower(?)")
        params.append(owner)
    if stage:
        where.append(f"{alias}.stage = ?")
        params.append(stage)
    else:
        where.append(f"{alias}.stage NOT IN ('closed_won', 'closed_lost')")
    return " AND ".join(where), params, not owner and not stage


def _in_scope(column: str, clause: str, params: list[Any]) -> tuple[str, list[Any]]:
    return f"{column} IN (SELECT o.id FROM opportunities o WHERE {clause})", list(params)


def load_effective_scores(
    db: Database, clause: str = "1", params: Iterable[Any] = ()
) -> dict[int, dict[str, tuple[int, str]]]:
    """Per deal, criterion -> (score, status) of the effective review, in one query.

    The effective review is the latest analyser review, with each criterion
    overridden by the latest score a rep or manager gave it: a human who read
    the account knows better than the note parser. Bulk twin of the per-deal
    ``deal_analysis.effective_scores``.
    """
    in_an, p1 = _in_scope("r.opportunity_id", clause, list(params))
    in_hu, p2 = _in_scope("r.opportunity_id", clause, list(params))
    sql = f"""
        WITH an AS (
            SELECT r.opportunity_id, r.id,
                   ROW_NUMBER() OVER (PARTITION BY r.opportunity_id
                                      ORDER BY r.created_at DESC, r.id DESC) AS rn
            FROM reviews r
            WHERE r.author_kind = 'analyser' AND {in_an}
        ),
        hu AS (
            SELECT r.opportunity_id, s.criterion, s.score, s.status,
                   ROW_NUMBER() OVER (PARTITION BY r.opportunity_id, s.criterion
                                      ORDER BY r.created_at DESC, r.id DESC) AS rn
            FROM reviews r JOIN review_scores s ON s.review_id = r.id
            WHERE r.author_kind IN ('rep', 'manager') AND {in_hu}
        )
        SELECT an.opportunity_id, s.criterion, s.score, s.status, 0 AS human
        FROM an JOIN review_scores s ON s.review_id = an.id WHERE an.rn = 1
        UNION ALL
        SELECT opportunity_id, criterion, score, status, 1 FROM hu WHERE rn = 1
        ORDER BY human
    """
    out: dict[int, dict[str, tuple[int, str]]] = {}
    for opp, criterion, score, status, _human in db.execute(sql, p1 + p2):
        entry = out.get(opp)
        if entry is None:
            entry = out[opp] = {}
        entry[criterion] = (score, status)
    return out


# ---------------------------------------------------------------- bulk facts


def _fact_scope(
    column: str, clause: str, params: list[Any], everything: bool
) -> tuple[str, list[Any]]:
    """Scope condition on ``column`` (a deal id) for the per-deal aggregates.

    Reviewing the whole open pipeline aggregates every deal's rows with no
    filter (a plain index scan; facts of closed deals are simply never
    looked up), which is cheaper than testing each row against the scope.
    """
    if everything:
        return "1", []
    return _in_scope(column, clause, params)


def _latest_analyser_scores(db: Database, clause: str, params: list[Any]) -> dict[int, str]:
    """Per deal, the scores of its latest analyser review packed in one string.

    One row per deal instead of one per criterion: the string is both the
    memo key of everything derived from the scores and cheap to parse once
    per distinct value. The latest review is an index seek per deal
    (``idx_reviews_kind_opp``), the scores a covering-index range.
    """
    sql = f"""
        WITH latest AS (
            SELECT o.id AS opp,
                   (SELECT r.id FROM reviews r
                    WHERE r.author_kind = 'analyser' AND r.opportunity_id = o.id
                    ORDER BY r.created_at DESC, r.id DESC LIMIT 1) AS rid
            FROM opportunities o WHERE {clause}
        )
        SELECT latest.opp, group_concat(s.criterion || char(31) || s.score || char(31) || s.status, char(30))
        FROM latest JOIN review_scores s ON s.review_id = latest.rid
        GROUP BY latest.opp
    """
    return dict(db.execute(sql, params).fetchall())


def _stored_scores(
    db: Database, clause: str, params: list[Any], everything: bool
) -> dict[int, str] | None:
    """Per deal, its effective scores packed in one string, read from ``deal_scores``.

    Migration m007 keeps that table equal to what :func:`_latest_analyser_scores`
    merged with :func:`_human_scores` would compute (human scores override the
    analyser's per criterion), so the review reads one narrow row per deal in
    primary-key order instead of aggregating every review. None when the
    table does not exist (an old file opened without migrating): the caller
    then aggregates.
    """
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'deal_scores'").fetchone():
        return None
    cond, p = _fact_scope("opportunity_id", clause, params, everything)
    return dict(db.execute(f"SELECT opportunity_id, scores FROM deal_scores WHERE {cond}", p))


def _human_scores(
    db: Database, scope_sql: str, params: list[Any]
) -> dict[int, tuple[tuple[str, int, str], ...]]:
    """Per deal, the latest score a rep or manager gave each criterion (few deals have any).

    ``scope_sql`` is a condition on ``r.opportunity_id``.
    """
    out: dict[int, list[tuple[str, int, str]]] = {}
    for opp, criterion, score, status in db.execute(
        f"""
        SELECT opportunity_id, criterion, score, status FROM (
            SELECT r.opportunity_id, s.criterion, s.score, s.status,
                   ROW_NUMBER() OVER (PARTITION BY r.opportunity_id, s.criterion
                                      ORDER BY r.created_at DESC, r.id DESC) AS rn
            FROM reviews r JOIN review_scores s ON s.review_id = r.id
            WHERE r.author_kind IN ('rep', 'manager') AND {scope_sql}
        ) WHERE rn = 1
        """,
        params,
    ):
        out.setdefault(opp, []).append((criterion, score, status))
    return {opp: tuple(sorted(items)) for opp, items in out.items()}


def _parse_packed(packed: str | None) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    if packed:
        for item in packed.split("\x1e"):
            criterion, score, status = item.split("\x1f")
            out[criterion] = (int(score), status)
    return out


def _fts_query(phrases: Iterable[str]) -> str:
    """An FTS5 query matching any of the phrases (each a quoted phrase, OR-ed)."""
    return " OR ".join('"' + p.replace('"', '""') + '"' for p in phrases if p.strip())


def _has_fts(db: Database) -> bool:
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE name = 'notes_fts'").fetchone())


def _scan_notes(
    db: Database,
    scope_sql: str,
    params: list[Any],
    config: FlagConfig,
    today: date,
) -> dict[str, dict[int, tuple[str, str]]]:
    """Find champion-lost and red-flag phrases in the notes of the deals in scope.

    The FTS5 index (migration m003: case and accents folded, word tokens)
    returns only the notes holding a phrase, so the cost follows the number
    of hits, not the number of notes; the phrase regex then quotes the exact
    words as evidence. Without the index (an old file opened read-only) the
    same regex streams over every note once. Returns, per flag id, the
    evidence (day, quote) of the latest matching note per deal.
    """
    fts = _has_fts(db)
    found: dict[str, dict[int, tuple[str, str]]] = {}
    for fid in ("champion_lost", "red_flag"):
        hits = found[fid] = {}
        if not config.enabled(fid):
            continue
        rule = config.rule(fid)
        phrases = [p for ps in rule.phrases.values() for p in ps]
        pattern = phrase_pattern(phrases)
        if pattern is None:
            continue
        extra, p = "", list(params)
        if rule.lookback_days:
            extra = " AND created_at >= ?"
            p.append((today - timedelta(days=rule.lookback_days)).isoformat())
        if fts:
            sql = (
                "SELECT opportunity_id, created_at, text FROM notes WHERE id IN "
                "(SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?) "
                f"AND {scope_sql}{extra} ORDER BY opportunity_id, created_at"
            )
            p = [_fts_query(phrases), *p]
        else:
            sql = (
                f"SELECT opportunity_id, created_at, text FROM notes WHERE {scope_sql}{extra} "
                "ORDER BY opportunity_id, created_at"
            )
        search = pattern.search
        for opp, created_at, text in db.execute(sql, p):
            match = search(text)
            if match is None:
                if not fts:
                    continue
                quote = text[:60] + ("…" if len(text) > 60 else "")
            else:
                quote = match.group(0)
            hits[opp] = (created_at[:10], quote)
    return found


# ---------------------------------------------------------------- rules


def _parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


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


# ---------------------------------------------------------------- entry point


def review_pipeline(
    db: Database,
    playbooks: PlaybookSet,
    *,
    owner: str | None = None,
    stage: str | None = None,
    flag: str | None = None,
    config: FlagConfig | None = None,
    today: date | None = None,
) -> PipelineReport:
    """Flag the open pipeline (optionally one owner / stage) and total it.

    ``flag`` keeps only deals carrying that flag in ``deals``; the totals
    always cover every deal matching ``owner`` and ``stage``, so the share
    flagged stays meaningful.

    Cost: a few bulk queries (each an index scan, one row per deal at most)
    and one pass over the deals in which everything that depends only on
    the playbook and stage (:class:`_StagePlan`) or on the scores
    (:class:`_ScoreOutcome`, next question) is looked up in a memo.
    """
    if stage is not None and stage not in STAGES:
        raise InputError(f"unknown stage {stage!r} (allowed: {', '.join(STAGES)})")
    if flag is not None and flag not in FLAG_IDS:
        raise InputError(f"unknown flag {flag!r} (allowed: {', '.join(FLAG_IDS)})")
    config = config or load_flag_config()
    today = today or clock_today()
    # The review allocates a few objects per deal (rows, dicts, tuples), none of
    # them in a reference cycle. Left on, the cyclic collector walks the growing
    # heap again and again (about a third of the time at 100k deals), for
    # nothing to collect; it is switched back on (if it was) on the way out.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _review(db, playbooks, owner, stage, flag, config, today)
    finally:
        if collecting:
            gc.enable()


def _review(
    db: Database,
    playbooks: PlaybookSet,
    owner: str | None,
    stage: str | None,
    flag: str | None,
    config: FlagConfig,
    today: date,
) -> PipelineReport:
    """Body of :func:`review_pipeline`, with arguments checked and defaults filled."""
    clause, params, everything = scope_clause(owner, stage)
    # Deals and account names read apart (a scan of opportunities, then one
    # small dict of names) instead of a join that looks an account up per deal.
    rows = db.execute(
        f"""
        SELECT o.id, o.name, o.account_id, o.owner, o.stage, o.amount, o.currency,
               o.close_date, o.playbook, o.created_at, o.stage_changed_at, o.pause_reason,
               o.paused_until
        FROM opportunities o WHERE {clause}
        """,
        params,
    ).fetchall()
    acc_scope = (
        "1" if everything else f"id IN (SELECT o.account_id FROM opportunities o WHERE {clause})"
    )
    account_name = dict(
        db.execute(f"SELECT id, name FROM accounts WHERE {acc_scope}", [] if everything else params)
    ).get

    # ---- bulk facts: one dict of tuples per query, keyed by deal id
    scope_sql, p = _fact_scope("opportunity_id", clause, params, everything)
    stored = _stored_scores(db, clause, params, everything)
    if stored is not None:
        packed, human = stored, {}
    else:
        packed = _latest_analyser_scores(db, clause, params)
        human = _human_scores(db, *_fact_scope("r.opportunity_id", clause, params, everything))
    # The question is for the customer: it is asked in the language most of the deal's notes
    # are in (ties go to English, as on the deal screen). A note's language is the one the
    # rep gave, else the one the analyser detected; the sum counts French +1, English -1.
    notes = {
        r[0]: r
        for r in db.execute(
            "SELECT n.opportunity_id, MAX(n.created_at), SUM(CASE COALESCE(n.lang, a.lang) "
            "WHEN 'fr' THEN 1 WHEN 'en' THEN -1 ELSE 0 END) "
            "FROM notes n LEFT JOIN note_analyses a ON a.note_id = n.id "
            f"WHERE {scope_sql} GROUP BY n.opportunity_id",
            p,
        )
    }
    history = {
        r[0]: r
        for r in db.execute(
            f"""
            SELECT opportunity_id, MAX(changed_at),
                   SUM(field = 'close_date' AND new_value > old_value),
                   MIN(CASE WHEN field = 'close_date' AND new_value > old_value
                            THEN old_value END),
                   MAX(CASE WHEN field = 'close_date' AND new_value > old_value
                            THEN new_value END)
            FROM opportunity_history WHERE {scope_sql} GROUP BY opportunity_id
            """,
            p,
        )
    }
    cuts: dict[int, tuple[str, str, str]] = {}
    for opp, changed_at, old, new in db.execute(
        f"""
        SELECT opportunity_id, changed_at, old_value, new_value FROM opportunity_history
        WHERE field = 'amount' AND CAST(new_value AS REAL) < CAST(old_value AS REAL)
          AND {scope_sql}
        ORDER BY changed_at
        """,
        p,
    ):
        cuts[opp] = (changed_at, old, new)  # the latest cut is the evidence
    oc_scope, oc_p = _fact_scope("oc.opportunity_id", clause, params, everything)
    contacts = {
        r[0]: r
        for r in db.execute(
            f"""
            SELECT oc.opportunity_id,
                   SUM(oc.engaged = 1 AND c.left_company = 0),
                   MAX(CASE WHEN c.left_company = 1
                             AND (oc.role = 'champion' OR c.buying_role = 'champion')
                            THEN c.name END)
            FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
            WHERE {oc_scope} GROUP BY oc.opportunity_id
            """,
            oc_p,
        )
    }
    phrases = _scan_notes(db, scope_sql, p, config, today)
    champion_notes, red_notes = phrases["champion_lost"], phrases["red_flag"]

    # ---- everything that does not depend on the deal, once
    rules = config.rules
    names = {cid: c.name.en for cid, c in playbooks.criteria.items()}
    fallback = playbooks.playbooks.get("meddic") or next(iter(playbooks.playbooks.values()))
    order = {fid: i for i, fid in enumerate(FLAG_IDS)}
    rank = {
        fid: (SEVERITY_RANK.get(rules[fid].severity, 9), order.get(fid, 99)) for fid in FLAG_IDS
    }
    interned: dict[tuple[str, str], Flag] = {}

    def flag_of(fid: str, reason: str) -> Flag:
        """Flags are frozen: equal ones (same rule, same reason) are shared."""
        key = (fid, reason)
        got = interned.get(key)
        if got is None:
            got = interned[key] = Flag(fid, rules[fid].severity, reason)
        return got

    def by_rank(f: Flag) -> tuple[int, int]:
        return rank[f.id]

    on = {fid: rules[fid].enabled for fid in FLAG_IDS}
    st_on, st_rule = on["single_threaded"], rules["single_threaded"]
    st_min, st_max = st_rule.min_amount, st_rule.max_engaged
    st_limit = _fmt_amount(st_min)
    stale_on, stuck_on, overdue_on = on["stale"], on["stuck"], on["overdue"]
    pushed_on, min_pushes = on["pushed"], rules["pushed"].min_pushes
    shrunk_on, champion_on, red_on = on["shrunk"], on["champion_lost"], on["red_flag"]
    plans: dict[tuple[str, str], _StagePlan] = {}
    parsed: dict[str | None, dict[str, tuple[int, str]]] = {}
    layouts: dict[tuple[Any, ...], _Scores] = {}
    gate_flags: dict[tuple[Any, ...], Flag] = {}
    outcomes: dict[tuple[Any, ...], _ScoreOutcome] = {}
    questions: dict[tuple[Any, ...], NextQuestion | None] = {}
    criterion_of: dict[tuple[Any, ...], str | None] = {}
    outcome_of = outcomes.get
    packed_of, human_of = packed.get, human.get
    note_of, history_of, contact_of = notes.get, history.get, contacts.get
    # Sorting a deal's flags is needed only when severity does not follow FLAG_IDS order.
    need_sort = sorted(FLAG_IDS, key=lambda fid: rank[fid]) != list(FLAG_IDS)
    # Flags whose text depends on a few values only: built once per distinct value.
    single_memo: dict[tuple[Any, ...], Flag] = {}
    overdue_memo: dict[str, Flag] = {}

    def outcome_for(
        playbook_id: str, deal_stage: str, an: str | None, hu: tuple[Any, ...] | None
    ) -> _ScoreOutcome:
        """Memo miss: lay out the scores (per playbook) and apply the stage's rules."""
        plan = plans.get((playbook_id, deal_stage))
        if plan is None:
            playbook = playbooks.playbooks.get(playbook_id, fallback)
            plan = plans[(playbook_id, deal_stage)] = _plan(playbook, deal_stage, config)
        lkey = (plan.playbook.id, an, hu)
        laid = layouts.get(lkey)
        if laid is None:
            raw: dict[str, tuple[int, str]] | None
            if an is None and hu is None:
                raw = None
            else:
                raw = parsed.get(an)
                if raw is None:
                    raw = parsed[an] = _parse_packed(an)
                if hu:
                    raw = {**raw, **{c: (s, st) for c, s, st in hu}}
            laid = layouts[lkey] = _layout_scores(plan.playbook, raw)
        got = outcomes[(playbook_id, deal_stage, an, hu)] = _score_outcome(
            plan, laid, config, names, flag_of, gate_flags
        )
        if len(got.flags) > 1:
            got.flags = tuple(sorted(got.flags, key=by_rank))
        return got

    # ISO string -> (date, ordinal, ISO day); timestamps repeat across deals.
    days_cache: dict[str, tuple[date, int, str]] = {}
    cached_day = days_cache.get

    def day(value: str) -> tuple[date, int, str]:
        got = cached_day(value)
        if got is None:
            d = date.fromisoformat(value[:10])
            got = days_cache[value] = (d, d.toordinal(), d.isoformat())
        return got

    today_ord = today.toordinal()

    # Totals as plain lists [deals, flagged deals, pipeline, weighted, qualified,
    # flagged amount], updated in deal order (so float sums match Totals.add).
    total_acc: list[Any] = [0, 0, 0.0, 0.0, 0.0, 0.0]
    by_owner_acc: dict[str, list[Any]] = {}
    by_stage_acc: dict[str, list[Any]] = {}
    keyed: list[tuple[int, str, float, int, DealRow]] = []
    flag_counts = dict.fromkeys(FLAG_IDS, 0)
    currencies: set[str] = set()
    for (
        did,
        name,
        account,
        deal_owner,
        deal_stage,
        amount,
        currency,
        close_s,
        playbook_id,
        created_s,
        changed_s,
        pause_reason,
        paused_s,
    ) in rows:
        account = account_name(account)
        if account is None:  # no such account: the join this replaces dropped the deal
            continue
        an, hu = packed_of(did), human_of(did)
        outcome = outcome_of((playbook_id, deal_stage, an, hu))
        if outcome is None:
            outcome = outcome_for(playbook_id, deal_stage, an, hu)
        plan = outcome.plan
        note = note_of(did)
        last_note = note[1] if note else None
        hist = history_of(did)
        contact = contact_of(did)
        engaged = int(contact[1] or 0) if contact else 0
        paused_until = day(paused_s)[0] if pause_reason and paused_s else None
        # Newest of note, recorded change and creation (ISO strings compare as dates).
        last_activity = created_s
        if last_note and last_note > last_activity:
            last_activity = last_note
        if hist:
            last_change = hist[1]
            if last_change and last_change > last_activity:
                last_activity = last_change

        if close_s:
            close_date, close_ord, close_key = day(close_s)
        else:
            close_date, close_ord, close_key = None, 0, "9999-12-31"
        activity = day(last_activity)

        flags = list(outcome.flags)
        n_outcome_flags = len(flags) or 1
        if plan.open:
            if st_on and amount >= st_min and engaged <= st_max:
                skey = (engaged, amount, currency)
                got = single_memo.get(skey)
                if got is None:
                    got = single_memo[skey] = flag_of(
                        "single_threaded",
                        f"{engaged} engaged contact{'s' if engaged != 1 else ''} on "
                        f"{_fmt_amount(amount)} {currency} (threshold {st_limit})",
                    )
                flags.append(got)
            paused = paused_until is not None and paused_until >= today
            if stale_on and not paused:
                last = changed_s if changed_s and changed_s > last_activity else last_activity
                days = today_ord - (activity if last is last_activity else day(last))[1]
                limit = plan.stale_limit
                if limit is not None and days >= limit:
                    source = (
                        f"last note {last_note[:10]}"
                        if last_note and last_note[:10] == last[:10]
                        else ("no notes" if not last_note else f"last activity {last[:10]}")
                    )
                    flags.append(
                        flag_of(
                            "stale",
                            f"no activity for {days} days ({source}; limit {limit} in {deal_stage})",
                        )
                    )
            if stuck_on and not paused and changed_s:
                days = today_ord - day(changed_s)[1]
                limit = plan.stuck_limit
                if limit is not None and days > limit:
                    flags.append(
                        flag_of(
                            "stuck",
                            f"in {deal_stage} for {days} days since {changed_s[:10]} "
                            f"(limit {limit})",
                        )
                    )
            if overdue_on and close_s and close_ord < today_ord:
                got = overdue_memo.get(close_key)
                if got is None:
                    got = overdue_memo[close_key] = flag_of(
                        "overdue",
                        f"close date {close_key} passed {today_ord - close_ord} days ago",
                    )
                flags.append(got)
            if hist and pushed_on:
                pushes = int(hist[2] or 0)
                if pushes >= min_pushes:
                    flags.append(
                        flag_of(
                            "pushed",
                            f"close date pushed {pushes} times ({hist[3]} -> {hist[4]})",
                        )
                    )
            elif pushed_on and min_pushes <= 0:
                flags.append(flag_of("pushed", "close date pushed 0 times (None -> None)"))
            if shrunk_on and did in cuts:
                when, old, new = cuts[did]
                flags.append(
                    flag_of(
                        "shrunk",
                        f"amount cut from {_fmt_amount(old)} to {_fmt_amount(new)} on {when[:10]}",
                    )
                )
            if champion_on:
                if contact and contact[2]:
                    flags.append(
                        flag_of("champion_lost", f"champion {contact[2]} has left the company")
                    )
                elif did in champion_notes:
                    when, phrase = champion_notes[did]
                    flags.append(flag_of("champion_lost", f'note of {when}: "{phrase}"'))
            if red_on and did in red_notes:
                when, phrase = red_notes[did]
                flags.append(flag_of("red_flag", f'note of {when}: "{phrase}"'))
            # Outcome flags come sorted; only deals with more flags need a sort.
            if need_sort and len(flags) > n_outcome_flags:
                flags.sort(key=by_rank)
        lang = None if note is None else ("fr" if (note[2] or 0) > 0 else "en")
        asked = outcome.questions
        if lang in asked:
            question = asked[lang]
        else:
            # The criterion depends on the scores, the text only on (criterion, language).
            cid = criterion_of.get(outcome.qbase, "")
            if cid == "":
                cid = criterion_of[outcome.qbase] = _next_criterion(
                    plan.playbook, outcome.laid.scores_dict, outcome.below
                )
            qkey = (cid, lang)
            if qkey in questions:
                question = questions[qkey]
            else:
                question = questions[qkey] = (
                    None if cid is None else _question_for(playbooks, cid, lang or "en")
                )
            asked[lang] = question
        laid = outcome.laid
        amount_f = float(amount or 0)
        passed = outcome.passed
        deal = DealRow(
            did,
            name,
            account,
            deal_owner,
            deal_stage,
            amount_f,
            currency,
            close_date,
            plan.playbook.id,
            laid.overall,
            laid.scores_dict.copy(),
            laid.statuses_dict.copy(),
            flags,
            passed,
            question,
            paused_until,
            activity[0],
            engaged,
        )

        # Totals: plain lists updated in place, turned into Totals at the end.
        weighted = amount_f * plan.probability
        owner_acc = by_owner_acc.get(deal_owner)
        if owner_acc is None:
            owner_acc = by_owner_acc[deal_owner] = [0, 0, 0.0, 0.0, 0.0, 0.0]
        stage_acc = by_stage_acc.get(deal_stage)
        if stage_acc is None:
            stage_acc = by_stage_acc[deal_stage] = [0, 0, 0.0, 0.0, 0.0, 0.0]
        for acc in (total_acc, owner_acc, stage_acc):
            acc[0] += 1
            acc[2] += amount_f
            acc[3] += weighted
            if passed:
                acc[4] += amount_f
            if flags:
                acc[1] += 1
                acc[5] += amount_f
        currencies.add(currency)
        if flags:
            for fl in flags:
                flag_counts[fl.id] += 1
            if flag is None or any(fl.id == flag for fl in flags):
                keyed.append((0, close_key, outcome.sort_score, did, deal))
        elif flag is None:
            keyed.append((1, close_key, outcome.sort_score, did, deal))
    keyed.sort(key=_first_four)

    def totals_for(key: str, acc: list[Any] | None) -> Totals:
        return Totals(key, *acc) if acc else Totals(key)

    by_stage = {s: totals_for(s, by_stage_acc.get(s)) for s in ((stage,) if stage else OPEN_STAGES)}
    for key, acc in by_stage_acc.items():
        if key not in by_stage:
            by_stage[key] = totals_for(key, acc)
    return PipelineReport(
        today=today,
        deals=[k[4] for k in keyed],
        by_owner={o: totals_for(o, by_owner_acc[o]) for o in sorted(by_owner_acc)},
        by_stage=by_stage,
        total=totals_for("all", total_acc),
        filters={"owner": owner, "stage": stage, "flag": flag},
        flag_counts=flag_counts,
        currencies=tuple(sorted(currencies)),
    )


def _first_four(item: tuple[int, str, float, int, DealRow]) -> tuple[int, str, float, int]:
    return item[0], item[1], item[2], item[3]
