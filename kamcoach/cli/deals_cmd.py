"""``kamcoach deals``: list deals and show one in detail."""

from __future__ import annotations

import json

import click
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.lookup import StageType, mine_option, owner_filter
from kamcoach.cli.output import console, format_option, render_rows
from kamcoach.domain.stages import STAGES
from kamcoach.storage import repo
from kamcoach.textsafe import plain


@click.group()
def deals() -> None:
    """Deals (opportunities): list, inspect, analyse; add, edit, close, pause by hand.

    \b
    Example:
      kamcoach deals list --owner "Camille Martin" --stage proposal
      kamcoach deals add "Pilot" --account "Carrefour" --amount 40000
    """


@deals.command("list")
@click.option("--owner", help="Only this rep's deals.")
@click.option("--stage", type=StageType(STAGES), help="Only deals in this stage.")
@mine_option()
@click.option("--open", "open_only", is_flag=True, help="Hide closed won/lost deals.")
@format_option()
@pass_ctx
def list_(
    obj: Ctx, owner: str | None, stage: str | None, mine: bool, open_only: bool, fmt: str
) -> None:
    """List deals with stage, amount, close date, owner and latest score.

    \b
    Example:
      kamcoach deals list --open --format jsonl
      kamcoach deals list --mine --stage proposal
    """
    owner = owner_filter(obj.db, owner, mine)
    rows = repo.list_deals(obj.db, owner=owner, stage=stage, include_closed=not open_only)
    render_rows(
        rows,
        fmt,
        columns=[
            "id",
            "name",
            "account",
            "stage",
            "amount",
            "currency",
            "close_date",
            "owner",
            "type",
            "score",
        ],
        title="Deals",
        keep=("id", "score"),
        drop=("type", "account", "currency", "close_date", "owner"),
        floors={"name": 22},
    )


@deals.command("show")
@click.argument("deal")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_ctx
def show(obj: Ctx, deal: str, fmt: str) -> None:
    """Show one deal (by id or exact name): scorecard, contacts, history and notes.

    The scorecard is the deal's score in force per criterion: a manager's
    correction, else the latest rep score, else the latest analyser review;
    each with its best quote and who gave it (M/R/A), then why it is in force
    wherever a person's score or a later one waiting is involved.

    \b
    Example:
      kamcoach deals show 7
    """
    db = obj.db
    row = repo.get_deal(db, deal)
    contacts = repo.deal_contacts(db, row["id"])
    history = repo.deal_history(db, row["id"])
    notes = repo.deal_notes(db, row["id"])
    review = repo.latest_review(db, row["id"])
    from kamcoach.records.next_steps import current as current_next_step
    from kamcoach.review.deal_analysis import effective_scores
    from kamcoach.review.prep import detect_deal_lang, status_label

    playbooks = obj.playbooks
    scores = effective_scores(db, row["id"], playbooks) if review is not None else {}
    from kamcoach.review.in_force import deal_in_force

    found = deal_in_force(db, row["id"])
    step = current_next_step(db, row["id"])
    if fmt == "json":
        payload = {
            "deal": row,
            "next_step": None if step is None else step.to_dict(),
            "contacts": contacts,
            "history": history,
            "notes": notes,
            "latest_review": None
            if review is None
            else {
                "author_kind": review.author_kind,
                "created_at": review.created_at.isoformat(),
                "overall": review.overall,
                "scores": {
                    c: {"score": s.score, "status": s.status} for c, s in review.scores.items()
                },
            },
            "effective_scores": {
                c: {"score": s.score, "status": s.status, "reason": s.reason}
                for c, s in scores.items()
            },
            "in_force": {
                c: {
                    "by": f.author_kind,
                    "author": f.review.author,
                    "review_id": f.review.id,
                    "verdict": f.score.verdict,
                    "why": f.why(),
                }
                for c, f in found.items()
                if c in scores
            },
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return
    out = console()
    # Every user value goes in as Text (plain): names are shown, never read as markup.
    head = Text.assemble(
        plain(row["account"]),
        f" · {row['stage']} · {row['amount']:,.0f} ",
        plain(row["currency"]),
        f" · close {row['close_date'] or '?'} · ",
        plain(row["owner"]),
        f" · {row['type']} · playbook ",
        plain(row["playbook"]),
    )
    if row["pause_reason"]:
        until = f" until {row['paused_until']}" if row["paused_until"] else ""
        head.append(f"\npaused{until}: ", style="yellow")
        head.append_text(plain(row["pause_reason"]))
    if row.get("close_reason"):
        head.append(f"\n{row['stage'].replace('_', ' ')}: ", style="bold")
        head.append_text(plain(row["close_reason"]))
    head.append("\nnext step: ")
    if step is None:
        head.append("none agreed (kamcoach deals next-step DEAL --what ...)", style="yellow")
    else:
        head.append(step.summary(), style="red" if step.overdue() else "")
    out.print(Panel(head, title=Text(f"#{row['id']} {row['name']}")))
    if contacts:
        table = Table(title="Contacts", header_style="bold")
        for col in ("name", "title", "role", "engaged"):
            table.add_column(col)
        for c in contacts:
            name = c["name"] + (" (left)" if c["left_company"] else "")
            table.add_row(
                plain(name), plain(c["title"]), plain(c["role"]), "yes" if c["engaged"] else "no"
            )
        out.print(table)
    if history:
        table = Table(title="History", header_style="bold")
        for col in ("when", "field", "from", "to", "reason"):
            table.add_column(col)
        for h in history:
            table.add_row(
                plain(h["changed_at"][:10]),
                plain(h["field"]),
                plain(h["old_value"]),
                plain(h["new_value"]),
                plain(h.get("reason")),
            )
        out.print(table)
    if review is not None:
        lang = detect_deal_lang(notes)
        table = Table(
            title=f"Scorecard (latest review: {review.author_kind}, "
            f"{review.created_at:%Y-%m-%d}, {review.overall:.0f}/100)",
            header_style="bold",
        )
        for col in ("criterion", "score", "status", "by", "evidence"):
            table.add_column(col)
        for cid, s in scores.items():
            criterion = playbooks.criteria.get(cid)
            quote = next((e for e in s.evidence if e.text.strip()), None)
            by = found[cid].author_kind if cid in found else "analyser"
            # A person's score carries their reason; the analyser's ``reason`` is a code
            # ("stated", "negated") that says why its quote is a gap, never an override.
            if s.reason and by != "analyser":
                evidence = plain(f"override: {s.reason}", style="cyan")
            elif quote is not None:
                text = quote.text.strip()
                text = text if len(text) <= 90 else text[:89] + "…"
                label = "gap" if s.status == "gap" else "not"
                evidence = plain(f"{label}: {text}", style="red") if quote.negated else plain(text)
            elif s.status == "gap":
                evidence = plain("gap stated in the notes", style="red")
            else:
                evidence = Text()
            table.add_row(
                plain(criterion.name.get(lang) if criterion else cid),
                str(s.score),
                status_label(s.status, lang),
                {"analyser": "A", "rep": "R", "manager": "M"}.get(
                    found[cid].author_kind if cid in found else "", ""
                ),
                evidence,
            )
        out.print(table)
        for cid in scores:  # why, where a person's score or a later one waiting is involved
            f = found.get(cid)
            if f is not None and (f.author_kind != "analyser" or f.waiting or f.confirmed_by):
                out.print(plain(f"{cid}: {f.why()}", style="yellow" if f.waiting else "dim"))
    out.print(Text.assemble(("\nNotes", "bold"), f" ({len(notes)}, newest first)"))
    for n in notes:
        out.print(plain(f"{n['created_at'][:10]} {n['author'] or ''}", style="dim"))
        if n.get("title"):
            out.print(plain(n["title"], style="bold"))
        out.print(plain(n["text"]))
        out.print()


def _add_hand_edits() -> None:
    """add, edit, close, pause, resume and history live in their own module."""
    from kamcoach.cli.deal_edits_cmd import COMMANDS

    for command in COMMANDS:
        deals.add_command(command)


_add_hand_edits()
