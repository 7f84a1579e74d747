"""Command-palette entries for the deal records: "New deal", "Edit deal", "Close deal", "Pause deal".

Each entry is the screen's own key action (n on the pipeline; e, c, z on a
deal), offered only on the screen that has it, so the palette and the keys
never disagree.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from kamcoach.textsafe import textual_markup
from kamcoach.tui.commands import highlight
from kamcoach.tui.keys import key_for
from kamcoach.tui.strings import load_strings

#: (words: keys of [palette] in the strings, the screen action it runs)
COMMANDS: tuple[tuple[str, str], ...] = (
    ("new_deal", "new_deal"),
    ("edit_deal", "edit_deal"),
    ("close_deal", "close_deal"),
    ("pause_deal", "pause_deal"),
)


class DealCommands(Provider):
    """The deal-record actions of the screen the palette was opened on."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        strings = getattr(self.app, "strings", None) or load_strings("en")
        keymap = getattr(self.app, "_keymap", {})
        found = []
        for name, action in COMMANDS:
            method = getattr(self.screen, f"action_{action}", None)
            if callable(method):
                help_text = strings.palette(f"{name}_help")
                key = key_for(self.app, self.screen, action, keymap)
                if key:  # the key as it is now, overrides included
                    help_text = f"{help_text} ({key})"
                found.append((strings.palette(name), textual_markup(help_text), method))
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
