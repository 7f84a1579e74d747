"""The help screen (F1 or ?): what the current screen is for and a table of its keys.

The table is built from the live bindings of the screen the help was opened
on and of the app, with the user's key overrides applied and in the interface
language, keys hidden from the footer included: it cannot drift from what the
keys really do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from kamcoach.tui.keys import KeyRow, key_rows
from kamcoach.tui.strings import Strings, screen_id


class HelpScreen(ModalScreen[None]):
    """Heading, the keys of the screen and the app-wide ones, then what the screen is for.

    One scrolling pane (arrows, page up/down): the key table comes first, so at
    80x24 the keys are what shows.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close help", id="help.close"),
    ]

    def __init__(
        self,
        heading: str = "",
        about: str = "",
        rules: str = "",
        sections: list[tuple[str, list[KeyRow]]] | None = None,
        columns: tuple[str, str, str] = ("Key", "Action", "What it does"),
        hidden_note: str = "",
    ) -> None:
        super().__init__()
        self.heading = heading
        self.about = about
        self.rules = rules
        self.sections = sections or []
        self.columns = columns
        self.hidden_note = hidden_note

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help", id="help-pane"):
            yield Static(Text(self.heading), id="help-heading")
            yield Static(self._table(), id="help-keys")
            if self.about:
                yield Static(Text(self.about), id="help-about")
            yield Static(Text(self.rules), id="help-rules")

    def on_mount(self) -> None:
        self.query_one("#help-pane").focus()

    def table_rows(self) -> list[tuple[str, str, str]]:
        """The key table as plain text: a title row per section, then (keys, label, tip)."""
        rows: list[tuple[str, str, str]] = []
        for index, (title, section) in enumerate(self.sections):
            rows.append((title, "", ""))
            for row in section:
                tip = row.tip
                if index == 0 and not row.in_footer:  # the screen's keys the footer leaves out
                    tip = f"{tip} ({self.hidden_note})"
                rows.append((row.keys, row.label, tip))
        return rows

    def _table(self) -> Table:
        table = Table(expand=True, box=None, padding=(0, 1), show_edge=False)
        key, action, what = self.columns
        table.add_column(key, no_wrap=True, style="bold")
        table.add_column(action, max_width=18)
        table.add_column(what, ratio=1)
        titles = {title for title, _rows in self.sections}
        for keys, label, tip in self.table_rows():
            if keys in titles and not label:
                table.add_row(Text(keys, style="bold underline"), Text(""), Text(""))
            else:
                table.add_row(Text(keys), Text(label), Text(tip))
        return table

    def listed_keys(self) -> dict[str, str]:
        """Binding id -> keys shown (for tests and the curious)."""
        return {
            row.binding_id: row.keys
            for _title, rows in self.sections
            for row in rows
            if row.binding_id
        }

    def action_close(self) -> None:
        self.dismiss(None)


def help_for(
    app: App[Any], screen: Screen[Any], strings: Strings, keymap: Mapping[str, str]
) -> HelpScreen:
    """The help of ``screen`` as it is now: its keys, then the app's and Textual's own."""
    sid = screen_id(screen)
    name = strings.title(sid) or screen.title or sid.replace("_", " ")
    rows = key_rows(app, screen, keymap)
    # Textual's own keys (tab, copy) are on every screen: listed with the app's.
    everywhere = key_rows(app, app, keymap)
    everywhere += [r for r in rows if r.binding_id is None and r not in everywhere]
    return HelpScreen(
        heading=strings.ui("help_heading", screen=name),
        about=strings.about(sid) or "",
        rules=strings.ui("help_rules"),
        sections=[
            (strings.ui("help_screen"), [r for r in rows if r.binding_id is not None]),
            (strings.ui("help_everywhere"), everywhere),
        ],
        columns=(strings.ui("help_key"), strings.ui("help_action"), strings.ui("help_what")),
        hidden_note=strings.ui("help_hidden"),
    )
