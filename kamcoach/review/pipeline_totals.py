"""The pipeline review's summary: every deal's flag mask, the totals, the default order.

This is the only per-deal loop that runs over the whole scope, so it builds
no row and no reason text: it applies the rules to flag bits (the score
rules come memoised from :meth:`Rules.brief`; dates are compared as ISO text
against per-stage cut-offs) and adds each deal to the totals of its (owner,
stage, currency) group. The groups are converted to the team's base currency
at the end, one rate per currency (:mod:`~kamcoach.records.currency`): a group
with no rate adds its deals to the counts but not its amounts, and its deals
are named in ``left_out``. The rows themselves are built later, only for the
deals that are read (:class:`~kamcoach.review.pipeline_model.DealRows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kamcoach.domain.currency import ExchangeRates, Rate
from kamcoach.domain.stages import OPEN_STAGES
from kamcoach.records.currency import LeftOut, group_left_out
from kamcoach.review.config import FLAG_IDS
from kamcoach.review.pipeline_model import Entry, Totals
from kamcoach.review.pipeline_rules import FLAG_BIT, Rules

#: Added to a deal id in the sort key so that negative ids (SQLite allows them) sort first.
_ID_OFFSET = 1 << 63
_NO_CLOSE = date(9999, 12, 31).toordinal()
#: Sort key bit of a deal with no flag (they come after the exceptions).
_UNFLAGGED = 1 << 33


@dataclass(slots=True)
class Summary:
    entries: list[Entry]
    """The deals listed (all, or those carrying the wanted flag), in the default order."""
    by_owner: dict[str, Totals]
    by_stage: dict[str, Totals]
    total: Totals
    """The deals listed: with a flag filter, only those carrying the flag."""
    flag_counts: dict[str, int]
    currencies: tuple[str, ...]
    scope_total: Totals
    """Every deal matching the owner and stage filters, whatever its flags."""
    rates: dict[str, Rate | None]
    """Each listed currency's rate into the base on the review's day (None: no rate)."""
    left_out: tuple[LeftOut, ...] = ()
    """Listed deals whose currency has no rate: in the counts, not in the amounts."""


def summarise(
    deals: list[tuple[Any, ...]],
    rules: Rules,
    stage: str | None,
    flag: str | None,
    rates: ExchangeRates | None = None,
) -> Summary:
    """Flag masks, totals and order of every deal in scope (facts tuples from ``load_deals``).

    The order is exceptions first, then soonest close date (undated last),
    lowest overall score (not analysed first), lowest id: packed into one
    integer per deal (``(flagged, close ordinal, score x 10, id)`` as bit
    fields), since comparing ints is several times faster than comparing
    tuples of text and floats. The entries are left unsorted:
    :class:`DealRows` orders them when (and as far as) they are read.
    """
    on = rules.on
    st_on, st_min, st_max = on["single_threaded"], rules.st_min, rules.st_max
    stale_on, stuck_on, overdue_on = on["stale"], on["stuck"], on["overdue"]
    pushed_on, min_pushes = on["pushed"], rules.min_pushes
    shrunk_on, champion_on, red_on = on["shrunk"], on["champion_lost"], on["red_flag"]
    b_st, b_stale, b_stuck = FLAG_BIT["single_threaded"], FLAG_BIT["stale"], FLAG_BIT["stuck"]
    b_overdue, b_pushed, b_shrunk = FLAG_BIT["overdue"], FLAG_BIT["pushed"], FLAG_BIT["shrunk"]
    b_champion, b_red = FLAG_BIT["champion_lost"], FLAG_BIT["red_flag"]
    champion_notes, red_notes = rules.champion_notes, rules.red_notes
    accounts = rules.accounts
    today_iso = rules.today_iso
    want = FLAG_BIT[flag] if flag else 0
    brief_of, brief_for = rules.briefs.get, rules.brief

    # Totals per (owner, stage, currency) group as plain lists [deals, flagged deals,
    # pipeline, weighted, qualified, flagged amount]; owners, stages and the total are
    # summed from the groups at the end (one accumulator per deal, not three).
    groups: dict[tuple[str, str, str], list[Any]] = {}
    # With a flag filter, the listed deals' own groups: the totals shown are theirs.
    listed: dict[tuple[str, str, str], list[Any]] = {} if want else groups
    masks: dict[int, int] = {}
    ordinal_of: dict[str | None, int] = {}  # close date -> ordinal << 11
    entries: list[Entry] = []
    append = entries.append
    for facts in deals:
        (
            did,
            _name,
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
            _lang,
            last_change,
            pushes,
            _from,
            _to,
            cut_at,
            _old,
            _new,
            engaged,
            lost_champion,
        ) = facts
        if account_id not in accounts:  # no such account: the join this replaces dropped it
            continue
        brief = brief_of((playbook_id, deal_stage, an, hu))
        if brief is None:
            brief = brief_for(playbook_id, deal_stage, an, hu)
        is_open, bits, passed, score, score_key, probability, cut = brief
        if is_open:
            if st_on and amount >= st_min and (engaged or 0) <= st_max:
                bits |= b_st
            if not (pause_reason and paused_s and paused_s >= today_iso):
                if stale_on and cut.stale is not None:
                    last = created_s
                    if last_note and last_note > last:
                        last = last_note
                    if last_change and last_change > last:
                        last = last_change
                    if changed_s and changed_s > last:
                        last = changed_s
                    if last < cut.stale:
                        bits |= b_stale
                if stuck_on and changed_s and cut.stuck is not None and changed_s < cut.stuck:
                    bits |= b_stuck
            if overdue_on and close_s and close_s < today_iso:
                bits |= b_overdue
            if pushed_on and (
                (last_change is not None and int(pushes or 0) >= min_pushes)
                or (last_change is None and min_pushes <= 0)
            ):
                bits |= b_pushed
            if shrunk_on and cut_at is not None:
                bits |= b_shrunk
            if champion_on and (lost_champion or did in champion_notes):
                bits |= b_champion
            if red_on and did in red_notes:
                bits |= b_red

        amount_f = float(amount or 0)
        gkey = (deal_owner, deal_stage, currency)
        acc = groups.get(gkey)
        if acc is None:
            acc = groups[gkey] = [0, 0, 0.0, 0.0, 0.0, 0.0]
        acc[0] += 1
        acc[2] += amount_f
        acc[3] += amount_f * probability
        if passed:
            acc[4] += amount_f
        if bits:
            acc[1] += 1
            acc[5] += amount_f
            masks[bits] = masks.get(bits, 0) + 1
            if want and not bits & want:
                continue
        elif want:
            continue
        if want:
            own = listed.get(gkey)
            if own is None:
                own = listed[gkey] = [0, 0, 0.0, 0.0, 0.0, 0.0]
            own[0] += 1
            own[1] += 1
            own[2] += amount_f
            own[3] += amount_f * probability
            own[4] += amount_f if passed else 0.0
            own[5] += amount_f
        close_part = ordinal_of.get(close_s)
        if close_part is None:
            close_part = ordinal_of[close_s] = (
                date.fromisoformat(close_s[:10]).toordinal() if close_s else _NO_CLOSE
            ) << 11
        if bits:
            key = (close_part | score_key) << 64 | (did + _ID_OFFSET)
            append((key, 0, score, did, facts))
        else:
            key = (_UNFLAGGED | close_part | score_key) << 64 | (did + _ID_OFFSET)
            append((key, 1, score, did, facts))

    flag_counts = dict.fromkeys(FLAG_IDS, 0)
    for mask, n in masks.items():
        for fid, bit in FLAG_BIT.items():
            if mask & bit:
                flag_counts[fid] += n

    rates = rates or ExchangeRates()
    rate_of = rates.rates_on((c for _o, _s, c in groups), rules.today)
    factor = {c: (r.value if r is not None else None) for c, r in rate_of.items()}
    scope_total = Totals("all")
    for (_o, _s, currency), acc in groups.items():
        _add(scope_total, acc, factor[currency])
    total = Totals("all")
    by_owner: dict[str, Totals] = {}
    by_stage = {s: Totals(s) for s in ((stage,) if stage else OPEN_STAGES)}
    for (owner, deal_stage, currency), acc in listed.items():
        f = factor[currency]
        _add(total, acc, f)
        _add(by_owner.get(owner) or by_owner.setdefault(owner, Totals(owner)), acc, f)
        _add(
            by_stage.get(deal_stage) or by_stage.setdefault(deal_stage, Totals(deal_stage)), acc, f
        )
    listed_currencies = {c for _o, _s, c in listed}
    missing = {c for c in listed_currencies if factor[c] is None}
    left_out = (
        group_left_out((e[3], str(e[4][6]).strip().upper()) for e in entries if e[4][6] in missing)
        if missing
        else ()
    )
    return Summary(
        entries=entries,
        by_owner={o: by_owner[o] for o in sorted(by_owner)},
        by_stage=by_stage,
        total=total,
        flag_counts=flag_counts,
        currencies=tuple(sorted({c for _o, _s, c in listed})),
        scope_total=scope_total,
        rates={c: rate_of[c] for c in sorted(listed_currencies)},
        left_out=left_out,
    )


def _add(t: Totals, acc: list[Any], rate: float | None) -> None:
    """Add a group: its counts always, its amounts converted (none when ``rate`` is None)."""
    t.deals += acc[0]
    t.flagged_deals += acc[1]
    if rate is None:
        return
    t.pipeline += acc[2] * rate
    t.weighted += acc[3] * rate
    t.qualified += acc[4] * rate
    t.flagged += acc[5] * rate
