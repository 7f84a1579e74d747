"""Dialog listing what the deal's notes propose about people: accept or dismiss, one key each.

The rows come from :func:`kamcoach.records.proposals.list_proposals` and each
decision goes through the same core functions as ``kamcoach proposals``, in a
thread worker under the app's database lock. The list is read again after
every decision; the dialog returns whether anything was decided, so the deal
screen reloads its contacts, flags and scorecard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from kamcoach.records.proposals import Decision, Proposal
from kamcoach.storage.tx import write_error_message
from kamcoach.textsafe import cell

Load = Callable[[], list[Proposal]]
Decide = Callable[[int, str], Decision]
"""``decide(proposal id, "accept" or "dismiss")``: runs in a worker, raises on failure."""


class PeopleDialog(ModalScreen[bool]):
    """The deal's open proposals; returns True when at least one was decided."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "accept", "Accept", id="people.accept", tooltip="Apply this proposal"),
        Binding("d", "dismiss_one", "Dismiss", id="people.dismiss", tooltip="Not what it means"),
        Binding("escape", "close", "Close", id="people.close"),
    ]

    DEFAULT_CSS = """
    PeopleDialog #people-table {
        height: auto;
        max-height: 12;
    }
    PeopleDialog #people-quote {
        height: auto;
    }
    PeopleDialog #people-error {
        color: $error;
        height: auto;
    }
    """

    def __init__(self, deal_name: str, load: Load, decide: Decide) -> None:
        super().__init__()
        self.deal_name = deal_name
        self.load = load
        self.decide = decide
        self.rows: list[Proposal] = []
        self.decided = 0
        self.busy = False
        """True while a decision is being stored: a second key waits for it."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                Content.assemble("People read from the notes of ", (self.deal_name, "bold"))
            )
            table: DataTable[Any] = DataTable(id="people-table", cursor_type="row")
            yield table
            yield Static("", id="people-quote")
            yield Static("", id="people-error")
            yield Label("y accept · d dismiss · esc close", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one("#people-table", DataTable)
        table.add_column("#", key="id")
        table.add_column("Who", key="who", width=15)
        table.add_column("Proposes", key="says", width=23)
        table.add_column("Note", key="date")
        table.loading = True
        table.focus()
        self.refresh_rows()

    @work(thread=True, exclusive=True, group="people-load")
    def refresh_rows(self) -> None:
        try:
            rows = self.load()
        except Exception as exc:
            self.app.call_from_thread(self._failed, write_error_message(exc))
            return
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[Proposal]) -> None:
        self.rows = rows
        table = self.query_one("#people-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for p in rows:
            table.add_row(
                str(p.id),
                cell(p.who()),
                cell(p.says()),
                cell((p.note_date or "")[:10]),
                key=str(p.id),
            )
        table.loading = False
        if rows:
            table.move_cursor(row=min(max(cursor, 0), len(rows) - 1))
        else:
            self.query_one("#people-quote", Static).update(
                Text("Nothing to decide: the notes propose nothing new about people.", style="dim")
            )
        self._quote()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._quote()

    def selected(self) -> Proposal | None:
        table = self.query_one("#people-table", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def _quote(self) -> None:
        p = self.selected()
        if p is None:
            return
        text = Text()
        text.append(f"{p.kind} · note of {(p.note_date or '?')[:10]} · {p.lang or '?'}\n", "dim")
        text.append(f"“{p.quote}”")
        self.query_one("#people-quote", Static).update(text)

    def action_accept(self) -> None:
        self._decide("accept")

    def action_dismiss_one(self) -> None:
        self._decide("dismiss")

    def _decide(self, verb: str) -> None:
        p = self.selected()
        if p is None or self.busy:
            return
        self.busy = True
        self.store(p.id, verb)

    @work(thread=True, exclusive=True, group="people-decide")
    def store(self, proposal_id: int, verb: str) -> None:
        try:
            decision = self.decide(proposal_id, verb)
        except Exception as exc:  # shown in the dialog; nothing was stored
            self.app.call_from_thread(self._failed, write_error_message(exc))
            return
        self.app.call_from_thread(self._done, decision, verb)

    def _done(self, decision: Decision, verb: str) -> None:
        self.busy = False
        self.decided += 1
        self.query_one("#people-error", Static).update("")
        p = decision.proposal
        said = f"{verb}ed: {p.who()}, {p.says()}"
        if decision.changes:
            said += " — " + "; ".join(decision.changes)
        self.notify(said, timeout=4, markup=False)
        self.refresh_rows()

    def _failed(self, why: str) -> None:
        self.busy = False
        self.query_one("#people-table", DataTable).loading = False
        self.query_one("#people-error", Static).update(Text(f"Not saved: {why}"))
        self.notify(f"Not saved: {why}", severity="error", timeout=8, markup=False)

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(self.decided > 0)
