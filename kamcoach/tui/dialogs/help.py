"""The help screen (F1 or ?): what the current screen is for and a table of its keys.

The table is built from the live bindings of the screen the help was opened
on and of the app, with the user's key overrides applied and in the interface
language, keys hidden from the footer included: it cannot drift from what the
keys really do.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from kamcoach.tui.keys import KeyRow


class HelpScreen(ModalScreen[None]):
    """Heading, the screen's purpose, then its keys and the app-wide ones."""

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
        with Vertical(classes="dialog help"):
            yield Static(Text(self.heading), id="help-heading")
            if self.about:
                yield Static(Text(self.about), id="help-about")
            yield Static(Text(self.rules), id="help-rules")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one("#help-keys", DataTable)
        key, action, what = self.columns
        table.add_column(key, key="key")
        table.add_column(action, key="action")
        table.add_column(what, key="what")
        for title, rows in self.sections:
            table.add_row(Text(title, style="bold"), Text(""), Text(""))
            for row in rows:
                tip = row.tip if row.in_footer else f"{row.tip} ({self.hidden_note})"
                table.add_row(Text(row.keys, style="bold"), Text(row.label), Text(tip))
        table.focus()

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
