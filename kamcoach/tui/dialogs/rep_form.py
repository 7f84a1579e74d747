"""Form dialog to add or edit a rep: name, e-mail, manager, team, language.

The dialog hands a :class:`~kamcoach.records.reps.RepFields` to a ``save``
function (the same core call as ``kamcoach reps add|edit``) in a thread
worker, and closes only once it is stored. A refused value (a taken name, an
e-mail without "@", a manager loop) or a write failure stays in the form as
one error line, with nothing saved and the typing kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from kamcoach.errors import KamcoachError
from kamcoach.records.reps import LANGUAGES, RepFields
from kamcoach.storage.tx import write_error_message


class RepDialog(ModalScreen[int | None]):
    """Returns the saved rep's id, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="rep.save"),
        Binding("escape", "cancel", "Cancel", id="rep.cancel"),
    ]

    DEFAULT_CSS = """
    RepDialog #rep-error {
        color: $error;
        height: auto;
    }
    """

    def __init__(
        self,
        rep: dict[str, Any] | None,
        managers: list[tuple[int, str]],
        save: Callable[[RepFields], int],
    ) -> None:
        super().__init__()
        self.rep = rep
        """The rep being edited (a row of ``reps``), None for a new rep."""
        self.managers = [(i, n) for i, n in managers if rep is None or i != rep["id"]]
        """Reps that can be chosen as manager: (id, name), the rep itself left out."""
        self.save = save
        """Stores the fields and returns the rep id; raises with a message for the user."""
        self.saving = False
        self.error: str | None = None
        """Why the last save was refused (shown in the form), None when it was not."""

    def compose(self) -> ComposeResult:
        rep = self.rep or {}
        title = (
            Content.assemble("Edit rep ", (str(rep["name"]), "bold"))
            if self.rep
            else Content("New rep")
        )
        with Vertical(classes="dialog"):
            yield Label(title)
            yield Input(rep.get("name") or "", placeholder="Name", id="rep-name")
            yield Input(rep.get("email") or "", placeholder="E-mail", id="rep-email")
            yield Select(
                [(Text(name), str(i)) for i, name in self.managers],
                prompt="no manager",
                value=str(rep["manager_id"]) if rep.get("manager_id") else Select.NULL,
                id="rep-manager",
            )
            yield Input(rep.get("team") or "", placeholder="Team", id="rep-team")
            yield Select(
                [(lang, lang) for lang in LANGUAGES],
                prompt="language not set",
                value=rep.get("language") or Select.NULL,
                id="rep-language",
            )
            yield Static("", id="rep-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#rep-name", Input).focus()

    def fields(self) -> RepFields:
        """What the form says; empty fields clear (the core refuses an empty name)."""

        def select(wid: str) -> str:
            value = self.query_one(wid, Select).value
            return "" if value is Select.NULL or value is None else str(value)

        return RepFields(
            name=self.query_one("#rep-name", Input).value,
            email=self.query_one("#rep-email", Input).value,
            manager=select("#rep-manager"),
            team=self.query_one("#rep-team", Input).value,
            language=select("#rep-language"),
        )

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#rep-error", Static).update(Text("Saving…"))
        self.store(self.fields())

    @work(thread=True, exclusive=True, group="rep-save")
    def store(self, fields: RepFields) -> None:
        try:
            rep_id = self.save(fields)
        except KamcoachError as exc:  # a refused value: said in the form
            self.app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # the database refused the write (locked, read-only)
            self.app.call_from_thread(self._failed, write_error_message(exc))
            return
        self.app.call_from_thread(self._stored, rep_id)

    def _stored(self, rep_id: int) -> None:
        self.saving = False
        self.error = None
        self.dismiss(rep_id)

    def _failed(self, why: str) -> None:
        self.saving = False
        self.error = why
        self.query_one("#rep-error", Static).update(Text(f"Not saved: {why}"))

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()
