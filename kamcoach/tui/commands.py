"""Command-palette provider: jump to any deal or account by fuzzy name."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp


class DealsProvider(Provider):
    """Deals ("Deal: name · account · stage") and accounts ("Account: name")."""

    async def startup(self) -> None:
        app: KamcoachApp = self.app  # type: ignore[assignment]
        self.targets = await asyncio.to_thread(app.palette_targets)

    def _targets(self) -> list[tuple[str, str, Any]]:
        return getattr(self, "targets", [])

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app: KamcoachApp = self.app  # type: ignore[assignment]
        for label, help_text, (kind, value) in self._targets():
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(label), partial(app.jump, kind, value), help=help_text
                )

    async def discover(self) -> Hits:
        app: KamcoachApp = self.app  # type: ignore[assignment]
        for label, help_text, (kind, value) in self._targets()[:30]:
            yield DiscoveryHit(label, partial(app.jump, kind, value), help=help_text)
