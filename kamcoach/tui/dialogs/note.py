"""Dialog to write a multi-line call note.

Given a ``save`` function, the dialog stores the note itself (in a thread
worker) and closes only once it is stored. When storing fails (another
program kept the database locked past the busy timeout, a read-only
database), the dialog stays open with the text and says why: a typed note is
never lost behind a "Note saved" that was not true.

The author field is filled with the user's name (config.toml ``[user]``) and
can be changed (a note typed for a colleague); the optional title is the
note's heading, shown but never analysed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from kamcoach.storage.tx import write_error_message


@dataclass(frozen=True, slots=True)
class NoteDraft:
    """What the dialog hands to ``save``: the text and who signs it, with an optional title."""

    text: str
    author: str | None = None
    title: str | None = None


class NoteDialog(ModalScreen[str | None]):
    """Returns the note text (stored, when a ``save`` function is given), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save note", id="note.save"),
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]

    DEFAULT_CSS = """
    NoteDialog #note-error {
        color: $error;
        height: auto;
    }
    NoteDialog .note-meta {
        height: auto;
    }
    NoteDialog #note-author {
        width: 1fr;
    }
    NoteDialog #note-title {
        width: 2fr;
    }
    """

    def __init__(
        self,
        deal_name: str,
        save: Callable[[NoteDraft], object] | None = None,
        author: str | None = None,
    ) -> None:
        super().__init__()
        self.deal_name = deal_name
        self.author = author or ""
        """The author field's starting value (the user's name)."""
        self.save = save
        """Stores the text; runs in a thread worker and raises when the note could not be stored."""
        self.saving = False
        """True while ``save`` runs: a second ctrl+s does not store the note twice."""
        self.error: str | None = None
        """Why the last save failed (shown in the dialog), None when it did not."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                Content.assemble("New note on ", (self.deal_name, "bold"), " (French or English)")
            )
            with Horizontal(classes="note-meta"):
                yield Input(self.author, placeholder="author", id="note-author")
                yield Input(placeholder="title (optional, not analysed)", id="note-title")
            yield TextArea(id="note-text", soft_wrap=True)
            yield Static("", id="note-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        if self.saving:
            return
        text = self.query_one(TextArea).text
        if not text.strip():
            self.notify("The note is empty", severity="warning")
            return
        if self.save is None:
            self.dismiss(text)
            return
        author = self.query_one("#note-author", Input).value.strip() or None
        title = self.query_one("#note-title", Input).value.strip() or None
        self.saving = True
        self.query_one("#note-error", Static).update(Text("Saving…"))
        self.store(NoteDraft(text, author, title))

    @work(thread=True, exclusive=True, group="note-save")
    def store(self, draft: NoteDraft) -> None:
        assert self.save is not None
        try:
            self.save(draft)
        except Exception as exc:  # shown in the dialog; the text stays where it is
            self.app.call_from_thread(self._failed, write_error_message(exc))
            return
        self.app.call_from_thread(self._stored, draft.text)

    def _stored(self, text: str) -> None:
        self.saving = False
        self.error = None
        self.dismiss(text)

    def _failed(self, why: str) -> None:
        self.saving = False
        self.error = why
        self.query_one("#note-error", Static).update(
            Text(f"Not saved: {why}. Your text is kept; ctrl+s to try again.")
        )
        self.notify(f"Note not saved: {why}", severity="error", timeout=10, markup=False)

    def unsaved_work(self) -> str | None:
        """What q (quit) would throw away: asked about first (see KamcoachApp.action_quit)."""
        return "this note" if self.query_one(TextArea).text.strip() else None

    def action_cancel(self) -> None:
        if self.saving:
            return
        if not self.query_one(TextArea).text.strip():
            self.dismiss(None)
            return
        from kamcoach.tui.dialogs.discard import ConfirmDiscard

        def chosen(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)
            else:
                self.query_one(TextArea).focus()

        self.app.push_screen(ConfirmDiscard("this note"), chosen)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()
