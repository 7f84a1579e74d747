"""Dialog to set a deal's agreed next step (what, who, due date) or mark it done.

Prefilled with the current step, so moving a date is one edit. Like the note
dialog, it stores through a ``save`` function in a thread worker and closes
only once the step is stored; a refused value (an empty "what", a date that
is not YYYY-MM-DD) is said in the form and nothing is saved. A due date in
the past is stored with a warning (the rep may be writing up a step already
missed), which the deal screen shows in a toast.
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
from textual.widgets import Button, Input, Label, Static

from kamcoach.records.next_steps import NextStep, parse_due
from kamcoach.storage.tx import write_error_message
from kamcoach.textsafe import plain


@dataclass(frozen=True, slots=True)
class NextStepDraft:
    """What the form holds: ``done`` asks to complete the current step instead of setting one."""

    what: str = ""
    who: str | None = None
    due: str | None = None
    done: bool = False


@dataclass(frozen=True, slots=True)
class NextStepSaved:
    """What the dialog returns once stored: the action and any warning to show."""

    done: bool
    summary: str
    warning: str | None = None


class NextStepDialog(ModalScreen[NextStepSaved | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="next_step.save"),
        # priority: the focused Input would take ctrl+d as "delete right" (delete still does).
        Binding("ctrl+d", "done", "Mark done", id="next_step.done", priority=True),
        Binding("escape", "cancel", "Cancel", id="next_step.cancel"),
    ]

    DEFAULT_CSS = """
    NextStepDialog #next-step-error {
        color: $error;
        height: auto;
    }
    NextStepDialog .next-step-when {
        height: auto;
    }
    NextStepDialog #next-step-who {
        width: 2fr;
    }
    NextStepDialog #next-step-due {
        width: 1fr;
    }
    """

    def __init__(
        self,
        deal_name: str,
        current: NextStep | None,
        save: Callable[[NextStepDraft], NextStepSaved],
    ) -> None:
        super().__init__()
        self.deal_name = deal_name
        self.current = current
        self.save = save
        """Stores the step; runs in a thread worker and raises when it could not be stored."""
        self.saving = False
        self.error: str | None = None
        """Why the last save failed (shown in the form), None when it did not."""

    def compose(self) -> ComposeResult:
        c = self.current
        open_step = c is not None and not c.done
        with Vertical(classes="dialog"):
            yield Label(Content.assemble("Next step on ", (self.deal_name, "bold")))
            if c is not None:
                yield Static(plain(f"now: {c.summary()}", style="dim"), id="next-step-now")
            yield Input(
                c.what if open_step and c else "",
                placeholder="what was agreed (e.g. demo to the CFO)",
                id="next-step-what",
            )
            with Horizontal(classes="next-step-when"):
                yield Input(
                    (c.who or "") if open_step and c else "",
                    placeholder="who",
                    id="next-step-who",
                )
                yield Input(
                    c.due_date.isoformat() if open_step and c and c.due_date else "",
                    placeholder="due YYYY-MM-DD",
                    id="next-step-due",
                )
            yield Static("", id="next-step-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                if open_step:
                    yield Button("Done (ctrl+d)", id="done")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#next-step-what", Input).focus()

    def _show_error(self, why: str) -> None:
        self.error = why
        self.query_one("#next-step-error", Static).update(Text(why))

    def action_save(self) -> None:
        if self.saving:
            return
        what = self.query_one("#next-step-what", Input).value.strip()
        who = self.query_one("#next-step-who", Input).value.strip() or None
        due = self.query_one("#next-step-due", Input).value.strip() or None
        if not what:
            self._show_error("Say what was agreed (the 'what' is empty); nothing saved.")
            return
        try:
            parse_due(due)
        except Exception as exc:  # an InputError: shown in the form, nothing saved
            self._show_error(f"{exc}; nothing saved.")
            return
        self._start(NextStepDraft(what, who, due))

    def action_done(self) -> None:
        if self.saving:
            return
        if self.current is None or self.current.done:
            self._show_error("There is no open next step to mark done.")
            return
        self._start(NextStepDraft(done=True))

    def _start(self, draft: NextStepDraft) -> None:
        self.saving = True
        self.query_one("#next-step-error", Static).update(Text("Saving…"))
        self.store(draft)

    @work(thread=True, exclusive=True, group="next-step-save")
    def store(self, draft: NextStepDraft) -> None:
        try:
            saved = self.save(draft)
        except Exception as exc:  # shown in the form; what was typed stays
            self.app.call_from_thread(self._failed, write_error_message(exc))
            return
        self.app.call_from_thread(self._stored, saved)

    def _stored(self, saved: NextStepSaved) -> None:
        self.saving = False
        self.error = None
        self.dismiss(saved)

    def _failed(self, why: str) -> None:
        self.saving = False
        self._show_error(f"Not saved: {why}")
        self.notify(f"Next step not saved: {why}", severity="error", timeout=10, markup=False)

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "done":
            self.action_done()
        else:
            self.action_cancel()
