"""Command-palette provider: jump to any deal or account by fuzzy name (open deals first).

The kamcoach actions (new note, filter, switch screen...) are in
:mod:`kamcoach.tui.palette_actions`.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from kamcoach.textsafe import textual_markup

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp


CLOSED_WEIGHT = 0.6
"""A closed deal's match score is scaled by this, below open deals that match as well."""


class DealsProvider(Provider):
    """Deals ("Deal: name · account · stage") and accounts ("Account: name")."""

    async def startup(self) -> None:
        app: KamcoachApp = self.app  # type: ignore[assignment]
        self.targets = await asyncio.to_thread(app.palette_targets)

    def _targets(self) -> list[tuple[str, str, Any, bool]]:
        return getattr(self, "targets", [])

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app: KamcoachApp = self.app  # type: ignore[assignment]
        for label, help_text, (kind, value), closed in self._targets():
            score = matcher.match(label)
            if score > 0:
                if closed:  # an open deal of the same name comes first
                    score *= CLOSED_WEIGHT
                yield Hit(
                    score,
                    highlight(matcher, label),
                    partial(app.jump, kind, value),
                    text=label,
                    help=textual_markup(help_text),
                )

    async def discover(self) -> Hits:
        app: KamcoachApp = self.app  # type: ignore[assignment]
        for label, help_text, (kind, value), _closed in self._targets()[:30]:
            yield DiscoveryHit(
                Content(label),
                partial(app.jump, kind, value),
                text=label,
                help=textual_markup(help_text),
            )


def highlight(matcher: Matcher, label: str) -> Content:
    """The label as plain content with the fuzzy match highlighted.

    ``Matcher.highlight`` reads the label as markup (a deal named ``[/red]``
    would break the palette); the palette's help line is markup too, hence
    ``textual_markup`` above.
    """
    content = Content(label)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    for offset in offsets:
        if not label[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
