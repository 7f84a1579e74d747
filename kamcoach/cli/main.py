"""``kamcoach``: the command-line entry point.

A bare ``kamcoach`` opens the terminal app; subcommands serve scripts and
quick looks. User mistakes (bad files, unknown ids, broken playbooks) end as
one ``error:`` line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from kamcoach import __version__
from kamcoach.cli.context import Ctx
from kamcoach.errors import KamcoachError


def one_line(message: str) -> str:
    """``message`` with line breaks and control characters escaped (``\\n``, ``\\x1b``).

    Error messages quote user data (names, owners, file content) that may hold
    a newline, which would split the one ``error:`` line scripts rely on, or a
    terminal escape sequence, which would act on the user's terminal.
    """
    if message.isprintable():
        return message
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


class KamcoachGroup(click.Group):
    """A click group that turns user errors into one clear line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KamcoachError as exc:
            click.secho(f"error: {one_line(str(exc))}", err=True, fg="red")
            sys.exit(exc.exit_code)
        except sqlite3.OperationalError as exc:
            from kamcoach.storage.tx import write_error_message

            said = write_error_message(exc)  # "locked" and "readonly" in words a user can act on
            if said == str(exc):
                said = f"database problem: {exc}"
            click.secho(f"error: {one_line(said)}", err=True, fg="red")
            sys.exit(1)
        except BrokenPipeError:
            sys.exit(0)
        finally:
            obj = ctx.find_object(Ctx)
            if obj is not None:
                obj.close()


@click.group(
    cls=KamcoachGroup,
    invoke_without_command=True,
    # Inherited by every subcommand: `kamcoach deals list -h` as in gh or git.
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KAMCOACH_DB",
    help="SQLite file to use (default: kamcoach.db in your data folder; env KAMCOACH_DB).",
)
@click.option(
    "--create",
    is_flag=True,
    envvar="KAMCOACH_CREATE",
    help="Create the database if --db names a file that does not exist yet (an empty one).",
)
@click.version_option(__version__, prog_name="kamcoach")
@click.pass_context
def main(ctx: click.Context, db_path: Path | None, create: bool, **tui_options: Any) -> None:
    """kamcoach: qualify deals, review the pipeline and prepare calls.

    Scores opportunities against MEDDIC, MEDDPICC or BANT from French and
    English call notes, flags weak pipeline for managers and builds
    Natural Selling pre-call checklists for reps. Run without a command to
    open the terminal app.

    \b
    The three jobs:
      before a call (rep)        kamcoach prep DEAL
      pipeline review (manager)  kamcoach pipeline; kamcoach coach
      qualification scoring      kamcoach analyze NOTE; kamcoach deals analyze --all

    \b
    Example:
      kamcoach demo              # load the demo pipeline and review it
      kamcoach deals show 12     # one deal, its contacts, notes and reviews
    """
    from kamcoach.clock import check_pinned_today

    check_pinned_today()  # before any command, so the TUI never meets a bad date in a worker
    ctx.obj = Ctx(db_path=db_path, create=create)
    tui = main.get_command(ctx, "tui")
    assert tui is not None
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui, **tui_options)
        return
    given = [
        p.opts[0]
        for p in tui.params
        if p.name in tui_options
        and ctx.get_parameter_source(p.name) is not click.core.ParameterSource.DEFAULT
    ]
    if given:
        raise click.UsageError(
            f"{given[0]} opens the terminal app: use it without a command "
            f"(or after `kamcoach tui`), not with `{ctx.invoked_subcommand}`"
        )


def _register() -> None:
    """Attach every command; each module keeps its own imports light (no spaCy, no Textual)."""
    from kamcoach.cli import (
        accounts_cmd,
        analyze_cmd,
        config_cmd,
        contacts_cmd,
        deals_cmd,
        demo_cmd,
        doctor_cmd,
        io_cmd,
        next_step_cmd,
        notes_cmd,
        pipeline_cmd,
        playbooks_cmd,
        prep_cmd,
        proposals_cmd,
        reps_cmd,
        review_cmd,
        tui_cmd,
    )

    main.add_command(demo_cmd.demo)
    main.add_command(playbooks_cmd.playbooks)
    main.add_command(accounts_cmd.accounts)
    main.add_command(contacts_cmd.contacts)
    main.add_command(deals_cmd.deals)
    main.add_command(doctor_cmd.doctor)
    main.add_command(proposals_cmd.proposals)
    main.add_command(reps_cmd.reps_group)
    _add_tui_options(main, tui_cmd.tui)
    for module in (
        analyze_cmd,
        pipeline_cmd,
        tui_cmd,
        io_cmd,
        prep_cmd,
        notes_cmd,
        next_step_cmd,
        review_cmd,
        config_cmd,
    ):
        module.register(main)
    _add_db_option(main)
    from kamcoach.cli.completion import add_completions

    add_completions(main)


def _add_tui_options(group: click.Group, tui: click.Command) -> None:
    """Bare ``kamcoach`` runs ``kamcoach tui``, so it takes the same options (``--no-model``)."""
    have = {p.name for p in group.params}
    group.params.extend(p for p in tui.params if isinstance(p, click.Option) and p.name not in have)


def _set_db(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(Ctx).db_path = value


def _set_create(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Ctx).create = True


def _add_db_option(group: click.Group) -> None:
    """Accept ``--db`` after the command too (``kamcoach tui --db team.db``).

    People type the option where they think of it; the group's ``--db`` (and
    ``KAMCOACH_DB``) stay the default and the one given last wins. Added to
    every command here so no command can forget it.
    """
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _add_db_option(command)
            continue
        if not any(p.name == "create" for p in command.params):
            command.params.append(
                click.Option(
                    ["--create"],
                    is_flag=True,
                    expose_value=False,
                    is_eager=True,
                    callback=_set_create,
                    help="Create the database if --db names a file that does not exist yet.",
                )
            )
        if any(p.name == "db_path" for p in command.params):
            continue
        command.params.append(
            click.Option(
                ["--db", "db_path"],
                type=click.Path(dir_okay=False, path_type=Path),
                expose_value=False,
                is_eager=True,
                callback=_set_db,
                help="SQLite file to use (same as `kamcoach --db PATH COMMAND`).",
            )
        )


_register()
