"""One review's rules: thresholds, memos, and the two ways to apply them to a deal.

:class:`Rules` holds what one review has worked out (stage plans, score
outcomes, day cut-offs) and turns a deal's facts either into flag bits only
(:meth:`Rules.brief` for the score rules; the summary loop in
:mod:`kamcoach.review.pipeline_totals` adds the others), what totals and
ordering need for every deal, or into the full row with each flag's evidence
(:meth:`Rules.build_row`), only for the rows that are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kamcoach.domain.scoring import overall_score
from kamcoach.playbooks.model import Playbook, PlaybookSet
from kamcoach.records.next_steps import step_from_row
from kamcoach.review.config import FLAG_IDS, FlagConfig
from kamcoach.review.pipeline_flags import (
    _fmt_amount,
    _layout_scores,
    _next_criterion,
    _plan,
    _question_for,
    _score_outcome,
    _ScoreOutcome,
    _Scores,
    _StagePlan,
)
from kamcoach.review.pipeline_model import SEVERITY_RANK, DealRow, Flag, NextQuestion
from kamcoach.review.pipeline_queries import _parse_packed

#: Bit of each flag id in a deal's flag mask (FLAG_IDS order).
FLAG_BIT = {fid: 1 << i for i, fid in enumerate(FLAG_IDS)}


@dataclass(frozen=True, slots=True)
class _Cutoffs:
    """A plan's day limits turned into ISO strings to compare with, for one review date.

    ``stale``: the deal is stale when its latest activity sorts before this
    day (days since >= limit); ``stuck``: in its stage since before this day
    (days since > limit). ISO dates and timestamps compare as text in date
    order, so the per-deal test is a string comparison, no date parsing.
    """

    stale: str | None
    stuck: str | None


#: A score outcome reduced to what the summary loop reads (shared by equal deals):
#: (stage is open, flag bits, gate passed, overall score or -1, that score as a sort key
#: part, win probability, cut-offs). A plain tuple: the loop unpacks it, and a pipeline
#: has many distinct score sets.
Brief = tuple[bool, int, bool, float, int, float, _Cutoffs]


class Rules:
    """The flag rules of one review: thresholds, memos, and the two ways to apply them.

    :meth:`outcome` gives what depends on the scores (memoised per playbook,
    stage and score set); :meth:`build_row` gives a deal's full row with each
    flag's evidence. The summary loop in :mod:`kamcoach.review.pipeline_totals`
    applies the same date, amount, history, contact and phrase rules as
    :meth:`build_row` but to flag bits only; a test checks they agree on
    every deal.
    """

    def __init__(
        self,
        playbooks: PlaybookSet,
        config: FlagConfig,
        today: date,
        accounts: dict[int, str],
        champion_notes: dict[int, tuple[str, str]],
        red_notes: dict[int, tuple[str, str]],
    ) -> None:
        self.playbooks, self.config, self.today = playbooks, config, today
        self.accounts = accounts
        self.next_steps: dict[int, tuple[Any, ...]] = {}
        """Deal id -> the row of its current next step (a NextStep is built with the row)."""
        self.champion_notes, self.red_notes = champion_notes, red_notes
        rules = self.rules = config.rules
        self.names = {cid: c.name.en for cid, c in playbooks.criteria.items()}
        self.fallback = playbooks.playbooks.get("meddic") or next(
            iter(playbooks.playbooks.values())
        )
        order = {fid: i for i, fid in enumerate(FLAG_IDS)}
        self.rank = {
            fid: (SEVERITY_RANK.get(rules[fid].severity, 9), order.get(fid, 99)) for fid in FLAG_IDS
        }
        self.interned: dict[tuple[str, str], Flag] = {}
        self.on = {fid: rules[fid].enabled for fid in FLAG_IDS}
        st = rules["single_threaded"]
        self.st_min, self.st_max, self.st_limit = (
            st.min_amount,
            st.max_engaged,
            _fmt_amount(st.min_amount),
        )
        self.min_pushes = rules["pushed"].min_pushes
        # Sorting a deal's flags is needed only when severity does not follow FLAG_IDS order.
        self.need_sort = sorted(FLAG_IDS, key=lambda fid: self.rank[fid]) != list(FLAG_IDS)
        self.plans: dict[tuple[str, str], _StagePlan] = {}
        self.cutoffs: dict[tuple[str, str], _Cutoffs] = {}
        self.parsed: dict[str | None, dict[str, tuple[int, str]]] = {}
        self.layouts: dict[tuple[Any, ...], _Scores] = {}
        self.gate_flags: dict[tuple[Any, ...], Flag] = {}
        self.outcomes: dict[tuple[Any, ...], _ScoreOutcome] = {}
        self.briefs: dict[tuple[Any, ...], Brief] = {}
        self.raws: dict[
            tuple[Any, ...], tuple[dict[str, tuple[int, str]] | None, float | None]
        ] = {}
        self.questions: dict[tuple[Any, ...], NextQuestion | None] = {}
        self.criterion_of: dict[tuple[Any, ...], str | None] = {}
        self.days: dict[str, tuple[date, int, str]] = {}
        self.today_iso = today.isoformat()
        self.today_ord = today.toordinal()

    # ------------------------------------------------------------ memoised pieces

    def flag_of(self, fid: str, reason: str) -> Flag:
        """Flags are frozen: equal ones (same rule, same reason) are shared."""
        key = (fid, reason)
        got = self.interned.get(key)
        if got is None:
            got = self.interned[key] = Flag(fid, self.rules[fid].severity, reason)
        return got

    def by_rank(self, f: Flag) -> tuple[int, int]:
        return self.rank[f.id]

    def plan(self, playbook_id: str, stage: str) -> _StagePlan:
        plan = self.plans.get((playbook_id, stage))
        if plan is None:
            playbook = self.playbooks.playbooks.get(playbook_id, self.fallback)
            plan = self.plans[(playbook_id, stage)] = _plan(playbook, stage, self.config)
        return plan

    def cutoff(self, plan: _StagePlan) -> _Cutoffs:
        key = (plan.playbook.id, plan.stage)
        got = self.cutoffs.get(key)
        if got is None:
            ordinal = self.today_ord
            stale = (
                None
                if plan.stale_limit is None
                else date.fromordinal(ordinal - plan.stale_limit + 1).isoformat()
            )
            stuck = (
                None
                if plan.stuck_limit is None
                else date.fromordinal(ordinal - plan.stuck_limit).isoformat()
            )
            got = self.cutoffs[key] = _Cutoffs(stale, stuck)
        return got

    def layout(self, plan: _StagePlan, an: str | None, hu: tuple[Any, ...] | None) -> _Scores:
        """A deal's effective scores laid out on its playbook (memoised per score set)."""
        lkey = (plan.playbook.id, an, hu)
        laid = self.layouts.get(lkey)
        if laid is None:
            raw: dict[str, tuple[int, str]] | None
            if an is None and hu is None:
                raw = None
            else:
                raw = self.parsed.get(an)
                if raw is None:
                    raw = self.parsed[an] = _parse_packed(an)
                if hu:
                    raw = {**raw, **{c: (s, st) for c, s, st in hu}}
            laid = self.layouts[lkey] = _layout_scores(plan.playbook, raw)
        return laid

    def outcome(
        self, playbook_id: str, deal_stage: str, an: str | None, hu: tuple[Any, ...] | None
    ) -> _ScoreOutcome:
        """Everything that depends on the deal's scores at its stage, reasons included (memoised)."""
        key = (playbook_id, deal_stage, an, hu)
        got = self.outcomes.get(key)
        if got is not None:
            return got
        plan = self.plan(playbook_id, deal_stage)
        got = self.outcomes[key] = _score_outcome(
            plan, self.layout(plan, an, hu), self.config, self.names, self.flag_of, self.gate_flags
        )
        if len(got.flags) > 1:
            got.flags = tuple(sorted(got.flags, key=self.by_rank))
        return got

    def brief(
        self, playbook_id: str, deal_stage: str, an: str | None, hu: tuple[Any, ...] | None
    ) -> Brief:
        """What the summary needs from the scores: flag bits, gate, sort score (memoised).

        The same rules as :func:`_score_outcome` without composing any reason
        text: a pipeline has many distinct score sets, and only the rows on
        show need the words.
        """
        key = (playbook_id, deal_stage, an, hu)
        got = self.briefs.get(key)
        if got is not None:
            return got
        plan = self.plan(playbook_id, deal_stage)
        raw, overall = self.raw_scores(plan.playbook, an, hu)
        below = False
        for cid, minimum in plan.gate:
            value = raw.get(cid) if raw else None
            if (int(value[0] or 0) if value is not None else 0) < minimum:
                below = True
                break
        bits = 0
        if plan.open:
            if below and self.on["stage_ahead"]:
                bits |= FLAG_BIT["stage_ahead"]
            for fid, _label, cid, min_score in plan.score_rules:
                if raw is None:
                    bits |= FLAG_BIT[fid]
                    continue
                got_score, status = raw.get(cid, (0, "missing"))
                if status == "gap" or got_score < min_score:
                    bits |= FLAG_BIT[fid]
        sort_score = overall if overall is not None else -1.0
        got = self.briefs[key] = (
            plan.open,
            bits,
            not below,
            sort_score,
            # The score's 11 bits of the sort key (0..1010 for scores -1..100; clamped so a
            # playbook with odd weights cannot spill into the close date's bits).
            min(max(round(sort_score * 10) + 10, 0), 2047),
            plan.probability,
            self.cutoff(plan),
        )
        return got

    def raw_scores(
        self, playbook: Playbook, an: str | None, hu: tuple[Any, ...] | None
    ) -> tuple[dict[str, tuple[int, str]] | None, float | None]:
        """Effective scores (criterion -> (score, status)) and overall score, memoised.

        The same values :func:`_layout_scores` gives, without the per-row dicts.
        """
        key = (playbook.id, an, hu)
        got = self.raws.get(key)
        if got is None:
            if an is None and hu is None:
                got = (None, None)
            else:
                raw = self.parsed.get(an)
                if raw is None:
                    raw = self.parsed[an] = _parse_packed(an)
                if hu:
                    raw = {**raw, **{c: (s, st) for c, s, st in hu}}
                crit = playbook.criteria_ids
                got = (raw, overall_score(playbook, {c: raw[c][0] for c in crit if c in raw}))
            self.raws[key] = got
        return got

    def day(self, value: str) -> tuple[date, int, str]:
        """ISO string -> (date, ordinal, ISO day); timestamps repeat across deals."""
        got = self.days.get(value)
        if got is None:
            d = date.fromisoformat(value[:10])
            got = self.days[value] = (d, d.toordinal(), d.isoformat())
        return got

    def question(self, outcome: _ScoreOutcome, lang: str | None) -> NextQuestion | None:
        asked = outcome.questions
        if lang in asked:
            return asked[lang]
        plan = outcome.plan
        # The criterion depends on the scores, the text only on (criterion, language).
        cid = self.criterion_of.get(outcome.qbase, "")
        if cid == "":
            cid = self.criterion_of[outcome.qbase] = _next_criterion(
                plan.playbook, outcome.laid.scores_dict, outcome.below
            )
        qkey = (cid, lang)
        if qkey in self.questions:
            question = self.questions[qkey]
        else:
            question = self.questions[qkey] = (
                None if cid is None else _question_for(self.playbooks, cid, lang or "en")
            )
        asked[lang] = question
        return question

    # ------------------------------------------------------------ one deal in full

    def build_row(self, facts: tuple[Any, ...]) -> DealRow:
        """A deal's row: every flag with its evidence, the next question, the heat strip."""
        (
            did,
            name,
            account_id,
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
            an,
            hu,
            last_note,
            note_lang,
            last_change,
            pushes,
            push_from,
            push_to,
            cut_at,
            cut_old,
            cut_new,
            engaged_n,
            lost_champion,
        ) = facts
        on, today_ord, day, flag_of = self.on, self.today_ord, self.day, self.flag_of
        outcome = self.outcome(playbook_id, deal_stage, an, hu)
        plan = outcome.plan
        engaged = int(engaged_n or 0)
        paused_until = day(paused_s)[0] if pause_reason and paused_s else None
        # Newest of note, recorded change and creation (ISO strings compare as dates).
        last_activity = created_s
        if last_note and last_note > last_activity:
            last_activity = last_note
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
            if on["single_threaded"] and amount >= self.st_min and engaged <= self.st_max:
                flags.append(
                    flag_of(
                        "single_threaded",
                        f"{engaged} engaged contact{'s' if engaged != 1 else ''} on "
                        f"{_fmt_amount(amount)} {currency} (threshold {self.st_limit})",
                    )
                )
            paused = paused_until is not None and paused_until >= self.today
            if on["stale"] and not paused:
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
            if on["stuck"] and not paused and changed_s:
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
            if on["overdue"] and close_s and close_ord < today_ord:
                flags.append(
                    flag_of(
                        "overdue", f"close date {close_key} passed {today_ord - close_ord} days ago"
                    )
                )
            if last_change is not None and on["pushed"]:
                n_pushes = int(pushes or 0)
                if n_pushes >= self.min_pushes:
                    flags.append(
                        flag_of(
                            "pushed",
                            f"close date pushed {n_pushes} times ({push_from} -> {push_to})",
                        )
                    )
            elif on["pushed"] and self.min_pushes <= 0:
                flags.append(flag_of("pushed", "close date pushed 0 times (None -> None)"))
            if on["shrunk"] and cut_at is not None:
                flags.append(
                    flag_of(
                        "shrunk",
                        f"amount cut from {_fmt_amount(cut_old)} to {_fmt_amount(cut_new)}"
                        f" on {cut_at[:10]}",
                    )
                )
            if on["champion_lost"]:
                if lost_champion:
                    flags.append(
                        flag_of("champion_lost", f"champion {lost_champion} has left the company")
                    )
                elif did in self.champion_notes:
                    when, said = self.champion_notes[did]
                    flags.append(flag_of("champion_lost", f"note of {when}: {said}"))
            if on["red_flag"] and did in self.red_notes:
                when, phrase = self.red_notes[did]
                flags.append(flag_of("red_flag", f'note of {when}: "{phrase}"'))
            # Outcome flags come sorted; only deals with more flags need a sort.
            if self.need_sort and len(flags) > n_outcome_flags:
                flags.sort(key=self.by_rank)
        lang = None if last_note is None else ("fr" if (note_lang or 0) > 0 else "en")
        laid = outcome.laid
        return DealRow(
            did,
            name,
            self.accounts[account_id],
            deal_owner,
            deal_stage,
            float(amount or 0),
            currency,
            close_date,
            plan.playbook.id,
            laid.overall,
            laid.scores_dict.copy(),
            laid.statuses_dict.copy(),
            flags,
            outcome.passed,
            self.question(outcome, lang),
            paused_until,
            activity[0],
            engaged,
            step_from_row(self.next_steps.get(did)),
        )
