"""Dialog to filter the pipeline by owner, stage and flag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from kamcoach.textsafe import plain


@dataclass(frozen=True, slots=True)
class Filters:
    owner: str | None = None
    stage: str | None = None
    flag: str | None = None
    account: str | None = None

    def describe(self) -> str:
        parts = [
            f"{k}={v}"
            for k, v in (
                ("owner", self.owner),
                ("stage", self.stage),
                ("flag", self.flag),
                ("account", self.account),
            )
            if v
        ]
        return ", ".join(parts) if parts else "all open deals"


class FilterDialog(ModalScreen[Filters | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Apply", id="filter.apply"),
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("ctrl+r", "clear", "Clear all", id="filter.clear"),
    ]

    def __init__(
        self, current: Filters, owners: list[str], stages: list[str], flags: list[str]
    ) -> None:
        super().__init__()
        self.current = current
        self.owners, self.stages, self.flags = owners, stages, flags

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Filter the pipeline")
            yield Select(
                [(plain(o), o) for o in self.owners],  # a name, never markup
                prompt="any owner",
                value=self.current.owner or Select.NULL,
                id="owner",
            )
            yield Select(
                [(s, s) for s in self.stages],
                prompt="any open stage",
                value=self.current.stage or Select.NULL,
                id="stage",
            )
            yield Select(
                [(f, f) for f in self.flags],
                prompt="any flag",
                value=self.current.flag or Select.NULL,
                id="flag",
            )
            with Horizontal(classes="buttons"):
                yield Button("Apply (ctrl+s)", variant="primary", id="apply")
                yield Button("Clear (ctrl+r)", id="clear")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#owner", Select).focus()

    def _value(self, wid: str) -> str | None:
        value = self.query_one(f"#{wid}", Select).value
        return None if value is Select.NULL or value is None else str(value)

    def action_apply(self) -> None:
        self.dismiss(
            Filters(
                owner=self._value("owner"), stage=self._value("stage"), flag=self._value("flag")
            )
        )

    def action_clear(self) -> None:
        self.dismiss(Filters())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"apply": self.action_apply, "clear": self.action_clear}.get(
            event.button.id or "", self.action_cancel
        )()
