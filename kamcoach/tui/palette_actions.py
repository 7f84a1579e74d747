"""Command-palette entries for kamcoach's own actions: new note, new deal, filter, sort,
export, and going to another screen (pipeline, reps, qualification, checklist...).

Each entry runs a screen's own key action, so the palette and the keys never
disagree; the key is shown beside it (with the user's overrides). Entries that
belong to a deal (new note, qualify...) are offered on the deal's screens;
pipeline entries (filter, sort, new deal) work from anywhere by going back to
the pipeline first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from kamcoach.textsafe import textual_markup
from kamcoach.tui.commands import highlight
from kamcoach.tui.keys import key_for

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp


@dataclass(frozen=True, slots=True)
class PaletteAction:
    """One entry: its words (keys of [palette] in the strings), the action it runs,
    and where: 'screen' (the current screen must have it) or 'pipeline'."""

    name: str
    action: str
    where: str = "screen"


ACTIONS: tuple[PaletteAction, ...] = (
    PaletteAction("new_note", "add_note"),
    PaletteAction("new_deal", "new_deal", "pipeline"),
    PaletteAction("filter", "filter", "pipeline"),
    PaletteAction("sort", "sort", "pipeline"),
    PaletteAction("export", "export"),
    PaletteAction("go_pipeline", "", "pipeline"),
    PaletteAction("go_reps", "reps", "pipeline"),
    PaletteAction("go_qualify", "qualify"),
    PaletteAction("go_checklist", "prep"),
    PaletteAction("go_contacts", "contacts"),
    PaletteAction("go_review", "review"),
)


class ScreenCommands(Provider):
    """kamcoach's actions that make sense from the screen the palette was opened on."""

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """(label, help, callback) for the current screen, in the interface language."""
        from kamcoach.tui.screens.pipeline import PipelineScreen
        from kamcoach.tui.screens.reps import RepsScreen

        screen = self.screen
        on_pipeline = isinstance(screen, PipelineScreen)
        strings = self.kapp.strings
        found: list[tuple[str, str, Callable[[], Any]]] = []
        for entry in ACTIONS:
            if entry.name == "go_pipeline" and on_pipeline:
                continue
            if entry.name == "go_reps" and isinstance(screen, RepsScreen):
                continue
            if entry.name == "new_deal" and on_pipeline:
                continue  # the pipeline's own "New deal" entry (deal_commands) is there
            if entry.where == "screen" and not callable(
                getattr(screen, f"action_{entry.action}", None)
            ):
                continue
            label = strings.palette(entry.name)
            help_text = strings.palette(f"{entry.name}_help")
            key_node = screen if entry.where == "screen" or on_pipeline else None
            key = (
                key_for(self.kapp, key_node, entry.action, self.kapp._keymap) if key_node else None
            )
            if key and entry.action:
                help_text = f"{help_text} ({key})"
            found.append((label, textual_markup(help_text), self._runner(entry)))
        return found

    def _runner(self, entry: PaletteAction) -> Callable[[], Any]:
        screen = self.screen

        def run() -> None:
            target: Any = screen
            if entry.where == "pipeline":
                target = self.kapp._back_to_pipeline()
            if target is not None and entry.action:
                getattr(target, f"action_{entry.action}")()

        return run

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, run in self.commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, highlight(matcher, label), run, text=label, help=help_text)

    async def discover(self) -> Hits:
        for label, help_text, run in self.commands():
            yield DiscoveryHit(Content(label), run, text=label, help=help_text)
