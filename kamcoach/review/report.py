"""Self-contained pipeline and coaching reports in Markdown and HTML.

A manager e-mails these, so they carry everything inline: CSS in a ``<style>``
block and the charts as inline SVG drawn here (no JavaScript, no network, no
fonts or images to fetch). Markdown embeds the same SVG as raw HTML, which
Markdown allows; viewers that strip it still get every figure as text tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from html import escape

from kamcoach import palette
from kamcoach.domain.stages import OPEN_STAGES
from kamcoach.playbooks.model import Method, PlaybookSet
from kamcoach.records.currency import amount_text, left_out_line, rates_line
from kamcoach.review.coaching import RepCoaching
from kamcoach.review.pipeline import DealRow, PipelineReport, Totals
from kamcoach.review.prep import phase_label
from kamcoach.textsafe import md

#: Heat colours for scores 0-3, None (not analysed) and a stated gap: the shared palette.
HEAT: dict[int | str | None, str] = {score: palette.background(score) for score in range(4)}
HEAT[None] = palette.NONE_COLOUR
HEAT["gap"] = palette.GAP_COLOUR
#: Overall-score bands, coloured like the 0-3 step they match (palette.band_score).
SCORE_BANDS: tuple[tuple[str, float, float, str], ...] = tuple(
    (label, lo, hi, palette.SCORE_COLOURS[palette.band_score(lo)])
    for label, lo, hi in (
        ("0-24", 0, 25),
        ("25-49", 25, 50),
        ("50-74", 50, 75),
        ("75-100", 75, 101),
    )
)
DEFAULT_LIMIT = 100

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;margin:24px;max-width:1200px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.sub{color:#666;margin-top:0}.kpis{display:flex;gap:12px;flex-wrap:wrap}
.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}
.kpi b{display:block;font-size:20px}.kpi.bad b{color:#b2182b}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #e3e3e3;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f5f5f5}td.num{text-align:right;white-space:nowrap}
.heat{display:inline-block;min-width:22px;text-align:center;border-radius:3px;margin:0 1px;
font-size:11px;padding:1px 2px}
.sev-high{color:#b2182b;font-weight:600}.sev-medium{color:#b35806}.sev-low{color:#666}
ul.flags{margin:0;padding-left:16px}.q{font-style:italic;color:#333}
"""


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _short_ids(playbooks: PlaybookSet) -> dict[str, str]:
    return {cid: c.short for cid, c in playbooks.criteria.items()}


def _criterion_name(playbooks: PlaybookSet, cid: str, lang: str) -> str:
    """A criterion as the question's reader names it (its id when the playbooks lack it)."""
    criterion = playbooks.criteria.get(cid)
    return criterion.name.get(lang) if criterion else cid


def heat_text(deal: DealRow, shorts: dict[str, str]) -> str:
    """Plain-text heat strip, e.g. ``M2 E0! DC1 DP- I2 C3`` (``-`` not analysed, ``!`` gap)."""
    parts = []
    for cid, score in deal.scores.items():
        mark = "-" if score is None else str(score)
        if deal.statuses.get(cid) == "gap":
            mark += "!"
        parts.append(f"{shorts.get(cid, cid)}{mark}")
    return " ".join(parts)


def next_step_text(deal: DealRow, today: date) -> str:
    """The deal's agreed next step for a report cell: what, who, due (overdue said); '' if none."""
    step = deal.next_step
    return "" if step is None else step.summary(today)


def _currency_note(report: PipelineReport) -> str:
    """Which currency the totals are in, at which team rates, and which deals they leave out."""
    if not report.base_currency:  # a report built without conversion (tests, old callers)
        return "Amounts in deal currency."
    note = rates_line(report.base_currency, report.rates)
    left_out = left_out_line(report.left_out)
    return f"{note} {left_out[0].upper()}{left_out[1:]}." if left_out else note


def _deal_amount(deal: DealRow) -> str:
    """``45,000 USD (≈ 43,223 EUR)``: the deal's own amount, and its value in the base."""
    if not deal.base_currency:
        return f"{_money(deal.amount)} {deal.currency}"
    return amount_text(deal.amount, deal.currency, deal.amount_base, deal.base_currency)


def _filters(report: PipelineReport) -> str:
    parts = [f"{k} {v}" for k, v in report.filters.items() if v]
    return ", ".join(parts) if parts else "whole open pipeline"


# ---------------------------------------------------------------- SVG charts


def svg_score_distribution(report: PipelineReport, deals: Iterable[DealRow] | None = None) -> str:
    """Stacked horizontal bars: deals per stage by overall-score band (grey: not analysed).

    Counts every deal of the report from its (stage, score) points, which
    need no built row; ``deals`` counts those rows instead.
    """
    counts: dict[str, list[int]] = {s: [0] * (len(SCORE_BANDS) + 1) for s in report.by_stage}
    points = report.score_points() if deals is None else ((d.stage, d.score) for d in deals)
    for stage, score in points:
        row = counts.setdefault(stage, [0] * (len(SCORE_BANDS) + 1))
        if score is None:
            row[-1] += 1
            continue
        for i, (_label, lo, hi, _c) in enumerate(SCORE_BANDS):
            if lo <= score < hi:
                row[i] += 1
                break
    stages = [s for s in counts if s in OPEN_STAGES] + [s for s in counts if s not in OPEN_STAGES]
    widest = max((sum(c) for c in counts.values()), default=0) or 1
    left, bar_w, row_h = 110, 460, 26
    height = 40 + row_h * len(stages) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + bar_w + 60}" height="{height}" '
        'role="img" aria-label="Score distribution per stage" font-family="sans-serif" '
        'font-size="12">',
        '<text x="0" y="16" font-weight="bold">Deals per stage by overall score</text>',
    ]
    colours = [c for *_x, c in SCORE_BANDS] + [HEAT[None]]
    for r, stage in enumerate(stages):
        y = 30 + r * row_h
        out.append(f'<text x="0" y="{y + 15}">{escape(stage)}</text>')
        x = float(left)
        for i, n in enumerate(counts[stage]):
            if not n:
                continue
            w = bar_w * n / widest
            label = ([b[0] for b in SCORE_BANDS] + ["not analysed"])[i]
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{colours[i]}"><title>{escape(stage)}: {n} deal{"s" if n != 1 else ""}, score {label}</title></rect>'
            )
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{sum(counts[stage])}</text>')
    ly = 30 + row_h * len(stages) + 10
    x = left
    for label, colour in [(b[0], b[3]) for b in SCORE_BANDS] + [("not analysed", HEAT[None])]:
        out.append(f'<rect x="{x}" y="{ly}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{ly + 11}">{escape(label)}</text>')
        x += 30 + 8 * len(label)
    out.append("</svg>")
    return "".join(out)


def svg_heat_map(deals: Sequence[DealRow], playbooks: PlaybookSet) -> str:
    """One row per deal, one cell per criterion coloured by its 0-3 score."""
    shorts = _short_ids(playbooks)
    criteria: list[str] = []
    for deal in deals:
        for cid in deal.scores:
            if cid not in criteria:
                criteria.append(cid)
    left, cell, top = 230, 28, 46
    width = left + cell * max(1, len(criteria)) + 10
    height = top + cell * len(deals) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        'aria-label="Criterion heat map" font-family="sans-serif" font-size="11">',
        '<text x="0" y="14" font-weight="bold" font-size="12">Criterion heat map (0-3)</text>',
    ]
    for j, cid in enumerate(criteria):
        x = left + j * cell + cell / 2
        out.append(
            f'<text x="{x:.0f}" y="{top - 6}" text-anchor="middle">{escape(shorts.get(cid, cid))}'
            f"<title>{escape(cid)}</title></text>"
        )
    for i, deal in enumerate(deals):
        y = top + i * cell
        label = f"#{deal.id} {deal.name}"
        label = label if len(label) <= 34 else label[:33] + "…"
        out.append(f'<text x="0" y="{y + cell / 2 + 4:.0f}">{escape(label)}</text>')
        for j, cid in enumerate(criteria):
            if cid not in deal.scores:
                continue
            score = deal.scores[cid]
            gap = deal.statuses.get(cid) == "gap"
            colour = HEAT["gap"] if gap else HEAT[score]
            x = left + j * cell
            text = "-" if score is None else str(score)
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{colour}">'
                f"<title>#{deal.id} {escape(cid)}: {text}{' (gap)' if gap else ''}</title></rect>"
                f'<text x="{x + cell / 2 - 1:.0f}" y="{y + cell / 2 + 3:.0f}" '
                f'text-anchor="middle" fill="{palette.foreground(colour)}">{text}</text>'
            )
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------- pipeline report


def _totals_rows(totals: Iterable[Totals]) -> list[list[str]]:
    return [
        [
            t.key,
            str(t.deals),
            str(t.flagged_deals),
            _money(t.pipeline),
            _money(t.weighted),
            _money(t.qualified),
            _money(t.flagged),
            _pct(t.share_flagged),
        ]
        for t in totals
    ]


def _md_totals_rows(totals: Iterable[Totals]) -> list[list[str]]:
    """The totals rows for Markdown: the owner or stage as literal text."""
    return [[md(row[0]), *row[1:]] for row in _totals_rows(totals)]


TOTALS_HEAD = [
    "",
    "deals",
    "flagged",
    "pipeline",
    "weighted",
    "qualified",
    "flagged amount",
    "share flagged",
]


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of cells already in Markdown (user text passed through ``md``)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _headline(report: PipelineReport) -> list[tuple[str, str, bool]]:
    t = report.total
    base = f" {report.base_currency}" if report.base_currency else ""
    return [
        (
            "Open pipeline",
            f"{_money(t.pipeline)}{base} ({t.deals} deal{'s' if t.deals != 1 else ''})",
            False,
        ),
        ("Weighted", _money(t.weighted), False),
        ("Qualified (passing gate)", f"{_money(t.qualified)} ({_pct(t.share_qualified)})", False),
        ("Flagged", f"{_money(t.flagged)} ({_pct(t.share_flagged)})", True),
    ]


def render_markdown(
    report: PipelineReport, playbooks: PlaybookSet, *, limit: int | None = DEFAULT_LIMIT
) -> str:
    """A Markdown pipeline review: headline figures, chart, exceptions, totals."""
    shorts = _short_ids(playbooks)
    t = report.total
    listed = report.deals if not limit else report.deals[:limit]
    out = [
        f"# Pipeline review, {report.today.isoformat()}",
        "",
        f"Scope: {md(_filters(report))}. {md(_currency_note(report))}",
        "",
        f"**{_pct(t.share_flagged)} of the pipeline is flagged**: "
        f"{_money(t.flagged)} of {_money(t.pipeline)} across {t.flagged_deals} of {t.deals} deals; "
        f"qualified pipeline {_money(t.qualified)} ({_pct(t.share_qualified)}), "
        f"weighted {_money(t.weighted)}.",
        "",
        svg_score_distribution(report),
        "",
        "## Exceptions and deals",
        "",
    ]
    rows = []
    for d in listed:
        # Names, reasons and questions as literal text: no HTML, links or emphasis from data.
        flags = "<br>".join(f"**{f.id}** ({f.severity}): {md(f.reason)}" for f in d.flags) or "—"
        ask = (
            "["
            + md(_criterion_name(playbooks, d.next_question.criterion, d.next_question.lang))
            + "; "
            + md(phase_label(playbooks.method, d.next_question.phase, d.next_question.lang))
            + "] "
            + md(d.next_question.text)
            if d.next_question
            else ""
        )
        rows.append(
            [
                f"#{d.id} {md(d.name)}",
                md(d.account),
                md(d.owner),
                d.stage,
                md(_deal_amount(d)),
                d.close_date.isoformat() if d.close_date else "",
                "n/a" if d.score is None else f"{d.score:.0f}",
                "`" + heat_text(d, shorts) + "`",
                flags,
                ask,
                md(next_step_text(d, report.today)),
            ]
        )
    out.append(
        _md_table(
            [
                "deal",
                "account",
                "owner",
                "stage",
                "amount",
                "close",
                "score",
                "criteria",
                "flags",
                "ask next",
                "next step",
            ],
            rows,
        )
    )
    if limit and len(report.deals) > limit:
        out.append(f"\n_{len(report.deals) - limit} more deals not listed._\n")
    out += [
        "",
        "## Totals by owner",
        "",
        _md_table(["owner", *TOTALS_HEAD[1:]], _md_totals_rows(report.by_owner.values())),
    ]
    out += [
        "## Totals by stage",
        "",
        _md_table(["stage", *TOTALS_HEAD[1:]], _md_totals_rows(report.by_stage.values())),
    ]
    out += [
        "## Flags",
        "",
        _md_table(["flag", "deals"], [[k, str(v)] for k, v in report.flag_counts.items()]),
        "Criteria: "
        + ", ".join(
            f"{md(shorts[c])} = {md(playbooks.criteria[c].name.en)}" for c in sorted(shorts)
        )
        + "; `-` not analysed, `!` stated gap.",
        "",
    ]
    return "\n".join(out)


def _html_heat(deal: DealRow, shorts: dict[str, str]) -> str:
    cells = []
    for cid, score in deal.scores.items():
        gap = deal.statuses.get(cid) == "gap"
        colour = HEAT["gap"] if gap else HEAT[score]
        fg = palette.foreground(colour)
        text = "-" if score is None else str(score)
        cells.append(
            f'<span class="heat" style="background:{colour};color:{fg}" '
            f'title="{escape(cid)}: {text}{" (gap)" if gap else ""}">'
            f"{escape(shorts.get(cid, cid))}{text}</span>"
        )
    return "".join(cells)


def _html_totals(title: str, first: str, totals: Iterable[Totals]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in [first, *TOTALS_HEAD[1:]])
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(c)}</td>' if i else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in _totals_rows(totals)
    )
    return f"<h2>{escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def render_html(
    report: PipelineReport, playbooks: PlaybookSet, *, limit: int | None = DEFAULT_LIMIT
) -> str:
    """A self-contained HTML pipeline review (inline CSS and SVG, nothing fetched)."""
    shorts = _short_ids(playbooks)
    listed = report.deals if not limit else report.deals[:limit]
    kpis = "".join(
        f'<div class="kpi{" bad" if bad else ""}">{escape(label)}<b>{escape(value)}</b></div>'
        for label, value, bad in _headline(report)
    )
    rows = []
    for d in listed:
        flags = "".join(
            f'<li><span class="sev-{escape(f.severity)}">{escape(f.id)}</span>: {escape(f.reason)}</li>'
            for f in d.flags
        )
        ask = (
            f'<span class="q" lang="{d.next_question.lang}">{escape(d.next_question.text)}</span>'
            "<br><small>"
            f"{escape(_criterion_name(playbooks, d.next_question.criterion, d.next_question.lang))} · "
            f"{escape(phase_label(playbooks.method, d.next_question.phase, d.next_question.lang))}"
            "</small>"
            if d.next_question
            else ""
        )
        rows.append(
            "<tr>"
            f"<td>#{d.id} {escape(d.name)}<br><small>{escape(d.account)}</small></td>"
            f"<td>{escape(d.owner)}</td><td>{escape(d.stage)}</td>"
            f'<td class="num">{escape(_deal_amount(d))}</td>'
            f'<td class="num">{d.close_date.isoformat() if d.close_date else ""}</td>'
            f'<td class="num">{"n/a" if d.score is None else f"{d.score:.0f}"}</td>'
            f"<td>{_html_heat(d, shorts)}</td>"
            f"<td>{f'<ul class=flags>{flags}</ul>' if flags else '—'}</td><td>{ask}</td>"
            f"<td>{escape(next_step_text(d, report.today))}</td>"
            "</tr>"
        )
    more = (
        f"<p><em>{len(report.deals) - limit} more deals not listed.</em></p>"
        if limit and len(report.deals) > limit
        else ""
    )
    heat_deals = report.flagged[:40] or listed[:40]
    flag_rows = "".join(
        f"<tr><td>{escape(k)}</td><td class=num>{v}</td></tr>"
        for k, v in report.flag_counts.items()
    )
    legend = ", ".join(
        f"{escape(shorts[c])} = {escape(playbooks.criteria[c].name.en)}" for c in sorted(shorts)
    )
    body = (
        f"<h1>Pipeline review, {report.today.isoformat()}</h1>"
        f'<p class="sub">Scope: {escape(_filters(report))}. {escape(_currency_note(report))}</p>'
        f'<div class="kpis">{kpis}</div>'
        f"<p><b>{_pct(report.total.share_flagged)} of the pipeline is flagged.</b></p>"
        f"{svg_score_distribution(report)}"
        f"<h2>Exceptions and deals</h2><table><tr><th>deal</th><th>owner</th><th>stage</th>"
        "<th>amount</th><th>close</th><th>score</th><th>criteria</th><th>flags</th>"
        f"<th>ask next</th><th>next step</th></tr>{''.join(rows)}</table>{more}"
        f"<p><small>Criteria: {legend}; - not analysed.</small></p>"
        f"<h2>Criterion heat map of the exceptions</h2>{svg_heat_map(heat_deals, playbooks)}"
        + _html_totals("Totals by owner", "owner", report.by_owner.values())
        + _html_totals("Totals by stage", "stage", report.by_stage.values())
        + f"<h2>Flags</h2><table><tr><th>flag</th><th>deals</th></tr>{flag_rows}</table>"
    )
    return _page(f"Pipeline review {report.today.isoformat()}", body)


# ---------------------------------------------------------------- coaching report


def _trend_text(recent: float | None, previous: float | None, digits: int = 0) -> str:
    if recent is None and previous is None:
        return "no recent reviews"
    fmt = f"{{:.{digits}f}}"
    r = "—" if recent is None else fmt.format(recent)
    p = "—" if previous is None else fmt.format(previous)
    arrow = ""
    if recent is not None and previous is not None:
        arrow = " ↑" if recent > previous else (" ↓" if recent < previous else " →")
    return f"{p} → {r}{arrow}"


def _phase(method: Method | None, phase_id: str, lang: str) -> str:
    return phase_id if method is None else phase_label(method, phase_id, lang)


def render_coaching_markdown(
    reps: list[RepCoaching], lang: str = "auto", method: Method | None = None
) -> str:
    out = ["# Coaching by rep", ""]
    for rep in reps:
        out += [
            f"## {md(rep.owner)}",
            "",
            f"{rep.open_deals} open deal{'s' if rep.open_deals != 1 else ''}, "
            f"{rep.analysed_deals} analysed. Average review score "
            f"(previous 30 days → last 30 days): {_trend_text(rep.trend.recent, rep.trend.previous)}.",
            "",
        ]
        rep_lang = rep.lang if lang == "auto" else lang
        for group in rep.playbooks:
            out += [
                f"### {md(group.name)}",
                "",
                f"{group.open_deals} open, {group.analysed_deals} analysed.",
                "",
            ]
            if group.too_few:
                out += [
                    f"Too few analysed deals to rank practice items (needs {group.min_deals}).",
                    "",
                ]
                continue
            out += [
                _md_table(
                    ["criterion", "points lost", "weak", "avg score trend"],
                    [
                        [
                            md(g.name),
                            f"{g.points_lost:.0f}",
                            f"{g.weak}/{g.deals} ({g.missing} missing)",
                            _trend_text(g.trend.recent, g.trend.previous, 1),
                        ]
                        for g in group.criteria
                    ],
                ),
                "",
            ]
            for g in group.weakest:
                out.append(f"**Practise: {md(g.name)}**")
                out.append("")
                out += [
                    f"- _{md(_phase(method, q.phase, rep_lang))}_: {md(q.text.get(rep_lang))}"
                    for q in g.questions
                ]
                out.append("")
    if not reps:
        out.append("No open deals.")
    return "\n".join(out) + "\n"


def render_coaching_html(
    reps: list[RepCoaching], lang: str = "auto", method: Method | None = None
) -> str:
    parts = ["<h1>Coaching by rep</h1>"]
    for rep in reps:
        rep_lang = rep.lang if lang == "auto" else lang
        parts.append(
            f"<h2>{escape(rep.owner)}</h2><p>{rep.open_deals} open deal"
            f"{'s' if rep.open_deals != 1 else ''}, {rep.analysed_deals} analysed. "
            f"Average review score: "
            f"{escape(_trend_text(rep.trend.recent, rep.trend.previous))}.</p>"
        )
        for group in rep.playbooks:
            parts.append(
                f"<h3>{escape(group.name)}</h3><p>{group.open_deals} open, "
                f"{group.analysed_deals} analysed.</p>"
            )
            if group.too_few:
                parts.append(
                    "<p>Too few analysed deals to rank practice items "
                    f"(needs {group.min_deals}).</p>"
                )
                continue
            rows = "".join(
                f"<tr><td>{escape(g.name)}</td><td class=num>{g.points_lost:.0f}</td>"
                f"<td class=num>{g.weak}/{g.deals} ({g.missing} missing)</td>"
                f"<td>{escape(_trend_text(g.trend.recent, g.trend.previous, 1))}</td></tr>"
                for g in group.criteria
            )
            practise = "".join(
                f"<h4>Practise: {escape(g.name)}</h4><ul>"
                + "".join(
                    f"<li><small>{escape(_phase(method, q.phase, rep_lang))}</small> "
                    f"<span lang={rep_lang}>{escape(q.text.get(rep_lang))}</span></li>"
                    for q in g.questions
                )
                + "</ul>"
                for g in group.weakest
            )
            parts.append(
                "<table><tr><th>criterion</th><th>points lost</th><th>weak</th>"
                f"<th>avg score trend</th></tr>{rows}</table>{practise}"
            )
    if not reps:
        parts.append("<p>No open deals.</p>")
    return _page("Coaching by rep", "".join(parts))
