"""Ask before throwing away what the user typed (a note, qualification answers).

Escape is the key people press to get out of anything; it must never cost a
paragraph typed during a call. The question defaults to keeping the text:
escape or `n` goes back to it, only `y` (or the button) discards.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmDiscard(ModalScreen[bool]):
    """Returns True to discard, False to go back to the text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "discard", "Discard", id="discard.yes"),
        Binding("n,escape", "keep", "Keep editing", id="discard.no"),
    ]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content.assemble("Discard ", (self.what, "bold"), "?"))
            yield Label("What you typed is not saved. y: discard · n or esc: keep editing")
            with Horizontal(classes="buttons"):
                yield Button("Keep editing (n)", variant="primary", id="keep")
                yield Button("Discard (y)", variant="error", id="discard")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def action_discard(self) -> None:
        self.dismiss(True)

    def action_keep(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "discard")
