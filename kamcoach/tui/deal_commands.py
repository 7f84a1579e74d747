"""Command-palette entries for the deal records: "New deal", "Edit deal", "Close deal", "Pause deal".

Each entry is the screen's own key action (n on the pipeline; e, c, z on a
deal), offered only on the screen that has it, so the palette and the keys
never disagree.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from kamcoach.tui.commands import highlight

#: (label, help, the screen action it runs)
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("New deal", "Create a deal by hand (n)", "action_new_deal"),
    ("Edit deal", "Stage, amount, close date, owner, playbook, type (e)", "action_edit_deal"),
    ("Close deal won or lost", "With the reason (c)", "action_close_deal"),
    ("Pause or resume deal", "With the reason (z)", "action_pause_deal"),
)


class DealCommands(Provider):
    """The deal-record actions of the screen the palette was opened on."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        found = []
        for label, help_text, action in COMMANDS:
            method = getattr(self.screen, action, None)
            if callable(method):
                found.append((label, help_text, method))
        return found

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, method in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, highlight(matcher, label), method, text=label, help=help_text)

    async def discover(self) -> Hits:
        for label, help_text, method in self._commands():
            yield DiscoveryHit(Content(label), method, text=label, help=help_text)
