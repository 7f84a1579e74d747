"""``--stage`` values checked like deals and owners: case aside, with "did you mean".

click's Choice answers a typo with the whole list; people type "Proposal",
"closed won" or "negociation", so the stage is normalised first and a miss
names the closest stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
from click.shell_completion import CompletionItem
from sqlite_utils import Database

from kamcoach.domain.fuzzy import close_matches, did_you_mean
from kamcoach.errors import InputError


class StageType(click.ParamType):
    """One of ``stages``; ``Closed won``/``closed-won`` read as ``closed_won``."""

    name = "stage"

    def __init__(self, stages: Sequence[str]) -> None:
        self.stages = tuple(stages)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "[" + "|".join(self.stages) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        key = text.lower().replace(" ", "_").replace("-", "_")
        if key in self.stages:
            return key
        hint = did_you_mean([repr(s) for s in close_matches(text, self.stages)])
        self.fail(f"unknown stage {text!r}{hint} (one of: {', '.join(self.stages)})", param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        start = incomplete.lower()
        return [CompletionItem(s) for s in self.stages if s.startswith(start)]


def mine_option() -> Any:
    """``--mine``: only the deals of ``[defaults] owner`` in config.toml (else ``[user] name``)."""
    return click.option(
        "--mine",
        is_flag=True,
        help="Only your deals: [defaults] owner in config.toml, else your [user] name.",
    )


def owner_filter(db: Database, owner: str | None, mine: bool) -> str | None:
    """The owner to filter on, as stored; an unknown one is an error with "did you mean"."""
    from kamcoach.preferences import load_preferences
    from kamcoach.storage.lookup import check_owner

    if mine:
        if owner:
            raise InputError("--mine and --owner both name an owner: give one")
        prefs = load_preferences()
        owner = prefs.default_owner or prefs.user.name
        try:
            return check_owner(db, owner)
        except InputError as exc:
            raise InputError(f"--mine ({prefs.path}): {exc}") from None
    return check_owner(db, owner) if owner else None
