"""Dialog to override one criterion's score, with the reason and who decides.

Given a ``save`` function, the dialog stores the override itself (in a thread
worker) and closes only once it is stored; when that fails it stays open with
the reason typed and says why, like the note dialog.
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
from textual.widgets import Button, Input, Label, Select, Static

from kamcoach.storage.tx import write_error_message
from kamcoach.textsafe import plain


@dataclass(frozen=True, slots=True)
class Override:
    """A human decision on one criterion; stored as a rep or manager review."""

    criterion: str
    score: int
    reason: str
    author_kind: str
    """'rep' or 'manager'."""


class OverrideDialog(ModalScreen[Override | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save override", id="override.save"),
        Binding("escape", "cancel", "Cancel", id="override.cancel"),
    ]

    DEFAULT_CSS = """
    OverrideDialog #override-error {
        color: $error;
        height: auto;
    }
    """

    def __init__(
        self,
        criterion: str,
        name: str,
        score: int,
        rubric: list[str],
        author_kind: str = "rep",
        save: Callable[[Override], object] | None = None,
    ) -> None:
        super().__init__()
        self.criterion = criterion
        self.criterion_name = name
        self.score = score
        self.rubric = rubric
        self.author_kind = author_kind
        self.save = save
        """Stores the override; runs in a thread worker and raises when it could not be stored."""
        self.saving = False
        self.error: str | None = None
        """Why the last save failed (shown in the dialog), None when it did not."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # Team playbook texts as plain content: shown, never read as markup.
            yield Label(
                Content.assemble(
                    "Override ", (self.criterion_name, "bold"), f" (now {self.score}/3)"
                )
            )
            yield Select(
                [(plain(f"{i} - {text[:60]}"), i) for i, text in enumerate(self.rubric)],
                value=self.score,
                allow_blank=False,
                id="score",
            )
            yield Input(placeholder="Reason (required): what the customer said or did", id="reason")
            yield Select(
                [("as rep", "rep"), ("as manager", "manager")],
                value=self.author_kind,
                allow_blank=False,
                id="author",
            )
            yield Static("", id="override-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#score", Select).focus()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify("Give a reason: overrides are reviewed later", severity="warning")
            self.query_one("#reason", Input).focus()
            return
        score = self.query_one("#score", Select).value
        author = self.query_one("#author", Select).value
        override = Override(
            criterion=self.criterion,
            score=int(score),  # type: ignore[arg-type]
            reason=reason,
            author_kind=str(author),
        )
        if self.save is None:
            self.dismiss(override)
            return
        self.saving = True
        self.query_one("#override-error", Static).update(Text("Saving…"))
        self.store(override)

    @work(thread=True, exclusive=True, group="override-save")
    def store(self, override: Override) -> None:
        assert self.save is not None
        try:
            self.save(override)
        except Exception as exc:  # shown in the dialog; the choices stay as they are
            self.app.call_from_thread(self._failed, write_error_message(exc))
            return
        self.app.call_from_thread(self._stored, override)

    def _stored(self, override: Override) -> None:
        self.saving = False
        self.error = None
        self.dismiss(override)

    def _failed(self, why: str) -> None:
        self.saving = False
        self.error = why
        self.query_one("#override-error", Static).update(
            Text(f"Not saved: {why}. Your choice is kept; ctrl+s to try again.")
        )
        self.notify(f"Override not saved: {why}", severity="error", timeout=10, markup=False)

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()
