"""The weekly pipeline review: deterministic flags, evidence and totals.

A manager does not want the CRM read aloud; they want the exceptions, the
evidence behind each, and how much of the pipeline is real. The review reads
every deal in scope with its stored facts in one join (``deal_scores`` and
``deal_facts``, kept current on write by migrations m007 and m008), looks
for red-flag phrases through the notes' full-text index, then makes one
lean pass that computes each deal's flag ids, the totals and the order
(:mod:`~kamcoach.review.pipeline_totals`). Rows with each flag's evidence and
the next question are built only for the deals that are read
(:class:`~kamcoach.review.pipeline_model.DealRows`): the terminal table and
the reports show 100 by default, the TUI pages. So a 100k-deal pipeline is
reviewed in about four times a bare ``SELECT`` of its deals, and the cost grows
linearly (``benchmarks/pipeline_review.py``).

The code is split by job: :mod:`pipeline_model` (what is returned),
:mod:`pipeline_queries` (SQL), :mod:`pipeline_flags` (per-stage plans and
score outcomes), :mod:`pipeline_rules` (one review's rules, the row builder),
:mod:`pipeline_totals` (the summary loop). Nothing here imports click, rich
or textual: the CLI, the reports and the TUI all call :func:`review_pipeline`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import today as clock_today
from kamcoach.domain.currency import ExchangeRates, Rate
from kamcoach.domain.stages import FORECAST_CATEGORIES, OPEN_STAGES, STAGES
from kamcoach.errors import InputError
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.records.currency import group_left_out
from kamcoach.records.next_steps import latest_rows_by_deal
from kamcoach.review.config import FLAG_IDS, FlagConfig, load_flag_config
from kamcoach.review.pipeline_flags import pick_next_question
from kamcoach.review.pipeline_model import (
    SEVERITY_RANK,
    DealRow,
    DealRows,
    Flag,
    NextQuestion,
    PipelineReport,
    Totals,
)
from kamcoach.review.pipeline_queries import (
    _scan_notes,
    account_names,
    latest_forecasts,
    load_deals,
    load_effective_scores,
    scope_clause,
)
from kamcoach.review.pipeline_rules import Rules
from kamcoach.review.pipeline_totals import summarise

__all__ = [
    "SEVERITY_RANK",
    "DealRow",
    "DealRows",
    "Flag",
    "NextQuestion",
    "PipelineReport",
    "Totals",
    "load_effective_scores",
    "pick_next_question",
    "review_pipeline",
    "review_pipeline_reference",
    "scope_clause",
]


def _check(stage: str | None, flag: str | None, forecast: str | None = None) -> None:
    if forecast is not None and forecast not in FORECAST_CATEGORIES:
        raise InputError(
            f"unknown forecast category {forecast!r} (allowed: {', '.join(FORECAST_CATEGORIES)})"
        )
    if stage is not None and stage not in STAGES:
        raise InputError(f"unknown stage {stage!r} (allowed: {', '.join(STAGES)})")
    if flag is not None and flag not in FLAG_IDS:
        raise InputError(f"unknown flag {flag!r} (allowed: {', '.join(FLAG_IDS)})")


def _with_forecast(
    build: Callable[[tuple[Any, ...]], DealRow], forecasts: dict[int, str]
) -> Callable[[tuple[Any, ...]], DealRow]:
    """The row builder, plus the deal's manager forecast (looked up, not a fact column)."""
    if not forecasts:
        return build

    def build_row(facts: tuple[Any, ...]) -> DealRow:
        row = build(facts)
        row.forecast = forecasts.get(row.id)
        return row

    return build_row


def _with_money(
    build: Callable[[tuple[Any, ...]], DealRow], rates: ExchangeRates, on: date
) -> Callable[[tuple[Any, ...]], DealRow]:
    """The row builder, plus the deal's amount in the team's base currency (None: no rate)."""
    found: dict[str, Rate | None] = {}

    def build_row(facts: tuple[Any, ...]) -> DealRow:
        row = build(facts)
        currency = row.currency
        if currency not in found:
            found[currency] = rates.rate(currency, on)
        rate = found[currency]
        row.base_currency = rates.base
        row.amount_base = None if rate is None else row.amount * rate.value
        return row

    return build_row


def team_rates(playbooks: PlaybookSet) -> ExchangeRates:
    """The team's base currency and rates (``team.toml``), checked against the playbooks."""
    from kamcoach.team import load_team_settings

    return load_team_settings(tuple(playbooks.playbooks)).rates


def _rules(
    db: Database,
    playbooks: PlaybookSet,
    owner: str | None,
    stage: str | None,
    config: FlagConfig,
    today: date,
    forecast: str | None = None,
) -> tuple[Rules, list[tuple[object, ...]], dict[int, str]]:
    """The deals in scope with their facts, the rules primed for this review, the forecasts.

    ``forecast`` narrows the scope to the deals whose latest manager forecast
    is that category: the totals then are that forecast's (the commit number).
    """
    clause, params, everything = scope_clause(owner, stage)
    deals = load_deals(db, clause, params, everything)
    forecasts = latest_forecasts(db)
    if forecast is not None:
        deals = [d for d in deals if forecasts.get(d[0]) == forecast]
    accounts = account_names(db, clause, params, everything)
    scope_sql, p = (
        ("1", [])
        if everything
        else (f"opportunity_id IN (SELECT o.id FROM opportunities o WHERE {clause})", list(params))
    )
    phrases = _scan_notes(db, scope_sql, p, config, today)
    rules = Rules(playbooks, config, today, accounts, phrases["champion_lost"], phrases["red_flag"])
    # Each deal's current next step: one query whose cost follows the steps stored.
    rules.next_steps = latest_rows_by_deal(db, "d." + scope_sql if not everything else "1", p)
    return rules, deals, forecasts


def review_pipeline(
    db: Database,
    playbooks: PlaybookSet,
    *,
    owner: str | None = None,
    stage: str | None = None,
    flag: str | None = None,
    config: FlagConfig | None = None,
    today: date | None = None,
    forecast: str | None = None,
    rates: ExchangeRates | None = None,
) -> PipelineReport:
    """Flag the open pipeline (optionally one owner / stage / forecast) and total it.

    ``owner``, ``stage`` and ``forecast`` (the latest manager forecast category)
    narrow the scope. ``flag`` keeps only deals carrying that flag in ``deals``,
    and the totals are those deals' ("1 deal" listed never comes with totals
    for 10); ``scope_total`` keeps every deal in scope for the share of the
    pipeline the flag concerns. ``deals`` builds each row when it is read.
    Totals are in the team's base currency (``rates``, from ``team.toml`` when
    omitted); deals with no rate on ``today`` are counted, named in
    ``left_out`` and kept out of every amount.
    """
    _check(stage, flag, forecast)
    config = config or load_flag_config()
    today = today or clock_today()
    rates = rates or team_rates(playbooks)
    # The review allocates a few objects per deal, none of them in a reference
    # cycle. Left on, the cyclic collector walks the growing heap again and
    # again for nothing to collect; it is switched back on (if it was) on the way out.
    collecting = gc.isenabled()
    gc.disable()
    try:
        rules, deals, forecasts = _rules(db, playbooks, owner, stage, config, today, forecast)
        summary = summarise(deals, rules, stage, flag, rates)
    finally:
        if collecting:
            gc.enable()
    build = _with_money(_with_forecast(rules.build_row, forecasts), rates, today)
    return PipelineReport(
        today=today,
        deals=DealRows(summary.entries, build, accounts=rules.accounts),
        by_owner=summary.by_owner,
        by_stage=summary.by_stage,
        total=summary.total,
        filters={"owner": owner, "stage": stage, "flag": flag}
        | ({"forecast": forecast} if forecast else {}),
        flag_counts=summary.flag_counts,
        currencies=summary.currencies,
        scope_total=summary.scope_total if flag else None,
        base_currency=rates.base,
        rates={c: r for c, r in summary.rates.items() if r is not None and c != rates.base},
        left_out=summary.left_out,
    )


def review_pipeline_reference(
    db: Database,
    playbooks: PlaybookSet,
    *,
    owner: str | None = None,
    stage: str | None = None,
    flag: str | None = None,
    config: FlagConfig | None = None,
    today: date | None = None,
    recompute_facts: bool = True,
    forecast: str | None = None,
    rates: ExchangeRates | None = None,
) -> PipelineReport:
    """The same review computed the straightforward way, for tests and checks.

    Every row is built in full (:meth:`Rules.build_row`), totalled with
    :meth:`Totals.add` and sorted by its flags; with ``recompute_facts`` the
    per-deal facts come from aggregates over notes, history, contacts and
    reviews instead of the stored ``deal_facts`` / ``deal_scores``. Slower
    (every row, every reason), never used by the commands.
    """
    from kamcoach.review.pipeline_queries import (
        F_SCORES,
        _fact_scope,
        _human_scores,
        _latest_analyser_scores,
        aggregate_facts,
    )

    _check(stage, flag, forecast)
    config = config or load_flag_config()
    today = today or clock_today()
    rates = rates or team_rates(playbooks)
    rules, deals, forecasts = _rules(db, playbooks, owner, stage, config, today, forecast)
    build = _with_money(_with_forecast(rules.build_row, forecasts), rates, today)
    if recompute_facts:
        clause, params, everything = scope_clause(owner, stage)
        facts = aggregate_facts(db, clause, params, everything)
        packed = _latest_analyser_scores(db, clause, params)
        human = _human_scores(db, *_fact_scope("r.opportunity_id", clause, params, everything))
        deals = [
            (
                *d[:F_SCORES],
                packed.get(d[0]),  # type: ignore[call-overload]
                human.get(d[0]),  # type: ignore[call-overload]
                *facts.get(d[0], (None,) * 11),  # type: ignore[call-overload]
            )
            for d in deals
        ]
    total = Totals("all")
    scope_total = Totals("all")
    by_owner: dict[str, Totals] = {}
    by_stage: dict[str, Totals] = {s: Totals(s) for s in ((stage,) if stage else OPEN_STAGES)}
    flag_counts = dict.fromkeys(FLAG_IDS, 0)
    currencies: set[str] = set()
    left_out: list[tuple[int, str]] = []
    keyed: list[tuple[int, str, float, int, DealRow]] = []
    for facts_row in deals:
        if facts_row[2] not in rules.accounts:
            continue
        row = build(facts_row)
        probability = rules.plan(str(facts_row[8]), row.stage).probability
        scope_total.add(row, probability)
        for fl in row.flags:
            flag_counts[fl.id] += 1
        if flag is not None and flag not in row.flag_ids():
            continue
        for t in (
            total,
            by_owner.setdefault(row.owner, Totals(row.owner)),
            by_stage.setdefault(row.stage, Totals(row.stage)),
        ):
            t.add(row, probability)
        currencies.add(row.currency)
        if row.amount_base is None:
            left_out.append((row.id, row.currency.strip().upper()))
        close_key = row.close_date.isoformat() if row.close_date else "9999-12-31"
        score = row.score if row.score is not None else -1.0
        keyed.append((0 if row.flags else 1, close_key, score, row.id, row))
    keyed.sort(key=lambda k: k[:4])
    return PipelineReport(
        today=today,
        deals=[k[4] for k in keyed],
        by_owner={o: by_owner[o] for o in sorted(by_owner)},
        by_stage=by_stage,
        total=total,
        filters={"owner": owner, "stage": stage, "flag": flag}
        | ({"forecast": forecast} if forecast else {}),
        flag_counts=flag_counts,
        currencies=tuple(sorted(currencies)),
        scope_total=scope_total if flag else None,
        base_currency=rates.base,
        rates={
            c: r
            for c, r in rates.rates_on(currencies, today).items()
            if r is not None and c != rates.base
        },
        left_out=group_left_out(left_out),
    )
