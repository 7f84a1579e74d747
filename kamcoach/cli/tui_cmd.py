"""``kamcoach tui`` (and bare ``kamcoach``): open the terminal app.

On first use the default database does not exist yet: it is created and
filled with the demo pipeline, and the app says so in one line, so a new user
lands on real-looking data instead of an empty table. Any other path that does
not exist is created only when the user says so (``--create``, or yes to the
question asked on a terminal), and empty: the demo never lands in a team's
file by accident.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from kamcoach.cli.context import Ctx, pass_ctx

DEMO_NOTICE = "No database yet at {path}: loaded the demo pipeline so you can look around."


EMPTY_NOTICE = "Created an empty database at {path}: import a CRM export or add a deal (n)."


def prepare_database(obj: Ctx) -> str | None:
    """Open the database, loading the demo into a brand-new default one; returns the notice."""
    path: Path = obj.path
    try:
        fresh = str(path) != ":memory:" and (not path.exists() or path.stat().st_size == 0)
    except OSError:  # a name too long, a folder we may not read: open_db says which
        fresh = False
    if fresh and not obj.is_default:
        if obj.missing() and not obj.create and _interactive():
            obj.check_path()  # a missing folder is refused before asking anything
            if not click.confirm(f"No database at {path}. Create an empty one?", default=False):
                raise click.exceptions.Exit(1)
            obj.create = True
        obj.db  # noqa: B018 (opens, creating it when allowed; refuses otherwise)
        return EMPTY_NOTICE.format(path=path)
    db = obj.db
    if not fresh:
        return None
    from kamcoach.io.demo import load_demo

    load_demo(db)
    return DEMO_NOTICE.format(path=path)


@click.command("tui")
@click.option(
    "--no-model",
    is_flag=True,
    help="Do not load the language model at start (faster; analysis loads it when needed).",
)
@pass_ctx
def tui(obj: Ctx, no_model: bool) -> None:
    """Open the terminal app: pipeline, deal scorecard, qualification, pre-call checklist.

    Runs on --db (or KAMCOACH_DB, or the default database). When the default
    database does not exist yet it is created with the demo pipeline; another
    path that does not exist is created empty only with --create (or when you
    answer yes on a terminal). Press F1 or ?
    in the app for the keys; ctrl+p jumps to any deal or account or runs an
    action; q quits. config.toml [interface] language = "fr" for French
    screens, [keys] "deal.note" = "ctrl+n" to move a key.

    \b
    Example:
      kamcoach                      # same as `kamcoach tui`
      kamcoach tui --db team.db
    """
    started = time.perf_counter()
    from kamcoach.preferences import load_preferences
    from kamcoach.tui.keys import check_keymap

    # A config.toml mistake (unknown binding id) stops here, before any database is made.
    preferences = load_preferences()
    check_keymap(preferences.keys, preferences.path)
    notice = prepare_database(obj)
    from kamcoach.storage.tx import read_only_reason
    from kamcoach.tui.app import make_app

    read_only = read_only_reason(obj.db)
    app = make_app(
        obj.db,
        obj.playbooks,
        notice=notice or (read_only and f"{read_only}: you can look, nothing can be saved"),
        preload_model=not no_model,
        started=started,
        # A demo just created is scored in the background, so it looks like `kamcoach demo`.
        analyse_on_ready=notice is not None and notice.startswith("No database yet"),
        preferences=preferences,
    )
    app.run()
    if app.return_code:
        # Textual prints the crash and returns; the shell must see a failure, not exit 0.
        sys.exit(app.return_code)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def register(group: click.Group) -> None:
    group.add_command(tui)
