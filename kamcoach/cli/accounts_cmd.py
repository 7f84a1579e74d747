"""``kamcoach accounts``: the accounts in the database."""

from __future__ import annotations

import click

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import format_option, render_rows
from kamcoach.storage import repo


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

    \b
    Example:
      kamcoach accounts list
    """
    rows = repo.list_accounts(obj.db)
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
        ],
        title="Accounts",
        keep=("id",),
        drop=("industry", "country", "contacts"),
        floors={"name": 20},
    )
