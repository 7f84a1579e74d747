"""``kamcoach accounts``: the accounts in the database."""

from __future__ import annotations

import click

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import format_option, print_left_out, render_rows
from kamcoach.records.open_pipeline import accounts_with_pipeline


@click.group()
def accounts() -> None:
    """Accounts (customers and prospects) with their open pipeline.

    \b
    Example:
      kamcoach accounts list --format csv > accounts.csv
    """


@accounts.command("list")
@format_option()
@pass_ctx
def list_(obj: Ctx, fmt: str) -> None:
    """List accounts with their number of deals, contacts and open pipeline.

    The open pipeline is in the team's base currency at the team's rates
    ([currency] in team.toml); json, jsonl, csv and md add base_currency and
    the left_out deals (no rate for their currency), which the table names
    under it.

    \b
    Example:
      kamcoach accounts list
      kamcoach accounts list --format json
    """
    rows, left_out = accounts_with_pipeline(obj.db)
    for row in rows:
        row["key_account"] = bool(row["key_account"])
    render_rows(
        rows,
        fmt,
        columns=[
            "id",
            "name",
            "industry",
            "country",
            "key_account",
            "deals",
            "contacts",
            "open_pipeline",
            *(("base_currency", "left_out") if fmt != "table" else ()),
        ],
        title=f"Accounts (open pipeline in {rows[0]['base_currency']})" if rows else "Accounts",
        keep=("id",),
        drop=("industry", "country", "contacts"),
        floors={"name": 20},
    )
    print_left_out(left_out, fmt)
