"""A one-line indicator of the language model: loading, ready or failed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import LoadingIndicator, Static


class ModelStatus(Horizontal):
    """Shows a spinner while spaCy loads, then how long it took.

    Reads ``app.model_state`` so every screen shows the same state.
    """

    DEFAULT_CSS = """
    ModelStatus { height: 1; width: auto; }
    ModelStatus LoadingIndicator { width: 3; height: 1; min-height: 1; }
    ModelStatus Static { width: auto; }
    """

    state: reactive[str] = reactive("loading")
    """'loading', 'ready' or 'failed'."""

    def compose(self) -> ComposeResult:
        yield LoadingIndicator()
        yield Static("loading model…", id="model-label")

    def on_mount(self) -> None:
        self.watch(self.app, "model_state", self._sync, init=True)
        self.watch(self.app, "busy", self._busy, init=False)

    def _busy(self, _value: str) -> None:
        self.watch_state(self.state)

    def _sync(self, value: str) -> None:
        self.state = value
        self.watch_state(value)

    def watch_state(self, value: str) -> None:
        indicator = self.query_one(LoadingIndicator)
        label = self.query_one("#model-label", Static)
        busy = str(getattr(self.app, "busy", "") or "")
        indicator.display = value == "loading" or bool(busy)
        if busy and value == "ready":
            label.update(busy)
        elif value == "ready":
            label.update("[green]●[/] model ready")
        elif value == "failed":
            label.update("[red]●[/] model unavailable")
        else:
            label.update("loading model…")
