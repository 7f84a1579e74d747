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

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import today as clock_today
from kamcoach.domain.scoring import gate_verdict, overall_score
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


@dataclass(slots=True)
class _Facts:
    """Everything the rules need about one deal, gathered by the bulk queries."""

    last_note_at: str | None = None
    note_lang: str | None = None
    last_change_at: str | None = None
    pushes: int = 0
    first_pushed_from: str | None = None
    last_pushed_to: str | None = None
    cut: tuple[str, str, str] | None = None
    engaged: int = 0
    champion_left: str | None = None
    champion_phrase: tuple[str, str] | None = None
    red_phrase: tuple[str, str] | None = None


def _gather(
    db: Database,
    clause: str,
    params: list[Any],
    config: FlagConfig,
    today: date,
) -> dict[int, _Facts]:
    facts: dict[int, _Facts] = {}

    def get(opp: int) -> _Facts:
        f = facts.get(opp)
        if f is None:
            f = facts[opp] = _Facts()
        return f

    scope_sql, p = _in_scope("opportunity_id", clause, params)
    # Latest note per deal, and its language (SQLite bare column of MAX()).
    for opp, last, lang in db.execute(
        f"SELECT opportunity_id, MAX(created_at), lang FROM notes WHERE {scope_sql} "
        "GROUP BY opportunity_id",
        p,
    ):
        f = get(opp)
        f.last_note_at, f.note_lang = last, lang
    # Last recorded change, close-date pushes.
    for opp, last, pushes, first_from, last_to in db.execute(
        f"""
        SELECT opportunity_id, MAX(changed_at),
               SUM(field = 'close_date' AND new_value > old_value),
               MIN(CASE WHEN field = 'close_date' AND new_value > old_value THEN old_value END),
               MAX(CASE WHEN field = 'close_date' AND new_value > old_value THEN new_value END)
        FROM opportunity_history WHERE {scope_sql} GROUP BY opportunity_id
        """,
        p,
    ):
        f = get(opp)
        f.last_change_at, f.pushes = last, int(pushes or 0)
        f.first_pushed_from, f.last_pushed_to = first_from, last_to
    # Amount cuts: keep the latest one as evidence.
    for opp, changed_at, old, new in db.execute(
        f"""
        SELECT opportunity_id, changed_at, old_value, new_value FROM opportunity_history
        WHERE field = 'amount' AND CAST(new_value AS REAL) < CAST(old_value AS REAL)
          AND {scope_sql}
        ORDER BY changed_at
        """,
        p,
    ):
        get(opp).cut = (changed_at, old, new)
    # Engaged contacts and champions who left.
    for opp, engaged, champion_left in db.execute(
        f"""
        SELECT oc.opportunity_id,
               SUM(oc.engaged = 1 AND c.left_company = 0),
               MAX(CASE WHEN c.left_company = 1
                         AND (oc.role = 'champion' OR c.buying_role = 'champion')
                        THEN c.name END)
        FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
        WHERE oc.{scope_sql} GROUP BY oc.opportunity_id
        """,
        p,
    ):
        f = get(opp)
        f.engaged, f.champion_left = int(engaged or 0), champion_left
    _scan_notes(db, scope_sql, p, config, today, get)
    return facts


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
    get: Any,
) -> None:
    """Find champion-lost and red-flag phrases in the notes of the deals in scope.

    The FTS5 index (migration m003: case and accents folded, word tokens)
    returns only the notes holding a phrase, so the cost follows the number
    of hits, not the number of notes; the phrase regex then quotes the exact
    words as evidence. Without the index (an old file opened read-only) the
    same regex streams over every note once.
    """
    fts = _has_fts(db)
    for fid in ("champion_lost", "red_flag"):
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
        for opp, created_at, text in db.execute(sql, p):
            match = pattern.search(text)
            if match is None:
                if not fts:
                    continue
                quote = text[:60] + ("…" if len(text) > 60 else "")
            else:
                quote = match.group(0)
            evidence = (created_at[:10], quote)
            if fid == "red_flag":
                get(opp).red_phrase = evidence
            else:
                get(opp).champion_phrase = evidence


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


def evaluate_flags(
    deal: dict[str, Any],
    playbook: Playbook,
    scores: dict[str, tuple[int, str]] | None,
    facts: _Facts,
    config: FlagConfig,
    today: date,
    names: dict[str, str],
) -> tuple[list[Flag], bool, dict[str, tuple[int, int]]]:
    """Apply every enabled rule to one deal; returns (flags, gate passed, criteria below gate).

    Pure function of the gathered facts, so each rule is testable without SQL.
    ``names`` maps criterion ids to the display names used in reasons.
    """
    stage = deal["stage"]
    plain = {c: s for c, (s, _st) in (scores or {}).items()}
    verdict = gate_verdict(playbook, stage, plain)
    if stage not in OPEN_STAGES:
        return [], verdict.passed, verdict.below
    flags: list[Flag] = []
    analysed = scores is not None
    rules = config.rules

    def add(fid: str, reason: str) -> None:
        flags.append(Flag(fid, rules[fid].severity, reason))

    def on(fid: str) -> bool:
        return rules[fid].enabled

    if on("stage_ahead") and verdict.below:
        parts = ", ".join(
            f"{names.get(c, c)} {s}/{m}" for c, (s, m) in sorted(verdict.below.items())
        )
        prefix = "not analysed; " if not analysed else ""
        add("stage_ahead", f"{prefix}below the {stage} gate: {parts}")

    for fid, label in (
        ("no_power", "no economic buyer"),
        ("no_champion", "no champion"),
        ("no_metrics", "pain not quantified"),
    ):
        rule = rules[fid]
        if not rule.enabled or not at_or_after(stage, rule.from_stage):
            continue
        cid = _criterion_for(playbook, rule.criteria)
        if cid is None:
            continue
        if not analysed:
            add(fid, f"{label}: not analysed ({names.get(cid, cid)} unknown)")
            continue
        score, status = (scores or {}).get(cid, (0, "missing"))
        if status == "gap" or score < rule.min_score:
            what = "gap stated" if status == "gap" else f"{score}/{rule.min_score} ({status})"
            add(fid, f"{label} at {stage}: {names.get(cid, cid)} {what}")

    if on("single_threaded"):
        rule = rules["single_threaded"]
        if deal["amount"] >= rule.min_amount and facts.engaged <= rule.max_engaged:
            add(
                "single_threaded",
                f"{facts.engaged} engaged contact{'s' if facts.engaged != 1 else ''} on "
                f"{_fmt_amount(deal['amount'])} {deal['currency']} "
                f"(threshold {_fmt_amount(rule.min_amount)})",
            )

    paused_until = _parse_day(deal["paused_until"])
    paused = bool(deal["pause_reason"]) and paused_until is not None and paused_until >= today
    if on("stale") and not paused:
        last = max(
            v
            for v in (
                facts.last_note_at,
                facts.last_change_at,
                deal["stage_changed_at"],
                deal["created_at"],
            )
            if v
        )
        days = (today - date.fromisoformat(last[:10])).days
        limit = rules["stale"].days_for(stage)
        if limit is not None and days >= limit:
            source = (
                f"last note {facts.last_note_at[:10]}"
                if facts.last_note_at and facts.last_note_at[:10] == last[:10]
                else ("no notes" if not facts.last_note_at else f"last activity {last[:10]}")
            )
            add("stale", f"no activity for {days} days ({source}; limit {limit} in {stage})")
    if on("stuck") and not paused and deal["stage_changed_at"]:
        days = (today - date.fromisoformat(deal["stage_changed_at"][:10])).days
        limit = rules["stuck"].days_for(stage)
        if limit is not None and days > limit:
            add(
                "stuck",
                f"in {stage} for {days} days since {deal['stage_changed_at'][:10]} (limit {limit})",
            )
    close = _parse_day(deal["close_date"])
    if on("overdue") and close is not None and close < today:
        add("overdue", f"close date {close.isoformat()} passed {(today - close).days} days ago")
    if on("pushed") and facts.pushes >= rules["pushed"].min_pushes:
        add(
            "pushed",
            f"close date pushed {facts.pushes} times "
            f"({facts.first_pushed_from} -> {facts.last_pushed_to})",
        )
    if on("shrunk") and facts.cut is not None:
        when, old, new = facts.cut
        add("shrunk", f"amount cut from {_fmt_amount(old)} to {_fmt_amount(new)} on {when[:10]}")
    if on("champion_lost"):
        if facts.champion_left:
            add("champion_lost", f"champion {facts.champion_left} has left the company")
        elif facts.champion_phrase:
            day, phrase = facts.champion_phrase
            add("champion_lost", f'note of {day}: "{phrase}"')
    if on("red_flag") and facts.red_phrase:
        day, phrase = facts.red_phrase
        add("red_flag", f'note of {day}: "{phrase}"')
    order = {fid: i for i, fid in enumerate(FLAG_IDS)}
    flags.sort(key=lambda f: (SEVERITY_RANK.get(f.severity, 9), order.get(f.id, 99)))
    return flags, verdict.passed, verdict.below


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


def _sort_key(deal: DealRow) -> tuple[int, str, float, int]:
    close = deal.close_date.isoformat() if deal.close_date else "9999-12-31"
    score = deal.score if deal.score is not None else -1.0
    return (0 if deal.flags else 1, close, score, deal.id)


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
    """
    if stage is not None and stage not in STAGES:
        raise InputError(f"unknown stage {stage!r} (allowed: {', '.join(STAGES)})")
    if flag is not None and flag not in FLAG_IDS:
        raise InputError(f"unknown flag {flag!r} (allowed: {', '.join(FLAG_IDS)})")
    config = config or load_flag_config()
    today = today or clock_today()
    clause, params, _everything = scope_clause(owner, stage)
    cursor = db.execute(
        f"""
        SELECT o.id, o.name, a.name, o.owner, o.stage, o.amount, o.currency, o.close_date,
               o.playbook, o.created_at, o.stage_changed_at, o.pause_reason, o.paused_until
        FROM opportunities o JOIN accounts a ON a.id = o.account_id
        WHERE {clause}
        """,
        params,
    )
    cols = [
        "id",
        "name",
        "account",
        "owner",
        "stage",
        "amount",
        "currency",
        "close_date",
        "playbook",
        "created_at",
        "stage_changed_at",
        "pause_reason",
        "paused_until",
    ]
    rows = [dict(zip(cols, r, strict=True)) for r in cursor]
    scores_by_deal = load_effective_scores(db, clause, params)
    facts = _gather(db, clause, params, config, today)
    names = {cid: c.name.en for cid, c in playbooks.criteria.items()}
    fallback = playbooks.playbooks.get("meddic") or next(iter(playbooks.playbooks.values()))

    deals: list[DealRow] = []
    by_owner: dict[str, Totals] = {}
    by_stage: dict[str, Totals] = {s: Totals(s) for s in (stage,) if s} or {
        s: Totals(s) for s in OPEN_STAGES
    }
    total = Totals("all")
    flag_counts = dict.fromkeys(FLAG_IDS, 0)
    empty = _Facts()
    currencies: set[str] = set()
    questions: dict[tuple[Any, ...], NextQuestion | None] = {}
    for row in rows:
        playbook = playbooks.playbooks.get(row["playbook"], fallback)
        raw = scores_by_deal.get(row["id"])
        f = facts.get(row["id"], empty)
        flags, passed, below = evaluate_flags(row, playbook, raw, f, config, today, names)
        crit = playbook.criteria_ids
        if raw is None:
            per: dict[str, int | None] = dict.fromkeys(crit)
            statuses: dict[str, str | None] = dict.fromkeys(crit)
            overall: float | None = None
        else:
            per = {c: raw[c][0] if c in raw else 0 for c in crit}
            statuses = {c: raw[c][1] if c in raw else "missing" for c in crit}
            overall = overall_score(playbook, {c: v or 0 for c, v in per.items()})
        deal = DealRow(
            id=row["id"],
            name=row["name"],
            account=row["account"],
            owner=row["owner"],
            stage=row["stage"],
            amount=float(row["amount"] or 0),
            currency=row["currency"],
            close_date=_parse_day(row["close_date"]),
            playbook=playbook.id,
            score=overall,
            scores=per,
            statuses=statuses,
            flags=flags,
            gate_passed=passed,
            paused_until=_parse_day(row["paused_until"]) if row["pause_reason"] else None,
            last_activity=_parse_day(
                max(v for v in (f.last_note_at, f.last_change_at, row["created_at"]) if v)
            ),
            engaged_contacts=f.engaged,
        )
        # Few distinct (playbook, gaps, language) combinations: ask the playbook once each.
        memo_key = (playbook.id, tuple(per.values()), tuple(below.items()), f.note_lang)
        if memo_key not in questions:
            questions[memo_key] = pick_next_question(
                playbooks, playbook, per, below, f.note_lang or "en"
            )
        deal.next_question = questions[memo_key]
        stage_obj = playbook.stage(deal.stage)
        probability = (
            stage_obj.probability if stage_obj else DEFAULT_PROBABILITY.get(deal.stage, 0.0)
        )
        total.add(deal, probability)
        by_owner.setdefault(deal.owner, Totals(deal.owner)).add(deal, probability)
        by_stage.setdefault(deal.stage, Totals(deal.stage)).add(deal, probability)
        currencies.add(deal.currency)
        for fl in flags:
            flag_counts[fl.id] += 1
        if flag is None or flag in deal.flag_ids():
            deals.append(deal)
    deals.sort(key=_sort_key)
    return PipelineReport(
        today=today,
        deals=deals,
        by_owner=dict(sorted(by_owner.items())),
        by_stage=by_stage,
        total=total,
        filters={"owner": owner, "stage": stage, "flag": flag},
        flag_counts=flag_counts,
        currencies=tuple(sorted(currencies)),
    )
