"""``kamcoach demo``: fill a database with the demo pipeline and review it."""

from __future__ import annotations

import click
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console
from kamcoach.io.demo import load_demo


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
    obj.create = True  # `kamcoach demo --db NEW.db` is how a demo database is made
    counts = load_demo(obj.db, force=force)
    out.print(
        Text.assemble(
            ("Demo loaded", "green"),
            f" into {obj.path}: {counts['accounts']} accounts, {counts['contacts']} contacts, "
            f"{counts['opportunities']} deals, {counts['notes']} notes.",
        )
    )
    _analyse_demo(obj)
    from kamcoach.cli.pipeline_cmd import print_pipeline_table
    from kamcoach.review.pipeline import review_pipeline

    print_pipeline_table(review_pipeline(obj.db, obj.playbooks), obj.playbooks, None)


def _analyse_demo(obj: Ctx) -> None:
    """Score every demo deal with the note analyser (when installed) so the review has scores."""
    try:
        from kamcoach.review.deal_analysis import analyze_all
    except ImportError:
        return
    from kamcoach.cli.progress import Activity

    with Activity("Analysing demo notes") as bar:  # stderr, on a terminal only
        analyze_all(obj.db, obj.playbooks, progress=bar)
