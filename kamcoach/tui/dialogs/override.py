"""Dialog to override one criterion's score, with the reason and who decides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

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

    def __init__(
        self, criterion: str, name: str, score: int, rubric: list[str], author_kind: str = "rep"
    ) -> None:
        super().__init__()
        self.criterion = criterion
        self.criterion_name = name
        self.score = score
        self.rubric = rubric
        self.author_kind = author_kind

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
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#score", Select).focus()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify("Give a reason: overrides are reviewed later", severity="warning")
            self.query_one("#reason", Input).focus()
            return
        score = self.query_one("#score", Select).value
        author = self.query_one("#author", Select).value
        self.dismiss(
            Override(
                criterion=self.criterion,
                score=int(score),  # type: ignore[arg-type]
                reason=reason,
                author_kind=str(author),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()
