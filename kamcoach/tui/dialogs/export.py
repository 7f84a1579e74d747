"""Dialog asking where to write an exported file (prefilled with a default).

The path is checked with the same core rules as the CLI's ``-o``
(:mod:`kamcoach.io.safe_write`): the database is refused outright, and an
existing file is only replaced when the user presses enter a second time
on the same name (the TUI's ``--force``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from kamcoach.errors import InputError
from kamcoach.io.safe_write import Guarded, OutputExistsError, check_output
from kamcoach.paths import expand_user


@dataclass(frozen=True, slots=True)
class ExportChoice:
    """Where to write, and whether the user agreed to replace an existing file."""

    path: Path
    overwrite: bool = False


class ExportDialog(ModalScreen[ExportChoice | None]):
    """Returns the chosen path, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel")
    ]

    def __init__(
        self, default: Path, what: str = "checklist", guarded: Sequence[Guarded] = ()
    ) -> None:
        super().__init__()
        self.default = default
        self.what = what
        self.guarded = list(guarded)
        self.confirmed: Path | None = None
        """A path that exists and that the user asked to overwrite (second enter)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                f"Write the {self.what} as Markdown to (enter to confirm, esc to cancel):",
                id="export-prompt",
            )
            yield Input(value=str(self.default), id="path")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.notify("Give a file name", severity="warning")
            return
        try:
            path = expand_user(value, "file name")
        except InputError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        overwrite = path == self.confirmed
        try:
            check_output(path, self.guarded, force=overwrite)
        except OutputExistsError:
            self.confirmed = path
            self.query_one("#export-prompt", Label).update(
                Text(f"{path} already exists: enter again to overwrite it, or change the name.")
            )
            return
        except InputError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.dismiss(ExportChoice(path, overwrite))

    def action_cancel(self) -> None:
        self.dismiss(None)
