"""``kamcoach deals next-step``: set, complete and show a deal's agreed next step."""

from __future__ import annotations

import json

import click

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console
from kamcoach.errors import InputError
from kamcoach.textsafe import plain


@click.command("next-step")
@click.argument("deal")
@click.option("--what", help="What was agreed (e.g. 'Demo to the CFO').")
@click.option("--who", help="Who does it (a name, 'us', 'the customer').")
@click.option(
    "--due", metavar="DATE", help="When, YYYY-MM-DD (a past date is accepted with a warning)."
)
@click.option("--done", is_flag=True, help="Mark the current next step as done.")
@click.option("--history", is_flag=True, help="Every next step the deal had, newest first.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_ctx
def next_step(
    obj: Ctx,
    deal: str,
    what: str | None,
    who: str | None,
    due: str | None,
    done: bool,
    history: bool,
    fmt: str,
) -> None:
    """Show or set DEAL's agreed next step (what, who, when).

    With --what, records a new next step signed with your name (config.toml
    [user] name); it becomes the current one and the old one stays in the
    history. --done marks the current one done. Without either, shows the
    current next step (--history: all of them). The pipeline review, `deals
    show` and the pre-call checklist show the current one and say when it is
    overdue.

    \b
    Example:
      kamcoach deals next-step 7 --what "Demo to the CFO" --who "Camille" --due 2026-12-04
      kamcoach deals next-step 7 --done
      kamcoach deals next-step "Acme renewal" --history
    """
    from kamcoach.clock import today
    from kamcoach.records import next_steps
    from kamcoach.storage import repo

    if what is None and (who is not None or due is not None):
        raise InputError("--who and --due go with --what (the step itself)")
    if done and what is not None:
        raise InputError("give --what (a new step) or --done (finish the current one), not both")
    db = obj.db
    row = repo.get_deal(db, deal)
    deal_id = int(row["id"])
    label = f"deal #{deal_id} {row['name']}"
    if what is not None:
        result = next_steps.set_next_step(db, deal_id, what, who=who, due=due, source="deal")
        if result.warning:
            click.secho(f"warning: {result.warning}", err=True, fg="yellow")
        verb = "next step set" if result.changed else "next step unchanged"
        click.echo(f"{label}: {verb}: {result.step.summary(today())}")
        return
    if done:
        step = next_steps.mark_done(db, deal_id)
        click.echo(f"{label}: done: {step.what}")
        return
    steps = next_steps.history(db, deal_id) if history else []
    if not history:
        current = next_steps.current(db, deal_id)
        steps = [current] if current is not None else []
    if fmt == "json":
        click.echo(json.dumps([s.to_dict() for s in steps], ensure_ascii=False, indent=2))
        return
    if not steps:
        click.echo(f"{label}: no next step agreed (set one with --what)")
        return
    if not history:
        click.echo(f"{label}: {steps[0].summary(today())}")
        return
    # One line per step, newest first: a table of seven columns folds every word at 80.
    out = console()
    out.print(plain(f"Next steps of {label}, newest first", style="bold"))
    day = today()
    for i, s in enumerate(steps):
        line = plain(f"{s.set_at[:10]}  ", style="dim")
        line.append_text(plain(s.summary(day), style="" if i == 0 else "dim"))
        line.append_text(plain(f"  · set by {s.set_by or '?'} ({s.source})", style="dim"))
        out.print(line)


def register(_group: click.Group) -> None:
    """Attach ``next-step`` to the ``deals`` group (its module is owned elsewhere)."""
    from kamcoach.cli.deals_cmd import deals

    deals.add_command(next_step)
