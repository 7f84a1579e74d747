"""Shell completion of deal ids and names and of owners, read from the database.

click completes commands and options by itself (``_KAMCOACH_COMPLETE=bash_source
kamcoach``); these functions add the values only the database knows. They
open the file read-only, never create it (a missing database completes
nothing) and never fail loudly: a broken or locked file completes nothing
rather than printing a traceback into the user's prompt.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from kamcoach.cli.context import Ctx

LIMIT = 60
"""At most this many candidates: a shell prompt is no place for a thousand deals."""


def _db_path(ctx: click.Context) -> Path | None:
    """The database the command line being completed names (``--db``), else the default."""
    from kamcoach.paths import default_db_path

    node: click.Context | None = ctx
    while node is not None:
        obj = node.obj
        if isinstance(obj, Ctx) and obj.db_path is not None:
            return obj.db_path
        value = node.params.get("db_path")
        if value:
            return Path(value)
        node = node.parent
    with suppress(Exception):
        return default_db_path()
    return None


def _rows(ctx: click.Context, sql: str) -> list[tuple[object, ...]]:
    path = _db_path(ctx)
    try:
        if path is None or not path.expanduser().is_file():
            return []
        uri = path.expanduser().resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=0.2)) as conn:
            return list(conn.execute(sql).fetchall())
    except (sqlite3.Error, OSError, ValueError):
        return []


def _matching(names: list[str], incomplete: str) -> Iterator[str]:
    """Names starting with what was typed, then those containing it (case aside)."""
    typed = incomplete.lower()
    yield from (n for n in names if n.lower().startswith(typed))
    yield from (n for n in names if typed in n.lower() and not n.lower().startswith(typed))


def complete_deal(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Deal ids (with the name as help) for digits; deal names (with the id) otherwise."""
    rows = _rows(ctx, "SELECT id, name FROM opportunities ORDER BY id")
    typed = incomplete.lstrip("#")
    if typed.isdigit() or not incomplete:
        found = [
            CompletionItem(str(deal_id), help=str(name))
            for deal_id, name in rows
            if str(deal_id).startswith(typed)
        ]
        return found[:LIMIT]
    ids: dict[str, int] = {}
    for deal_id, name in rows:
        ids.setdefault(str(name), int(str(deal_id)))
    return [CompletionItem(n, help=f"#{ids[n]}") for n in _matching(list(ids), incomplete)][:LIMIT]


def complete_owner(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Owners of deals and reps, those starting with what was typed first."""
    rows = _rows(ctx, "SELECT owner FROM opportunities UNION SELECT name FROM reps ORDER BY 1")
    names = [str(r[0]) for r in rows if r[0]]
    return [CompletionItem(n) for n in _matching(names, incomplete)][:LIMIT]


def add_completions(group: click.Group) -> None:
    """Every DEAL argument and ``--deal`` option completes deals, every ``--owner`` owners.

    Attached here, over all commands, so a new command taking a deal cannot forget it.
    """
    for command in group.commands.values():
        if isinstance(command, click.Group):
            add_completions(command)
            continue
        for param in command.params:
            if param.name == "deal":
                param._custom_shell_complete = complete_deal
            elif param.name == "owner":
                param._custom_shell_complete = complete_owner
