"""``kamcoach prep``: the pre-call checklist of one deal, from the command line.

Same core as the terminal app's checklist screen (:mod:`kamcoach.review.prep`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.outfile import force_option
from kamcoach.cli.output import REPORT_FORMATS, console, format_option, render_rows
from kamcoach.io.safe_write import check_output, database_files, write_atomic
from kamcoach.textsafe import plain


@click.command("prep")
@click.argument("deal")
@format_option(REPORT_FORMATS)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal (Markdown unless --format says otherwise).",
)
@force_option()
@click.option(
    "--lang",
    type=click.Choice(["en", "fr"]),
    help="Language of the questions (default: the language of the deal's notes).",
)
@click.option(
    "--no-analyse",
    "no_analyse",
    is_flag=True,
    help="Use the stored reviews as they are, even if notes changed since.",
)
@pass_ctx
def prep(
    obj: Ctx,
    deal: str,
    fmt: str,
    output: Path | None,
    force: bool,
    lang: str | None,
    no_analyse: bool,
) -> None:
    """Pre-call checklist for DEAL (id or exact name): gaps, questions, who attends.

    The gaps that matter at the deal's stage (below the gate of this stage and
    the next), ordered by the Natural Selling meeting phase where each
    question belongs, with what the customer must confirm and the buying
    roles to bring. Notes added since the last analysis are analysed first.

    \b
    Example:
      kamcoach prep 12
      kamcoach prep 12 --format md --output prep-12.md
      kamcoach prep "Acme renewal" --format html -o prep.html
    """
    from kamcoach.review.prep import (
        build_checklist,
        checklist_markdown,
        refresh_analysis,
    )
    from kamcoach.storage import repo

    guarded = database_files(obj.path)
    if output is not None:  # before the refresh below writes reviews
        check_output(output, guarded, force=force)
    db, playbooks = obj.db, obj.playbooks
    row = repo.get_deal(db, deal)
    if not no_analyse:
        from kamcoach.cli.progress import Activity

        with Activity(f"analysing the notes of #{row['id']}"):  # the model loads: seconds
            refresh_analysis(db, int(row["id"]), playbooks)
    checklist = build_checklist(db, int(row["id"]), playbooks, lang=lang)
    if fmt == "json":
        text = json.dumps(asdict(checklist), ensure_ascii=False, indent=2, default=str) + "\n"
    elif fmt in ("jsonl", "csv"):  # the gaps, one a row
        from kamcoach.review.prep import checklist_rows

        chunks: list[str] = []
        render_rows(checklist_rows(checklist), fmt, out=chunks.append)
        text = "".join(chunks)
    elif fmt == "html":
        from kamcoach.review.prep_html import checklist_html

        text = checklist_html(checklist)
    elif fmt == "md" or output is not None:
        text = checklist_markdown(checklist)
    else:
        _print_table(checklist)
        return
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomic(output, text, guarded, force=force)
    click.echo(f"checklist written to {output}")


def _print_table(checklist: object) -> None:
    from kamcoach.review.prep import TIER_LABEL, Checklist, checklist_label, status_label

    assert isinstance(checklist, Checklist)
    c = checklist

    def t(key: str) -> str:
        return checklist_label(key, c.lang)

    tiers = TIER_LABEL.get(c.lang, TIER_LABEL["en"])
    out = console()
    # User values (names, notes, team playbook texts) as Text: shown, never read as markup.
    head = Text.assemble(
        plain(c.account or "?"), f" · {c.stage}", f" → {c.next_stage}" if c.next_stage else ""
    )
    head.append(f" · {c.amount:,.0f} ")
    head.append_text(plain(c.currency))
    head.append(f" · {t('close')} {c.close_date or '?'} · ")
    head.append_text(plain(c.owner))
    head.append(" · ")
    head.append_text(plain(c.playbook))
    head.append(f" {c.overall:.0f}/100\n")
    overdue = c.next_step is not None and c.next_step.overdue(c.today)
    head.append_text(
        plain(
            c.next_step_line, style="bold red" if overdue else "yellow" if not c.next_step else ""
        )
    )
    out.print(Panel(head, title=Text(f"{t('title')}: #{c.deal_id} {c.deal}")))
    who = Table(title=t("attend"), header_style="bold")
    who.add_column(t("role"))
    who.add_column(t("who"))
    for a in c.attendees:
        if a.missing:
            who.add_row(plain(a.label), plain(a.note, style="yellow"))
        else:
            text = plain(a.name)
            if a.title:
                text.append(f", {a.title}")
            if a.note:
                text.append(f" ({a.note})", style="yellow")
            who.add_row(plain(a.label), text)
    out.print(who)
    if not c.items:
        out.print(plain(t("none")))
        return
    # Fixed narrow columns and the question taking the rest: at 100 columns six equal
    # columns wrapped each question over a dozen lines. Narrower, the meeting phase goes
    # under the criterion and what to confirm under the question.
    wide, medium = out.width >= 120, out.width >= 100
    table = Table(title=t("gaps"), header_style="bold", show_lines=True, expand=True)
    table.add_column("#", no_wrap=True, width=2)
    if medium:
        table.add_column(t("when").lower(), width=14)
    table.add_column(t("criterion").lower(), width=14 if medium else 16)
    table.add_column(t("current").lower(), width=16 if medium else 14)
    table.add_column(t("ask").lower(), ratio=3)
    if wide:
        table.add_column(t("confirm").lower(), ratio=2)
    for i, it in enumerate(c.items, 1):
        ask = plain(it.question)
        if it.evidence:
            ask.append(f"\n{t('known')}: " + "; ".join(it.evidence), style="dim")
        if not wide:
            ask.append(f"\n{t('confirm')}: ", style="bold")
            ask.append_text(plain(it.confirm))
        current = plain(
            f"{it.score}/3 {status_label(it.status, c.lang)}\n→ {it.target}/3 "
            f"({tiers.get(it.tier, it.tier)})"
        )
        if it.set_by:  # a person's score in force: whose, and why
            current.append(f"\n{it.set_by}", style="dim")
        when = Text.assemble(it.phase_name, "\n", (it.timing, "dim"))
        cells: list[Text] = [Text(str(i))]
        if medium:
            cells += [when, plain(it.name)]
        else:
            cells.append(plain(it.name).append("\n").append_text(when))
        cells += [current, ask]
        if wide:
            cells.append(plain(it.confirm))
        table.add_row(*cells)
    out.print(table)


def register(group: click.Group) -> None:
    group.add_command(prep)
