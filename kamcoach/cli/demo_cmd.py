"""``kamcoach demo``: fill a database with the demo pipeline and review it."""

from __future__ import annotations

import click

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console, render_rows
from kamcoach.io.demo import load_demo
from kamcoach.storage import repo


@click.command()
@click.option("--force", is_flag=True, help="Replace a database that already holds your own data.")
@pass_ctx
def demo(obj: Ctx, force: bool) -> None:
    """Load the bundled demo pipeline into the database and print the pipeline.

    Ten accounts, forty deals across every stage, four reps and 150+ call
    notes in French and English. Refuses to overwrite a database holding
    your own data unless --force is given.

    \b
    Example:
      kamcoach --db /tmp/demo.db demo
    """
    out = console()
    counts = load_demo(obj.db, force=force)
    out.print(
        f"[green]Demo loaded[/green] into {obj.path}: {counts['accounts']} accounts, "
        f"{counts['contacts']} contacts, {counts['opportunities']} deals, {counts['notes']} notes."
    )
    rows = _stage_summary(obj)
    render_rows(rows, "table", title="Pipeline by stage")


def _stage_summary(obj: Ctx) -> list[dict[str, object]]:
    from kamcoach.domain.stages import STAGES

    deals = repo.list_deals(obj.db)
    rows: list[dict[str, object]] = []
    for stage in STAGES:
        in_stage = [d for d in deals if d["stage"] == stage]
        rows.append(
            {
                "stage": stage,
                "deals": len(in_stage),
                "amount": float(sum(d["amount"] for d in in_stage)),
            }
        )
    return rows
