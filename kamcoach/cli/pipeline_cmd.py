"""``kamcoach pipeline`` and ``kamcoach coach``: the manager's weekly review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.table import Table
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.lookup import StageType, mine_option, owner_filter
from kamcoach.cli.outfile import force_option
from kamcoach.cli.output import REPORT_FORMATS, console, format_option, render_rows
from kamcoach.domain.stages import FORECAST_CATEGORIES, STAGES
from kamcoach.errors import InputError
from kamcoach.io.safe_write import check_output, database_files, write_atomic
from kamcoach.palette import rich_style
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.records.currency import left_out_line, rates_line
from kamcoach.review.coaching import MIN_DEALS
from kamcoach.review.config import FLAG_IDS, load_flag_config
from kamcoach.review.pipeline import DealRow, PipelineReport, review_pipeline
from kamcoach.review.prep import phase_label
from kamcoach.review.report import (
    DEFAULT_LIMIT,
    heat_text,
    render_coaching_html,
    render_coaching_markdown,
    render_html,
    render_markdown,
)
from kamcoach.textsafe import plain

PIPELINE_FORMATS = REPORT_FORMATS
_SEVERITY_STYLE = {"high": "bold red", "medium": "dark_orange", "low": "dim"}
NEXT_STEP_COLUMN_WIDTH = 110
"""Terminal width from which the table has a "next step" column (below: a line in the deal cell)."""


def _check_output(obj: Ctx, output: Path | None, force: bool) -> None:
    """Refuse a bad --output before reading anything (the database is never a report)."""
    if output is not None:
        check_output(output, database_files(obj.path), force=force)


def _write(text: str, output: Path | None, obj: Ctx, force: bool) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomic(output, text, database_files(obj.path), force=force)
    click.echo(f"wrote {output}", err=True)


def heat_strip(deal: DealRow, playbooks: PlaybookSet) -> Text:
    """One coloured cell per criterion: short id and 0-3 score (``-`` not analysed)."""
    strip = Text()
    for cid, score in deal.scores.items():
        short = playbooks.criteria[cid].short if cid in playbooks.criteria else cid
        gap = deal.statuses.get(cid) == "gap"
        style = rich_style(score, "gap" if gap else None)
        strip.append(f"{short}{'-' if score is None else score}", style=style)
        strip.append(" ")
    return strip


_SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
_SEVERITY_BY_RANK = {0: "", 1: "low", 2: "medium", 3: "high"}


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split() if part[:1].isalpha()).upper() or name


def _check_owner(obj: Ctx, owner: str | None) -> str | None:
    """An unknown rep is a typo, not an empty pipeline (see storage.lookup.check_owner)."""
    if not owner:
        return owner
    from kamcoach.storage.lookup import check_owner

    return check_owner(obj.db, owner)


def _short_amount(amount: float, currency: str) -> str:
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:.1f}M {currency}"
    if amount >= 1_000:
        return f"{amount / 1_000:.0f}k {currency}"
    return f"{amount:.0f} {currency}"


def _amount_cell(deal: DealRow) -> Text:
    """The deal's own amount; under it, when in another currency, its value in the base."""
    cell = plain(_short_amount(deal.amount, deal.currency))
    base = deal.base_currency
    if base and deal.currency != base:
        converted = (
            "no rate" if deal.amount_base is None else "≈" + _short_amount(deal.amount_base, base)
        )
        cell.append("\n" + converted, style="dim")
    return cell


def _amount_line(deal: DealRow) -> str:
    """``120k USD (≈ 115k EUR)`` for the exception lines."""
    text = _short_amount(deal.amount, deal.currency)
    base = deal.base_currency
    if not base or deal.currency == base:
        return text
    if deal.amount_base is None:
        return f"{text} (no rate)"
    return f"{text} (≈ {_short_amount(deal.amount_base, base)})"


def _next_step_cell(deal: DealRow, report: PipelineReport) -> Text:
    """``due · what`` (red when overdue, dim when done), or a dim dash when none is agreed."""
    step = deal.next_step
    if step is None:
        return Text("—", style="dim")
    due = step.due_date.isoformat() if step.due_date else "no date"
    style = "dim" if step.done else "red" if step.overdue(report.today) else ""
    return plain(f"{due} · {step.what}", style=style)


_PIPELINE_COLUMNS = ("#", "deal · account / criteria 0-3", "rep", "stage", "amount", "close")
_PIPELINE_KEPT = ("score", "flags")


def _pipeline_table(
    rows: list[list[Text]], width: int, step_column: bool
) -> tuple[Table, list[int]]:
    """The deals table sized to ``width``: the close date, then the rep, go before anything
    else, the deal cell is cut with an ellipsis, the score and flags always stay.

    Returns the table and the positions of the cells of a row it shows.
    """
    from kamcoach.cli.table_fit import column_fit, fit_widths

    names = [*_PIPELINE_COLUMNS, *_PIPELINE_KEPT] + (["next step"] if step_column else [])
    cut = {"deal · account / criteria 0-3": 22, "next step": 12}
    fits = [
        column_fit(
            name,
            "" if name.startswith("deal") else name,  # a long header never widens the deals
            [line for r in rows for line in r[i].plain.split("\n")] or [""],
            cut=name in cut,
            floor=cut.get(name, 0),
        )
        for i, name in enumerate(names)
    ]
    # SIMPLE_HEAD: a blank edge each side less the padding left out there, and per column
    # a padding each side and a blank rule.
    widths = fit_widths(fits, width, overhead=-1, per_column=3, drop=("close", "rep"))
    if "next step" in widths:
        widths["next step"] = min(widths["next step"], 28)
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    kept = [i for i, name in enumerate(names) if name in widths]
    for i in kept:
        table.add_column(
            names[i],
            justify="right" if names[i] in ("#", "amount", "score", "flags") else "left",
            no_wrap=True,
            overflow="ellipsis",
            width=widths[names[i]],
        )
    return table, kept


def print_pipeline_table(report: PipelineReport, playbooks: PlaybookSet, limit: int | None) -> None:
    """The rich table view: exceptions first, then totals per owner and per stage."""
    out = console()
    t = report.total
    out.print(
        f"[bold]Pipeline review {report.today.isoformat()}[/bold]: "
        f"{t.deals} open deal{'s' if t.deals != 1 else ''}, "
        f"pipeline {t.pipeline:,.0f} {report.base_currency}, weighted {t.weighted:,.0f}, "
        f"qualified {t.qualified:,.0f} ({t.share_qualified:.0%}); "
        f"[bold red]{t.share_flagged:.0%} of the pipeline is flagged[/bold red] "
        f"({t.flagged_deals} deals, {t.flagged:,.0f})."
    )
    scope, wanted = report.scope_total, report.filters.get("flag")
    if scope is not None and wanted:
        share = t.pipeline / scope.pipeline if scope.pipeline else 0.0
        out.print(
            f"Totals above are the {t.deals} deal{'s' if t.deals != 1 else ''} flagged "
            f"{wanted}: {share:.0%} of the {scope.deals} deals' pipeline in scope "
            f"({scope.pipeline:,.0f}).",
            markup=False,
        )
    left_out = left_out_line(report.left_out)
    if left_out:
        out.print(Text(left_out, style="bold yellow"))
    shown = report.deals if not limit else report.deals[:limit]
    # The next step gets its own column where the terminal has room for it; at
    # 80 columns it goes on a third line of the deal cell (only when one is set).
    step_column = out.width >= NEXT_STEP_COLUMN_WIDTH
    rows: list[list[Text]] = []
    for d in shown:
        worst = max((_SEVERITY_RANK.get(f.severity, 0) for f in d.flags), default=0)
        deal_cell = plain(f"{d.name} · {d.account}\n").append_text(heat_strip(d, playbooks))
        if not step_column and d.next_step is not None:
            deal_cell.append("\n→ ").append_text(_next_step_cell(d, report))
        cells: list[Text] = [
            Text(str(d.id)),
            deal_cell,
            plain(_initials(d.owner)),
            Text(d.stage),
            _amount_cell(d),
            Text(d.close_date.isoformat() if d.close_date else ""),
            Text("n/a" if d.score is None else f"{d.score:.0f}"),
            Text(str(len(d.flags)), style=_SEVERITY_STYLE.get(_SEVERITY_BY_RANK[worst], ""))
            if d.flags
            else Text("—", style="dim"),
        ]
        if step_column:
            cells.append(_next_step_cell(d, report))
        rows.append(cells)
    table, kept = _pipeline_table(rows, out.width, step_column)
    for cells in rows:
        table.add_row(*[cells[i] for i in kept])
    out.print(table)
    flagged = [d for d in shown if d.flags]
    if flagged:
        out.print("[bold]Exceptions[/bold] (why each deal is flagged, and what to ask next)")
    for d in flagged:
        out.print(
            Text.assemble(
                (f"\n#{d.id} {d.name}", "bold"),
                f" · {d.account} · {d.owner} · {d.stage} · {_amount_line(d)}",
                f" · forecast {d.forecast}" if d.forecast else "",
            )
        )
        strip = Text("  criteria        ")
        strip.append_text(heat_strip(d, playbooks))
        out.print(strip)
        for f in d.flags:
            line = Text("  ")
            line.append(f"{f.id:<16}", style=_SEVERITY_STYLE.get(f.severity, ""))
            line.append(f.reason)
            out.print(line)
        if d.next_question:
            line = Text("  ask next        ", style="green")
            line.append(d.next_question.text, style="italic")
            label = phase_label(playbooks.method, d.next_question.phase, d.next_question.lang)
            line.append(f" ({label})", style="dim")
            out.print(line)
        step = d.next_step
        line = Text("  next step       ", style="cyan")
        if step is None:
            line.append("none agreed", style="yellow")
        else:
            line.append(
                step.summary(report.today), style="red" if step.overdue(report.today) else ""
            )
        out.print(line)
    if limit and len(report.deals) > limit:
        out.print(f"[dim]{len(report.deals) - limit} more deals (use --limit 0 to see all).[/dim]")
    for title, first, totals in (
        ("By owner", "owner", report.by_owner.values()),
        ("By stage", "stage", report.by_stage.values()),
    ):
        render_rows(
            [
                {
                    first: x.key,
                    "deals": x.deals,
                    "flagged": x.flagged_deals,
                    "pipeline": x.pipeline,
                    "weighted": x.weighted,
                    "qualified": x.qualified,
                    "share_flagged": f"{x.share_flagged:.0%}",
                }
                for x in totals
            ],
            "table",
            title=f"{title} ({report.base_currency})" if report.base_currency else title,
        )
    out.print(Text(rates_line(report.base_currency, report.rates), style="dim"))
    if left_out:
        out.print(Text(left_out, style="bold yellow"))


def _csv_rows(report: PipelineReport, playbooks: PlaybookSet) -> list[dict[str, Any]]:
    shorts = {cid: c.short for cid, c in playbooks.criteria.items()}
    return [
        {
            "id": d.id,
            "name": d.name,
            "account": d.account,
            "owner": d.owner,
            "stage": d.stage,
            "amount": d.amount,
            "currency": d.currency,
            "amount_base": None if d.amount_base is None else round(d.amount_base, 2),
            "base_currency": d.base_currency,
            "close_date": d.close_date.isoformat() if d.close_date else None,
            "score": d.score,
            "gate_passed": d.gate_passed,
            "criteria": heat_text(d, shorts),
            "flags": ";".join(d.flag_ids()),
            "reasons": " | ".join(f"{f.id}: {f.reason}" for f in d.flags),
            "next_question": d.next_question.text if d.next_question else None,
            "forecast": d.forecast,
            "next_step": d.next_step.what if d.next_step else None,
            "next_step_who": d.next_step.who if d.next_step else None,
            "next_step_due": d.next_step.due_date.isoformat()
            if d.next_step and d.next_step.due_date
            else None,
            "next_step_done": d.next_step.done_at if d.next_step else None,
        }
        for d in report.deals
    ]


@click.command()
@click.option("--owner", help="Only this rep's deals (case-insensitive).")
@mine_option()
@click.option("--stage", type=StageType(STAGES), help="Only deals in this stage.")
@click.option("--flag", type=click.Choice(FLAG_IDS), help="Only deals carrying this flag.")
@click.option(
    "--forecast",
    type=click.Choice(FORECAST_CATEGORIES),
    help="Only deals whose latest manager review put them in this forecast category.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=None,
    help=f"Deals listed in table/md/html (default {DEFAULT_LIMIT}; 0 = all). Totals cover all.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of the terminal.",
)
@force_option()
@format_option(PIPELINE_FORMATS)
@pass_ctx
def pipeline(
    obj: Ctx,
    owner: str | None,
    mine: bool,
    stage: str | None,
    flag: str | None,
    forecast: str | None,
    limit: int | None,
    output: Path | None,
    force: bool,
    fmt: str,
) -> None:
    """Weekly pipeline review: flagged deals first, with evidence and the next question.

    Each flagged deal shows its per-criterion heat strip, every flag with the
    evidence behind it, and the playbook question to ask next. Totals per owner
    and stage give the pipeline, the weighted and the qualified pipeline and
    the share of pipeline flagged, in the team's base currency at the team's
    dated rates ([currency] in team.toml); deals in a currency with no rate are
    named under the totals and left out of them. Thresholds: playbooks/flags.toml, overridden
    by flags.toml in your config folder. --format md/html write a self-contained
    report to e-mail.

    \b
    Example:
      kamcoach pipeline --owner "Camille Martin" --flag no_power
      kamcoach pipeline --format html -o review.html
      kamcoach pipeline --forecast commit --format csv
      kamcoach pipeline --mine
    """
    _check_output(obj, output, force)
    owner = owner_filter(obj.db, owner, mine)
    config = load_flag_config()
    report = review_pipeline(
        obj.db, obj.playbooks, owner=owner, stage=stage, flag=flag, config=config, forecast=forecast
    )
    cap = DEFAULT_LIMIT if limit is None else (limit or None)
    if fmt == "json":
        _write(
            json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", output, obj, force
        )
    elif fmt == "jsonl":  # one deal a line, as in the json report's "deals"
        lines = [json.dumps(d, ensure_ascii=False) + "\n" for d in report.to_dict()["deals"]]
        _write("".join(lines), output, obj, force)
    elif fmt == "csv":
        chunks: list[str] = []
        render_rows(_csv_rows(report, obj.playbooks), "csv", out=chunks.append)
        _write("".join(chunks), output, obj, force)
    elif fmt == "md":
        _write(render_markdown(report, obj.playbooks, limit=cap), output, obj, force)
    elif fmt == "html":
        _write(render_html(report, obj.playbooks, limit=cap), output, obj, force)
    else:
        if output is not None:
            raise InputError("--output needs --format json, jsonl, csv, md or html")
        print_pipeline_table(report, obj.playbooks, cap)


@click.command()
@click.option("--owner", help="Only this rep.")
@click.option(
    "--lang",
    type=click.Choice(["auto", "en", "fr"]),
    default="auto",
    show_default=True,
    help="Language of the practice questions (auto: the one most of each rep's notes are in).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of the terminal.",
)
@force_option()
@click.option(
    "--min-deals",
    type=click.IntRange(1, 1000),
    default=MIN_DEALS,
    show_default=True,
    help="A criterion must be weak on at least this many deals to be a practice item.",
)
@format_option(REPORT_FORMATS)
@pass_ctx
def coach(
    obj: Ctx,
    owner: str | None,
    lang: str,
    output: Path | None,
    force: bool,
    min_deals: int,
    fmt: str,
) -> None:
    """Coaching per rep and playbook: what costs the deals most, trend, questions to practise.

    For each rep and each playbook their open deals use: per criterion, the
    overall-score points the deals lose on it (its weight in the playbook
    times how far below 3 it scores, summed over the deals), on how many deals
    it is weak or missing, and the average score over the last 30 days against
    the 30 before. The three criteria that cost most, among those weak on at
    least --min-deals deals, come with the playbook's discovery questions to
    practise; one deal is a case, not a habit, so it is never ranked alone.

    \b
    Example:
      kamcoach coach --owner "Camille Martin" --lang fr
    """
    from kamcoach.review.coaching import coach as build

    _check_output(obj, output, force)
    owner = _check_owner(obj, owner)
    reps = build(obj.db, obj.playbooks, owner, lang=lang, min_deals=min_deals)
    if owner and not reps:
        raise InputError(f"no open deals for owner {owner!r} (see `kamcoach deals list`)")
    if fmt == "json":
        text = json.dumps([r.to_dict() for r in reps], ensure_ascii=False, indent=2) + "\n"
        _write(text, output, obj, force)
        return
    if fmt in ("jsonl", "csv"):
        chunks: list[str] = []
        render_rows(_coaching_rows(reps), fmt, out=chunks.append)
        _write("".join(chunks), output, obj, force)
        return
    if fmt == "md":
        _write(render_coaching_markdown(reps, lang, obj.playbooks.method), output, obj, force)
        return
    if fmt == "html":
        _write(render_coaching_html(reps, lang, obj.playbooks.method), output, obj, force)
        return
    if output is not None:
        raise InputError("--output needs --format json, jsonl, csv, md or html")
    out = console()
    for rep in reps:
        trend = rep.trend
        out.print(
            Text.assemble(
                (f"\n{rep.owner}", "bold"),
                f": {rep.open_deals} open deal{'s' if rep.open_deals != 1 else ''}, "
                f"{rep.analysed_deals} analysed; average review score "
                f"{trend.previous if trend.previous is not None else '—'}"
                f" → {trend.recent if trend.recent is not None else '—'} ({trend.direction})",
            )
        )
        rep_lang = rep.lang if lang == "auto" else lang
        for group in rep.playbooks:
            out.print(
                Text.assemble(
                    (group.name, "bold"),
                    f" · {group.open_deals} open, {group.analysed_deals} analysed",
                )
            )
            if group.too_few:
                out.print(
                    Text(
                        f"  too few analysed deals to rank practice items "
                        f"(needs {group.min_deals}; --min-deals to change)",
                        style="dim",
                    )
                )
                continue
            table = Table(header_style="bold")
            for col in ("criterion", "points lost", "weak", "avg (prev → last 30 d)"):
                table.add_column(col)
            for g in group.criteria:
                table.add_row(
                    plain(g.name),
                    f"{g.points_lost:.0f}",
                    f"{g.weak}/{g.deals} ({g.missing} missing)",
                    f"{'—' if g.trend.previous is None else f'{g.trend.previous:.1f}'} → "
                    f"{'—' if g.trend.recent is None else f'{g.trend.recent:.1f}'}",
                )
            out.print(table)
            for g in group.weakest:
                out.print(Text(f"Practise {g.name}", style="bold"))
                for q in g.questions:
                    when = phase_label(obj.playbooks.method, q.phase, rep_lang)
                    out.print(Text.assemble("  • ", (when, "dim"), ": ", q.text.get(rep_lang)))


def _coaching_rows(reps: list[Any]) -> list[dict[str, Any]]:
    """One row per rep, playbook and criterion: the coaching table flat, for a spreadsheet."""
    return [
        {
            "owner": rep.owner,
            "playbook": group.playbook,
            "criterion": g.criterion,
            "name": g.name,
            "points_lost": round(g.points_lost, 1),
            "weak": g.weak,
            "missing": g.missing,
            "deals": g.deals,
            "average_previous": g.trend.previous,
            "average_recent": g.trend.recent,
            "practise": g in group.weakest,
        }
        for rep in reps
        for group in rep.playbooks
        for g in group.criteria
    ]


def register(group: click.Group) -> None:
    group.add_command(pipeline)
    group.add_command(coach)
