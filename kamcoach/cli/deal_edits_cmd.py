"""``kamcoach deals add|edit|close|pause|resume|history``: deals created and changed by hand.

Thin faces of :mod:`kamcoach.records.deals` (the functions the TUI's deal forms
call too); attached to the ``deals`` group by :mod:`kamcoach.cli.deals_cmd`.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.lookup import StageType
from kamcoach.cli.output import console, format_option, render_rows
from kamcoach.domain.stages import DEAL_TYPES, OPEN_STAGES, STAGES
from kamcoach.storage import repo
from kamcoach.textsafe import plain

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


@click.command("add")
@click.argument("name")
@click.option("--account", required=True, help="Account id or exact name.")
@click.option("--new-account", is_flag=True, help="Create the account --account names.")
@click.option("--amount", default="0", show_default=True, help="Deal value.")
@click.option("--currency", default="EUR", show_default=True, help="3-letter currency code.")
@click.option(
    "--stage",
    type=StageType(OPEN_STAGES),
    default="discovery",
    show_default=True,
    help="Open stage the deal starts in.",
)
@click.option("--close-date", metavar="YYYY-MM-DD", help="Expected close date.")
@click.option(
    "--owner",
    help="The rep who owns it (default: [defaults] owner in config.toml, else your [user] name).",
)
@click.option(
    "--type",
    "deal_type",
    type=click.Choice(DEAL_TYPES),
    default="new",
    show_default=True,
    help="New business, upsell or renewal.",
)
@click.option(
    "--playbook",
    metavar="ID",
    help="Qualification playbook (default: [defaults] playbook in config.toml, else team.toml).",
)
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
    the deal gets yours ([defaults] playbook in config.toml), else the team
    default ([defaults] playbook in team.toml). Without --owner it is owned by
    [defaults] owner in config.toml, else by you ([user] name). A name
    already used by a deal of the same account is refused (imports match deals
    by account and name).

    \b
    Example:
      kamcoach deals add "Data platform 2027" --account "Carrefour" --amount 120000 \\
          --close-date 2027-03-31 --stage qualification --playbook meddpicc
      kamcoach deals add "Pilot" --account "Nouvelle Société" --new-account
    """
    from kamcoach.preferences import load_preferences
    from kamcoach.preferences_file import check_playbook
    from kamcoach.records import deals as records
    from kamcoach.team import load_team_settings

    playbooks = obj.playbooks
    ids = tuple(playbooks.playbooks)
    prefs = load_preferences()
    check_playbook(prefs, ids)
    default = ""
    if playbook is None:
        default = prefs.default_playbook or load_team_settings(ids).default_playbook
    owner = owner if owner and owner.strip() else prefs.default_owner
    if owner:
        from kamcoach.storage.lookup import owner_for_write

        owner = owner_for_write(obj.db, owner)
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


@click.command("edit")
@click.argument("deal")
@click.option(
    "--stage", type=StageType(STAGES), help="New stage (an open one reopens a closed deal)."
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
    if owner is not None and owner.strip():
        from kamcoach.storage.lookup import owner_for_write

        changes["owner"] = owner_for_write(obj.db, owner)
    history = records.edit_deal(
        obj.db, deal_id, changes, tuple(obj.playbooks.playbooks), reason=reason, author=author
    )
    _print_changes(deal_id, history, fmt)


@click.command("close")
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


@click.command("pause")
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


@click.command("resume")
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


@click.command("history")
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
        drop=("source", "author"),
    )


#: The commands this module adds to ``kamcoach deals``.
COMMANDS: tuple[click.Command, ...] = (add, edit, close, pause, resume, history_)
