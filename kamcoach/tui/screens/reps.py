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
from kamcoach.tui.widgets.tables import SearchInput, SortState, arrange

COLUMNS = {
    "name": ("name", "name"),
    "team": ("team", "team"),
    "manager": ("manager", "manager"),
    "deals": ("open_deals", "open deals"),
    "pipeline": ("open_pipeline", "open pipeline"),
    "accounts": ("accounts", "accounts"),
}
"""Column key -> (field of :func:`reps.list_reps`'s rows, label): what a header click sorts by."""

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp


class RepsScreen(Screen[None]):
    """Every rep with the size of their portfolio."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="reps.back"),
        Binding("enter", "edit", "Edit", id="reps.edit", tooltip="Edit the rep", priority=True),
        Binding("e", "edit", "Edit", id="reps.edit_e", show=False),
        Binding("a", "add", "Add rep", id="reps.add", tooltip="A new rep"),
        Binding("slash", "search", "Search", id="reps.search", tooltip="Filter by name, team"),
        Binding("s", "sort", "Sort", id="reps.sort", tooltip="Cycle the sort column"),
        Binding("S", "reverse_sort", "Reverse", id="reps.reverse", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        """The reps on show, in the table's order (searched and sorted)."""
        self.all_rows: list[dict[str, Any]] = []
        self.sort = SortState()
        self.search = ""
        self.changed = False
        """True once a rep was saved here: the pipeline reloads when this screen closes."""

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="reps-info")
        yield SearchInput("#reps", id="reps-search")
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
        self.all_rows = rows
        self._fill(select)

    def _fill(self, select: int | None = None) -> None:
        """The table from ``all_rows``: searched, sorted, the rep ``select`` highlighted."""
        rows = self.rows = arrange(
            self.all_rows,
            self.search,
            lambda r: (r["name"], r["team"], r["manager"]),
            self.sort,
            lambda r, column: r[COLUMNS[column][0]],
        )
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
        count = f"{len(rows)} of {len(self.all_rows)}" if self.search.strip() else len(rows)
        info = f"{count} reps · enter or e edits · a adds · esc back"
        if self.sort.column:
            info += f" · sort: {self.sort.describe(COLUMNS[self.sort.column][1])}"
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

    @on(DataTable.HeaderSelected, "#reps")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort.click(str(event.column_key.value))
        self._fill()

    def action_sort(self) -> None:
        self.sort.cycle(list(COLUMNS))
        self._fill()

    def action_reverse_sort(self) -> None:
        if self.sort.column is None:
            self.sort.column = "name"
        self.sort.reverse = not self.sort.reverse
        self._fill()

    def action_search(self) -> None:
        self.query_one("#reps-search", SearchInput).open()

    @on(SearchInput.Changed, "#reps-search")
    def _search_changed(self, event: SearchInput.Changed) -> None:
        event.stop()
        self.search = event.value
        self._fill()
        self.query_one("#reps", DataTable).move_cursor(row=0)

    def _managers(self) -> list[tuple[int, str]]:
        return [(int(r["id"]), str(r["name"])) for r in self.all_rows]

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

        search = self.query_one("#reps-search", SearchInput)
        if search.value:  # a filtered list: escape clears the search first
            search.action_close()
            return

        self.app.pop_screen()
        if self.changed:
            for screen in self.app.screen_stack:
                if isinstance(screen, PipelineScreen):
                    screen.action_reload()
