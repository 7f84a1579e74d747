"""Close a deal won or lost (key c), pause or resume it (key z), always with a reason.

Like the deal form, the dialog stores through a ``save`` function run in a
thread worker (the same :mod:`kamcoach.records.deals` calls as ``kamcoach
deals close|pause|resume``) and closes only once the change is stored; a
refusal keeps it open with the reason typed and the error on its own line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from kamcoach.storage.tx import write_error_message

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp

#: What the dialog does: "close", "pause" or "resume".
KINDS = ("close", "pause", "resume")


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The user's decision: how (won/lost for a close), why, and until when (a pause)."""

    kind: str
    reason: str
    won: bool = False
    until: str = ""


class DealStatusDialog(ModalScreen[StatusChange | None]):
    """Returns the change (stored, when a ``save`` function is given), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="deal_status.save"),
        Binding("escape", "cancel", "Cancel", id="deal_status.cancel"),
    ]

    DEFAULT_CSS = """
    DealStatusDialog #status-error {
        color: $error;
        height: auto;
    }
    """

    def __init__(
        self,
        kind: str,
        deal_name: str,
        save: Callable[[StatusChange], object] | None = None,
    ) -> None:
        super().__init__()
        assert kind in KINDS
        self.kind = kind
        self.deal_name = deal_name
        self.save = save
        self.saving = False
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        title = {"close": "Close ", "pause": "Pause ", "resume": "Resume "}[self.kind]
        placeholder = {
            "close": "Why was it won or lost? (required)",
            "pause": "Why is it on hold? (required)",
            "resume": "What restarted it? (required)",
        }[self.kind]
        with Vertical(classes="dialog"):
            yield Label(Content.assemble(title, (self.deal_name, "bold")))
            if self.kind == "close":
                yield Select(
                    [("closed won", True), ("closed lost", False)],
                    value=False,
                    allow_blank=False,
                    id="outcome",
                )
            yield Input(placeholder=placeholder, id="reason")
            if self.kind == "pause":
                yield Input(placeholder="Until (YYYY-MM-DD, optional)", id="until")
            yield Static("", id="status-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#outcome" if self.kind == "close" else "#reason").focus()

    def change(self) -> StatusChange:
        until = self.query("#until")
        outcome = self.query("#outcome")
        return StatusChange(
            kind=self.kind,
            reason=self.query_one("#reason", Input).value.strip(),
            won=bool(outcome and outcome.first(Select).value is True),
            until=until.first(Input).value.strip() if until else "",
        )

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        change = self.change()
        if not change.reason:
            self._failed("give a reason: it is kept in the deal's history")
            self.query_one("#reason", Input).focus()
            return
        if self.save is None:
            self.dismiss(change)
            return
        self.saving = True
        self.query_one("#status-error", Static).update(Text("Saving…"))
        self.store(change)

    @work(thread=True, exclusive=True, group="deal-status-save")
    def store(self, change: StatusChange) -> None:
        assert self.save is not None
        try:
            self.save(change)
        except Exception as exc:  # shown in the dialog; the reason typed stays
            self.app.call_from_thread(self._failed, write_error_message(exc))
            return
        self.app.call_from_thread(self._stored, change)

    def _stored(self, change: StatusChange) -> None:
        self.saving = False
        self.error = None
        self.dismiss(change)

    def _failed(self, why: str) -> None:
        self.saving = False
        self.error = why
        self.query_one("#status-error", Static).update(Text(f"Not saved: {why}"))

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()


def status_dialog(app: KamcoachApp, kind: str, deal: dict[str, Any]) -> DealStatusDialog:
    """The dialog for ``kind`` on ``deal``, storing through the core."""
    deal_id = int(deal["id"])
    return DealStatusDialog(
        kind, f"#{deal_id} {deal['name']}", save=lambda c: apply_change(app, deal_id, c)
    )


def apply_change(app: KamcoachApp, deal_id: int, change: StatusChange) -> list[dict[str, Any]]:
    """Runs in the dialog's worker: the same calls as `kamcoach deals close|pause|resume`."""
    from kamcoach.records import deals as records

    with app.db_lock:
        if change.kind == "close":
            return records.close_deal(app.db, deal_id, won=change.won, reason=change.reason)
        if change.kind == "pause":
            return records.pause_deal(
                app.db, deal_id, reason=change.reason, until=change.until or None
            )
        return records.resume_deal(app.db, deal_id, reason=change.reason)
