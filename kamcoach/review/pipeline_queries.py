"""The pipeline review's SQL: scope, effective scores, per-deal facts, red-flag phrases.

Every function takes the ``Database`` and returns plain dicts or tuples; the
rules live in :mod:`kamcoach.review.pipeline_flags`. The fast path reads
each deal's facts from ``deal_facts`` (migration m008) and its effective
scores from ``deal_scores`` (m007) in one join; a file opened without those
tables gets the same tuples from aggregates over notes, history, contacts
and reviews.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from kamcoach.review.config import FlagConfig, phrase_pattern

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


def _not_agreed(db: Database) -> str:
    """Condition leaving out a manager's agreements (m014 ``verdict``: history, not a score).

    An older file (no ``verdict`` column) has no agreements to leave out.
    """
    columns = {row[1] for row in db.execute("PRAGMA table_info(review_scores)")}
    return " AND s.verdict IS NOT 'agreed'" if "verdict" in columns else ""


def load_effective_scores(
    db: Database, clause: str = "1", params: Iterable[Any] = ()
) -> dict[int, dict[str, tuple[int, str]]]:
    """Per deal, criterion -> (score, status) of the effective review, in one query.

    The effective review is the latest analyser review, with each criterion
    overridden by the latest score a rep gave it (a human who read the account
    knows better than the note parser) and that by the latest correction a
    manager made (m014: a later rep score never replaces it; a manager's
    agreement does not pin the score). Bulk twin of the per-deal
    ``deal_analysis.effective_scores`` and of the ``deal_scores`` triggers.
    """
    in_an, p1 = _in_scope("r.opportunity_id", clause, list(params))
    in_hu, p2 = _in_scope("r.opportunity_id", clause, list(params))
    in_hu += _not_agreed(db)
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
                                      ORDER BY r.author_kind = 'manager' DESC,
                                               r.created_at DESC, r.id DESC) AS rn
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


def _human_scores(
    db: Database, scope_sql: str, params: list[Any]
) -> dict[int, tuple[tuple[str, int, str], ...]]:
    """Per deal, the human score in force on each criterion (few deals have any).

    The latest manager correction, else the latest rep score (``review.in_force``).
    ``scope_sql`` is a condition on ``r.opportunity_id``.
    """
    scope_sql += _not_agreed(db)
    out: dict[int, list[tuple[str, int, str]]] = {}
    for opp, criterion, score, status in db.execute(
        f"""
        SELECT opportunity_id, criterion, score, status FROM (
            SELECT r.opportunity_id, s.criterion, s.score, s.status,
                   ROW_NUMBER() OVER (PARTITION BY r.opportunity_id, s.criterion
                                      ORDER BY r.author_kind = 'rep',
                                               r.created_at DESC, r.id DESC) AS rn
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
    """Find red-flag phrases in the notes of the deals in scope, and open champion departures.

    The FTS5 index (migration m003: case and accents folded, word tokens)
    returns only the notes holding a phrase, so the cost follows the number
    of hits, not the number of notes; the phrase regex then quotes the exact
    words as evidence. Without the index (an old file opened read-only) the
    same regex streams over every note once. Returns, per flag id, the
    evidence (day, quote) of the latest matching note per deal.
    """
    fts = _has_fts(db)
    found: dict[str, dict[int, tuple[str, str]]] = {
        "champion_lost": champion_departures(db, scope_sql, params, config, today)
    }
    for fid in ("red_flag",):
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


def champion_departures(
    db: Database, scope_sql: str, params: list[Any], config: FlagConfig, today: date
) -> dict[int, tuple[str, str]]:
    """Per deal in scope, the latest OPEN departure proposal about its champion.

    The people extractor reads "Paul left the company" when the note is
    analysed; until the rep accepts it (then ``contacts.left_company`` and
    ``deal_facts.lost_champion`` say so) or dismisses it, the flag quotes it as
    not confirmed. A departure is about the deal's champion when its contact's
    effective role on the deal is champion, or when the note said "our
    champion left" and no champion is known. One query on the open departures
    (few rows: ``idx`` on the proposals' status), joined on indexed keys.
    Returns ``deal -> (day, evidence)``.
    """
    if not config.enabled("champion_lost") or not _has_table(db, "proposals"):
        return {}
    rule = config.rule("champion_lost")
    since, p = "", list(params)
    if rule.lookback_days:
        since = " AND n.created_at >= ?"
    cutoff = [(today - timedelta(days=rule.lookback_days)).isoformat()] if since else []
    sql = f"""
        SELECT opportunity_id, created_at, quote, who FROM (
            SELECT oc.opportunity_id, n.created_at, p.quote, c.name AS who
            FROM proposals p
            JOIN contacts c ON c.id = p.contact_id
            JOIN opportunity_contacts oc ON oc.contact_id = p.contact_id
            JOIN notes n ON n.id = p.note_id
            WHERE p.status = 'open' AND p.kind = 'departure' AND c.left_company = 0
              AND COALESCE(oc.role, c.buying_role) = 'champion'{since}
            UNION ALL
            SELECT p.opportunity_id, n.created_at, p.quote, NULL
            FROM proposals p JOIN notes n ON n.id = p.note_id
            WHERE p.status = 'open' AND p.kind = 'departure' AND p.contact_id IS NULL
              AND p.value = 'champion'{since}
        ) WHERE {scope_sql}
        ORDER BY opportunity_id, created_at
    """
    out: dict[int, tuple[str, str]] = {}
    for opp, created_at, quote, who in db.execute(sql, [*cutoff, *cutoff, *p]):
        text = quote if len(quote) <= 160 else quote[:159] + "…"
        lead = f"{who} may have left, not confirmed yet" if who else "not confirmed yet"
        out[opp] = (created_at[:10], f'{lead}: "{text}"')
    return out


# ---------------------------------------------------------------- deals with their facts

#: Positions in a deal's facts tuple (what :func:`load_deals` returns per deal).
F_ID, F_NAME, F_ACCOUNT, F_OWNER, F_STAGE, F_AMOUNT, F_CURRENCY, F_CLOSE = range(8)
F_PLAYBOOK, F_CREATED, F_CHANGED, F_PAUSE_REASON, F_PAUSED_UNTIL = range(8, 13)
F_SCORES, F_HUMAN, F_LAST_NOTE, F_NOTE_LANG, F_LAST_CHANGE, F_PUSHES = range(13, 19)
F_PUSH_FROM, F_PUSH_TO, F_CUT_AT, F_CUT_OLD, F_CUT_NEW, F_ENGAGED, F_LOST = range(19, 26)

_DEAL_COLUMNS = (
    "o.id, o.name, o.account_id, o.owner, o.stage, o.amount, o.currency, o.close_date,"
    " o.playbook, o.created_at, o.stage_changed_at, o.pause_reason, o.paused_until"
)
_FACT_COLUMNS = (
    "f.last_note_at, f.note_lang, f.last_change_at, f.pushes, f.push_from, f.push_to,"
    " f.cut_at, f.cut_old, f.cut_new, f.engaged, f.lost_champion"
)


def _has_table(db: Database, name: str) -> bool:
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone())


def load_deals(
    db: Database, clause: str, params: list[Any], everything: bool
) -> list[tuple[Any, ...]]:
    """Every deal in scope with its facts, one tuple per deal (positions ``F_*``).

    With ``deal_scores`` (m007) and ``deal_facts`` (m008) this is one scan of
    the deals joined on primary keys. Without them (an old file opened
    without migrating, or a test that drops them) the same tuples are
    assembled from the aggregates the tables stand for, so both paths give
    the same review.
    """
    scores, facts = _has_table(db, "deal_scores"), _has_table(db, "deal_facts")
    sql = (
        f"SELECT {_DEAL_COLUMNS}, {'s.scores' if scores else 'NULL'}, NULL, "
        f"{_FACT_COLUMNS if facts else ', '.join(['NULL'] * 11)} FROM opportunities o"
        + (" LEFT JOIN deal_scores s ON s.opportunity_id = o.id" if scores else "")
        + (" LEFT JOIN deal_facts f ON f.opportunity_id = o.id" if facts else "")
        + f" WHERE {clause}"
    )
    rows: list[tuple[Any, ...]] = db.execute(sql, params).fetchall()
    if scores and facts:
        return rows
    if not scores:
        packed = _latest_analyser_scores(db, clause, params)
        human = _human_scores(db, *_fact_scope("r.opportunity_id", clause, params, everything))
        rows = [
            (*r[:F_SCORES], packed.get(r[F_ID]), human.get(r[F_ID]), *r[F_SCORES + 2 :])
            for r in rows
        ]
    if not facts:
        aggregated = aggregate_facts(db, clause, params, everything)
        empty = (None,) * 11
        rows = [(*r[:F_LAST_NOTE], *aggregated.get(r[F_ID], empty)) for r in rows]
    return rows


def aggregate_facts(
    db: Database, clause: str, params: list[Any], everything: bool
) -> dict[int, tuple[Any, ...]]:
    """Per deal, the ``deal_facts`` columns computed from notes, history and contacts.

    What migration m008 stores and keeps current; also the straightforward
    recomputation the tests compare the stored facts with.
    """
    scope_sql, p = _fact_scope("opportunity_id", clause, params, everything)
    out: dict[int, list[Any]] = {}

    def facts(opp: int) -> list[Any]:
        got = out.get(opp)
        if got is None:
            got = out[opp] = [None] * 11
        return got

    for opp, last, lang in db.execute(
        "SELECT n.opportunity_id, MAX(n.created_at), SUM(CASE COALESCE(n.lang, a.lang) "
        "WHEN 'fr' THEN 1 WHEN 'en' THEN -1 ELSE 0 END) "
        "FROM notes n LEFT JOIN note_analyses a ON a.note_id = n.id "
        f"WHERE {scope_sql} GROUP BY n.opportunity_id",
        p,
    ):
        facts(opp)[0:2] = [last, lang]
    for opp, last, pushes, first, final in db.execute(
        f"""
        SELECT opportunity_id, MAX(changed_at),
               SUM(field = 'close_date' AND new_value > old_value),
               MIN(CASE WHEN field = 'close_date' AND new_value > old_value THEN old_value END),
               MAX(CASE WHEN field = 'close_date' AND new_value > old_value THEN new_value END)
        FROM opportunity_history WHERE {scope_sql} GROUP BY opportunity_id
        """,
        p,
    ):
        facts(opp)[2:6] = [last, pushes, first, final]
    for opp, changed_at, old, new in db.execute(
        f"""
        SELECT opportunity_id, changed_at, old_value, new_value FROM opportunity_history
        WHERE field = 'amount' AND CAST(new_value AS REAL) < CAST(old_value AS REAL)
          AND {scope_sql}
        ORDER BY changed_at, id
        """,
        p,
    ):
        facts(opp)[6:9] = [changed_at, old, new]  # the latest cut is the evidence
    oc_scope, oc_p = _fact_scope("oc.opportunity_id", clause, params, everything)
    for opp, engaged, lost in db.execute(
        f"""
        SELECT oc.opportunity_id,
               SUM(oc.engaged = 1 AND c.left_company = 0),
               MAX(CASE WHEN c.left_company = 1
                         AND COALESCE(oc.role, c.buying_role) = 'champion'
                        THEN c.name END)
        FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
        WHERE {oc_scope} GROUP BY oc.opportunity_id
        """,
        oc_p,
    ):
        facts(opp)[9:11] = [engaged, lost]
    return {opp: tuple(v) for opp, v in out.items()}


def latest_forecasts(db: Database) -> dict[int, str]:
    """Per deal, the forecast category of its latest manager review that gave one.

    One query on m014's partial index ``idx_reviews_forecast`` (only the
    reviews that carry a forecast, in deal and date order), so its cost
    follows the number of forecasts given, not the number of deals or
    reviews; the review then looks each deal up in this dict instead of
    joining reviews per deal. Rows come oldest first per deal, so the dict
    keeps the latest. A file without m014 has none.
    """
    columns = {row[1] for row in db.execute("PRAGMA table_info(reviews)")}
    if "forecast" not in columns:
        return {}
    return dict(
        db.execute(
            "SELECT opportunity_id, forecast FROM reviews INDEXED BY idx_reviews_forecast "
            "WHERE forecast IS NOT NULL AND author_kind = 'manager' "
            "ORDER BY opportunity_id, created_at, id"
        ).fetchall()
    )


def account_names(db: Database, clause: str, params: list[Any], everything: bool) -> dict[int, str]:
    """Names of the accounts of the deals in scope (a deal whose account is gone is dropped)."""
    scope = (
        "1" if everything else f"id IN (SELECT o.account_id FROM opportunities o WHERE {clause})"
    )
    return dict(
        db.execute(f"SELECT id, name FROM accounts WHERE {scope}", [] if everything else params)
    )
