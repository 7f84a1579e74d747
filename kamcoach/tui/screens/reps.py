"""The reps: who owns which pipeline, their manager and team; enter or e edits one.

Reached from the pipeline (``R``) and the command palette. A rename is saved
through :func:`kamcoach.records.reps.edit_rep`, so every deal's owner follows
at once; the pipeline under this screen reloads when the screen closes after
a change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from kamcoach.records import reps
from kamcoach.textsafe import cell, plain
from kamcoach.tui.dialogs.rep_form import RepDialog

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp


class RepsScreen(Screen[None]):
    """Every rep with the size of their portfolio."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="reps.back"),
        Binding("enter", "edit", "Edit", id="reps.edit", tooltip="Edit the rep", priority=True),
        Binding("e", "edit", "Edit", id="reps.edit_e", show=False),
        Binding("a", "add", "Add rep", id="reps.add", tooltip="A new rep"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.changed = False
        """True once a rep was saved here: the pipeline reloads when this screen closes."""

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="reps-info")
        table: DataTable[Any] = DataTable(id="reps", cursor_type="row", zebra_stripes=True)
        table.add_column("Name", key="name", width=22)
        table.add_column("Team", key="team", width=12)
        table.add_column("Manager", key="manager", width=16)
        table.add_column("Deals", key="deals", width=5)
        table.add_column("Pipeline", key="pipeline", width=10)
        table.add_column("Acc.", key="accounts", width=4)
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#reps", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="reps-load")
    def load(self, select: int | None = None) -> None:
        from kamcoach.errors import KamcoachError

        try:
            with self.kapp.db_lock:
                rows = reps.list_reps(self.kapp.db)
        except KamcoachError as exc:  # a broken team.toml (currency rates): say it, no crash
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._show, rows, select)

    def _show(self, rows: list[dict[str, Any]], select: int | None) -> None:
        self.rows = rows
        table = self.query_one("#reps", DataTable)
        table.clear()
        for r in rows:
            table.add_row(
                cell(r["name"]),
                cell(r["team"] or ""),
                cell(r["manager"] or ""),
                cell(str(r["open_deals"])),
                cell(f"{r['open_pipeline']:,.0f}"),
                cell(str(r["accounts"])),
                key=str(r["id"]),
            )
        info = f"{len(rows)} reps · enter or e edits · a adds · esc back"
        self.query_one("#reps-info", Static).update(plain(info))
        if select is not None:
            for index, r in enumerate(rows):
                if r["id"] == select:
                    table.move_cursor(row=index)

    def selected(self) -> dict[str, Any] | None:
        table = self.query_one("#reps", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowSelected, "#reps")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def _managers(self) -> list[tuple[int, str]]:
        return [(int(r["id"]), str(r["name"])) for r in self.rows]

    def action_edit(self) -> None:
        row = self.selected()
        if row is None:
            return
        with self.kapp.db_lock:
            rep = reps.get_rep(self.kapp.db, int(row["id"]))
        rep_id = int(rep["id"])

        def save(fields: reps.RepFields) -> int:
            with self.kapp.db_lock:
                return int(reps.edit_rep(self.kapp.db, rep_id, fields)["id"])

        self.app.push_screen(RepDialog(rep, self._managers(), save), self._saved)

    def action_add(self) -> None:
        def save(fields: reps.RepFields) -> int:
            with self.kapp.db_lock:
                return reps.add_rep(self.kapp.db, fields.name or "", fields)

        self.app.push_screen(RepDialog(None, self._managers(), save), self._saved)

    def _saved(self, rep_id: int | None) -> None:
        if rep_id is None:
            return
        self.changed = True
        self.notify("Rep saved", timeout=3)
        self.load(rep_id)

    def action_back(self) -> None:
        from kamcoach.tui.screens.pipeline import PipelineScreen

        self.app.pop_screen()
        if self.changed:
            for screen in self.app.screen_stack:
                if isinstance(screen, PipelineScreen):
                    screen.action_reload()
