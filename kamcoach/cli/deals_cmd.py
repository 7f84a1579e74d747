"""``kamcoach deals``: list deals and show one in detail."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console, format_option, render_rows
from kamcoach.domain.stages import DEAL_TYPES, OPEN_STAGES, STAGES
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
@click.option("--stage", type=click.Choice(STAGES), help="Only deals in this stage.")
@click.option("--open", "open_only", is_flag=True, help="Hide closed won/lost deals.")
@format_option()
@pass_ctx
def list_(obj: Ctx, owner: str | None, stage: str | None, open_only: bool, fmt: str) -> None:
    """List deals with stage, amount, close date, owner and latest score.

    \b
    Example:
      kamcoach deals list --open --format jsonl
    """
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
    )


@deals.command("show")
@click.argument("deal")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_ctx
def show(obj: Ctx, deal: str, fmt: str) -> None:
    """Show one deal (by id or exact name): scorecard, contacts, history and notes.

    The scorecard is the deal's effective qualification: the latest analyser
    scores with any rep or manager override on top, each with its best quote,
    in the playbook's order and the language of the deal's notes.

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
    from kamcoach.review.deal_analysis import effective_scores
    from kamcoach.review.prep import detect_deal_lang, status_label

    playbooks = obj.playbooks
    scores = effective_scores(db, row["id"], playbooks) if review is not None else {}
    if fmt == "json":
        payload = {
            "deal": row,
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
        for col in ("criterion", "score", "status", "evidence"):
            table.add_column(col)
        for cid, s in scores.items():
            criterion = playbooks.criteria.get(cid)
            quote = next((e for e in s.evidence if e.text.strip()), None)
            if s.reason:
                evidence = plain(f"override: {s.reason}", style="cyan")
            elif quote is not None:
                text = quote.text.strip()
                text = text if len(text) <= 90 else text[:89] + "…"
                evidence = plain(f"not: {text}", style="red") if quote.negated else plain(text)
            else:
                evidence = Text()
            table.add_row(
                plain(criterion.name.get(lang) if criterion else cid),
                str(s.score),
                status_label(s.status, lang),
                evidence,
            )
        out.print(table)
    out.print(Text.assemble(("\nNotes", "bold"), f" ({len(notes)}, newest first)"))
    for n in notes:
        out.print(plain(f"{n['created_at'][:10]} {n['author'] or ''}", style="dim"))
        out.print(plain(n["text"]))
        out.print()


# ---------------------------------------------------------------- hand edits (issue 12)

_HISTORY_COLUMNS = ["changed_at", "field", "old_value", "new_value", "reason", "author", "source"]


def _author_option() -> Any:
    return click.option(
        "--author", help="Who made the change (default: [user] name in config.toml)."
    )


def _print_changes(deal_id: int, history: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(history, ensure_ascii=False, indent=2, default=str))
        return
    if not history:
        click.echo(f"Deal #{deal_id}: nothing changed.")
        return
    out = console()
    for h in history:
        line = Text(f"#{deal_id} {h['field']}: ")
        line.append_text(plain(h["old_value"] if h["old_value"] is not None else "-"))
        line.append(" -> ")
        line.append_text(plain(h["new_value"] if h["new_value"] is not None else "-"))
        if h["reason"]:
            line.append(" (")
            line.append_text(plain(h["reason"]))
            line.append(")")
        out.print(line)


def _short_format() -> Any:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="table: one line per change; json: the history rows written.",
    )


@deals.command("add")
@click.argument("name")
@click.option("--account", required=True, help="Account id or exact name.")
@click.option("--new-account", is_flag=True, help="Create the account --account names.")
@click.option("--amount", default="0", show_default=True, help="Deal value.")
@click.option("--currency", default="EUR", show_default=True, help="3-letter currency code.")
@click.option(
    "--stage",
    type=click.Choice(OPEN_STAGES),
    default="discovery",
    show_default=True,
    help="Open stage the deal starts in.",
)
@click.option("--close-date", metavar="YYYY-MM-DD", help="Expected close date.")
@click.option("--owner", help="The rep who owns it (default: your name, [user] in config.toml).")
@click.option(
    "--type",
    "deal_type",
    type=click.Choice(DEAL_TYPES),
    default="new",
    show_default=True,
    help="New business, upsell or renewal.",
)
@click.option("--playbook", metavar="ID", help="Qualification playbook (default: team.toml).")
@_author_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: one line; json: the deal as stored.",
)
@pass_ctx
def add(
    obj: Ctx,
    name: str,
    account: str,
    new_account: bool,
    amount: str,
    currency: str,
    stage: str,
    close_date: str | None,
    owner: str | None,
    deal_type: str,
    playbook: str | None,
    author: str | None,
    fmt: str,
) -> None:
    """Create a deal by hand, in an existing account or a new one (--new-account).

    The playbook is checked against the loaded playbooks; without --playbook
    the deal gets the team default ([defaults] playbook in team.toml). A name
    already used by a deal of the same account is refused (imports match deals
    by account and name).

    \b
    Example:
      kamcoach deals add "Data platform 2027" --account "Carrefour" --amount 120000 \\
          --close-date 2027-03-31 --stage qualification --playbook meddpicc
      kamcoach deals add "Pilot" --account "Nouvelle Société" --new-account
    """
    from kamcoach.records import deals as records
    from kamcoach.team import load_team_settings

    playbooks = obj.playbooks
    ids = tuple(playbooks.playbooks)
    default = load_team_settings(ids).default_playbook if playbook is None else ""
    deal_id = records.create_deal(
        obj.db,
        records.NewDeal(
            account=account,
            name=name,
            amount=amount,
            currency=currency,
            stage=stage,
            close_date=close_date,
            owner=owner,
            type=deal_type,
            playbook=playbook,
            new_account=new_account,
        ),
        ids,
        default_playbook=default,
        author=author,
    )
    row = repo.get_deal(obj.db, deal_id)
    if fmt == "json":
        click.echo(json.dumps(row, ensure_ascii=False, indent=2, default=str))
        return
    line = Text(f"Created deal #{deal_id} ")
    line.append_text(plain(row["name"], style="bold"))
    line.append(" in ")
    line.append_text(plain(row["account"]))
    line.append(f"{' (new account)' if new_account else ''}: {row['stage']}, ")
    line.append(f"{row['amount']:,.0f} ")
    line.append_text(plain(row["currency"]))
    line.append(", owner ")
    line.append_text(plain(row["owner"]))
    line.append(f", playbook {row['playbook']}.")
    console().print(line)


@deals.command("edit")
@click.argument("deal")
@click.option(
    "--stage", type=click.Choice(STAGES), help="New stage (an open one reopens a closed deal)."
)
@click.option("--amount", help="New amount.")
@click.option("--currency", help="New 3-letter currency code.")
@click.option("--close-date", metavar="YYYY-MM-DD", help="New expected close date.")
@click.option("--owner", help="New owner (a rep's name; a new name adds the rep).")
@click.option("--type", "deal_type", type=click.Choice(DEAL_TYPES), help="New deal type.")
@click.option("--playbook", metavar="ID", help="New qualification playbook.")
@click.option("--name", help="New deal name.")
@click.option("--reason", help="Why (kept in the history; required to reopen a closed deal).")
@_author_option()
@_short_format()
@pass_ctx
def edit(
    obj: Ctx,
    deal: str,
    stage: str | None,
    amount: str | None,
    currency: str | None,
    close_date: str | None,
    owner: str | None,
    deal_type: str | None,
    playbook: str | None,
    name: str | None,
    reason: str | None,
    author: str | None,
    fmt: str,
) -> None:
    """Change a deal's stage, amount, close date, owner, playbook, type, currency or name.

    Every change goes to the deal's history with its old and new value, your
    name and the reason, as an import's changes do. Closing takes a reason:
    use `kamcoach deals close`. A closed deal takes corrections (amount,
    currency, close date, owner, type, name); a stage back to an open stage
    reopens it (--reason required).

    \b
    Example:
      kamcoach deals edit 12 --stage negotiation --close-date 2027-02-15 --reason "PO expected"
      kamcoach deals edit "Data platform 2027" --owner "Sarah Collins"
    """
    from kamcoach.records import deals as records

    given = {
        "stage": stage,
        "amount": amount,
        "currency": currency,
        "close_date": close_date,
        "owner": owner,
        "type": deal_type,
        "playbook": playbook,
        "name": name,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    deal_id = int(repo.get_deal(obj.db, deal)["id"])
    history = records.edit_deal(
        obj.db, deal_id, changes, tuple(obj.playbooks.playbooks), reason=reason, author=author
    )
    _print_changes(deal_id, history, fmt)


@deals.command("close")
@click.argument("deal")
@click.option("--won/--lost", default=None, help="Closed won or closed lost (one is required).")
@click.option("--reason", required=True, help="Why it was won or lost (kept in the history).")
@_author_option()
@_short_format()
@pass_ctx
def close(obj: Ctx, deal: str, won: bool | None, reason: str, author: str | None, fmt: str) -> None:
    """Close a deal won or lost, with the reason (stage and reason in one change).

    A paused deal is resumed by closing it. To reopen a closed deal, move it
    back to an open stage: `kamcoach deals edit DEAL --stage negotiation --reason ...`.

    \b
    Example:
      kamcoach deals close 12 --won --reason "Signed after the security review"
      kamcoach deals close 7 --lost --reason "Budget moved to the ERP project"
    """
    from kamcoach.records import deals as records

    if won is None:
        raise click.UsageError("say how it closed: --won or --lost")
    deal_id = int(repo.get_deal(obj.db, deal)["id"])
    history = records.close_deal(obj.db, deal_id, won=won, reason=reason, author=author)
    _print_changes(deal_id, history, fmt)


@deals.command("pause")
@click.argument("deal")
@click.option("--reason", required=True, help="Why the deal is on hold (kept in the history).")
@click.option("--until", metavar="YYYY-MM-DD", help="When it is expected to restart.")
@_author_option()
@_short_format()
@pass_ctx
def pause(
    obj: Ctx, deal: str, reason: str, until: str | None, author: str | None, fmt: str
) -> None:
    """Pause an open deal the customer put on hold, with the reason.

    With --until, the pipeline review's stale and stuck flags wait until that
    date. Closing a paused deal ends the pause; `kamcoach deals resume` ends it
    by hand.

    \b
    Example:
      kamcoach deals pause 12 --reason "Budget frozen until the Q2 review" --until 2027-04-15
    """
    from kamcoach.records import deals as records

    deal_id = int(repo.get_deal(obj.db, deal)["id"])
    history = records.pause_deal(obj.db, deal_id, reason=reason, until=until, author=author)
    _print_changes(deal_id, history, fmt)


@deals.command("resume")
@click.argument("deal")
@click.option("--reason", required=True, help="What restarted it (kept in the history).")
@_author_option()
@_short_format()
@pass_ctx
def resume(obj: Ctx, deal: str, reason: str, author: str | None, fmt: str) -> None:
    """End a deal's pause.

    \b
    Example:
      kamcoach deals resume 12 --reason "Budget released at the Q2 review"
    """
    from kamcoach.records import deals as records

    deal_id = int(repo.get_deal(obj.db, deal)["id"])
    history = records.resume_deal(obj.db, deal_id, reason=reason, author=author)
    _print_changes(deal_id, history, fmt)


@deals.command("history")
@click.argument("deal")
@format_option()
@pass_ctx
def history_(obj: Ctx, deal: str, fmt: str) -> None:
    """Every recorded change of a deal, oldest first: imports and hand edits, with reasons.

    \b
    Example:
      kamcoach deals history 12
      kamcoach deals history "Data platform 2027" --format json
    """
    from kamcoach.records import deals as records

    row = repo.get_deal(obj.db, deal)
    render_rows(
        records.deal_history(obj.db, row["id"]),
        fmt,
        columns=_HISTORY_COLUMNS,
        title=f"History of #{row['id']} {row['name']}",
    )
