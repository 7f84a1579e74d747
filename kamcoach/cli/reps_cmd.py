"""``kamcoach reps``: the reps who own deals and accounts (list, add, edit, show)."""

from __future__ import annotations

import click
from rich.table import Table

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console, format_option, print_left_out, render_rows
from kamcoach.errors import InputError
from kamcoach.records import reps
from kamcoach.records.currency import LeftOut, amount_text
from kamcoach.textsafe import plain

_COLUMNS = [
    "id",
    "name",
    "email",
    "manager",
    "team",
    "language",
    "open_deals",
    "open_pipeline",
    "accounts",
]


@click.group("reps")
def reps_group() -> None:
    """Reps: the people who own deals and accounts, with their manager and team.

    Imports create a rep for every new deal owner; here you complete them
    (e-mail, manager, team, language) or rename them: a rename shows at once
    on every deal they own, and `kamcoach pipeline --owner` follows it.

    \b
    Example:
      kamcoach reps list --team "Enterprise"
      kamcoach reps edit "Camille Martin" --manager "Sarah Collins" --lang fr
    """


def _edit_options(fn: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(
        [
            click.option("--email", help="The rep's e-mail address ('' clears it)."),
            click.option("--manager", help="Their manager: another rep's id or name ('' clears)."),
            click.option("--team", help="The team they belong to ('' clears it)."),
            click.option(
                "--lang",
                "language",
                type=click.Choice(["en", "fr", ""]),
                help="The language they write notes in (en or fr; '' clears it).",
            ),
        ]
    ):
        fn = option(fn)
    return fn


@reps_group.command("list")
@click.option("--team", help="Only the reps of this team.")
@format_option()
@pass_ctx
def list_(obj: Ctx, team: str | None, fmt: str) -> None:
    """List reps with their manager, team and portfolio (open deals and pipeline, accounts).

    The open pipeline is in the team's base currency ([currency] in
    team.toml); json, jsonl, csv and md add base_currency and the left_out
    deals (no rate for their currency), which the table names under it.

    \b
    Example:
      kamcoach reps list
      kamcoach reps list --team Enterprise --format csv > reps.csv
    """
    rows, left_out = reps.list_reps_totals(obj.db, team=team)
    extra = ["base_currency", "left_out"] if fmt != "table" else []
    title = f"Reps (open pipeline in {rows[0]['base_currency']})" if rows else "Reps"
    render_rows(rows, fmt, columns=_COLUMNS + extra, title=title)
    print_left_out(left_out, fmt)


@reps_group.command("add")
@click.argument("name")
@_edit_options
@pass_ctx
def add(
    obj: Ctx,
    name: str,
    email: str | None,
    manager: str | None,
    team: str | None,
    language: str | None,
) -> None:
    """Add a rep (a new hire, a manager) before they own any deal.

    \b
    Example:
      kamcoach reps add "Sarah Collins" --email sarah@example.com --team Enterprise
      kamcoach reps add "Hugo Blanc" --manager "Sarah Collins" --lang fr
    """
    fields = reps.RepFields(email=email, manager=manager, team=team, language=language)
    rep_id = reps.add_rep(obj.db, name, fields)
    rep = reps.get_rep(obj.db, rep_id)
    click.echo(f"Added rep #{rep_id}: {rep['name']}")


@reps_group.command("edit")
@click.argument("rep")
@click.option("--name", help="A new name: every deal they own shows it at once.")
@_edit_options
@pass_ctx
def edit(
    obj: Ctx,
    rep: str,
    name: str | None,
    email: str | None,
    manager: str | None,
    team: str | None,
    language: str | None,
) -> None:
    """Edit a rep (by id or name): name, e-mail, manager, team, language.

    Only the options given change; an empty value ('') clears that field.
    A manager cannot be the rep or anyone who reports to them.

    \b
    Example:
      kamcoach reps edit "camille martin" --name "Camille Martin-Dupont"
      kamcoach reps edit 3 --manager "Sarah Collins" --team Enterprise
    """
    fields = reps.RepFields(name=name, email=email, manager=manager, team=team, language=language)
    if fields == reps.RepFields():
        raise InputError("nothing to change: give --name, --email, --manager, --team or --lang")
    saved = reps.edit_rep(obj.db, rep, fields)
    click.echo(f"Saved rep #{saved['id']}: {saved['name']}")


@reps_group.command("show")
@click.argument("rep")
@format_option(("table", "json"))
@pass_ctx
def show(obj: Ctx, rep: str, fmt: str) -> None:
    """Show a rep's portfolio: their accounts and open deals.

    \b
    Example:
      kamcoach reps show "Camille Martin"
    """
    data = reps.portfolio(obj.db, rep)
    if fmt == "json":
        import json

        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out = console()
    facts = [
        f"#{data['id']} {data['name']}",
        f"e-mail: {data['email'] or '-'}",
        f"manager: {data['manager'] or '-'}",
        f"team: {data['team'] or '-'}",
        f"language: {data['language'] or '-'}",
    ]
    if data["reports"]:
        facts.append("manages: " + ", ".join(data["reports"]))
    for line in facts:
        out.print(plain(line))
    accounts = Table(
        title=plain(
            f"Accounts ({len(data['accounts'])}, open pipeline in {data['base_currency']})"
        ),
        header_style="bold",
    )
    for column in ("id", "account", "open deals", "open pipeline"):
        accounts.add_column(column, justify="right" if column != "account" else "left")
    for a in data["accounts"]:
        accounts.add_row(
            str(a["id"]), plain(a["name"]), str(a["open_deals"]), f"{a['open_pipeline']:,.0f}"
        )
    out.print(accounts)
    deals = Table(title=plain(f"Open deals ({len(data['deals'])})"), header_style="bold")
    for column in ("id", "deal", "account", "stage", "amount", "close date"):
        deals.add_column(column, justify="right" if column in ("id", "amount") else "left")
    for d in data["deals"]:
        deals.add_row(
            str(d["id"]),
            plain(d["name"]),
            plain(d["account"]),
            d["stage"],
            plain(amount_text(d["amount"], d["currency"], d["amount_base"], d["base_currency"])),
            d["close_date"] or "",
        )
    out.print(deals)
    left_out = [LeftOut(lo["currency"], tuple(lo["deals"])) for lo in data["left_out"]]
    print_left_out(left_out, "table")
