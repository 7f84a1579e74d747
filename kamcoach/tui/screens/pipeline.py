"""The manager's pipeline: every open deal, its heat strip, score and flags, with totals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from kamcoach.domain.stages import OPEN_STAGES
from kamcoach.tui import data
from kamcoach.tui.dialogs.filters import FilterDialog, Filters
from kamcoach.tui.messages import PipelineLoaded, WorkFailed
from kamcoach.tui.widgets.heat import heat_strip, legend
from kamcoach.tui.widgets.status import ModelStatus

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp

SORTS: tuple[tuple[str, str], ...] = (
    ("flags", "exceptions first"),
    ("close", "close date"),
    ("amount", "amount (largest)"),
    ("score", "score (lowest)"),
    ("owner", "owner"),
)
STAGE_SHORT = {
    "discovery": "disc",
    "qualification": "qual",
    "proposal": "prop",
    "negotiation": "nego",
    "commit": "commit",
}
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}


def short_owner(name: str) -> str:
    """'Sarah Collins' -> 'Sarah C.' (the pipeline table is read at 80 columns)."""
    parts = name.split()
    return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else name


def money(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:.0f}"


class PipelineScreen(Screen[None]):
    """Exceptions first; enter opens the deal under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "open_deal",
            "Open",
            id="pipeline.open",
            tooltip="Open the deal",
            priority=True,
        ),
        Binding("f", "filter", "Filter", id="pipeline.filter", tooltip="Owner, stage, flag"),
        Binding("s", "sort", "Sort", id="pipeline.sort", tooltip="Cycle the sort order"),
        Binding("r", "reload", "Reload", id="pipeline.reload"),
        Binding("x", "clear_filters", "Clear filters", id="pipeline.clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters()
        self.sort_index = 0
        self.report: Any = None
        self.rows: list[Any] = []

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="pipeline-top"):
            yield Static("", id="totals")
            yield ModelStatus()
        yield Static("", id="pipeline-info")
        table: DataTable[Any] = DataTable(id="deals", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#deals", DataTable)
        table.add_column("#", key="id")
        table.add_column("Deal", key="name", width=20)
        table.add_column("Stage", key="stage")
        table.add_column("Amount", key="amount")
        table.add_column("Close", key="close")
        table.add_column("Owner", key="owner", width=9)
        table.add_column("Heat", key="heat")
        table.add_column("Score", key="score")
        table.add_column("Flags", key="flags", width=24)
        table.add_column("Account", key="account", width=20)
        table.loading = True
        table.focus()

    def on_screen_resume(self) -> None:
        """Load on first show and on every return, so edits made on a deal show up."""
        self.load()

    # ------------------------------------------------------------ loading

    @work(thread=True, exclusive=True, group="pipeline")
    def load(self) -> None:
        f = self.filters
        try:
            with self.kapp.db_lock:
                report = data.load_pipeline(
                    self.kapp.db, self.kapp.playbooks, owner=f.owner, stage=f.stage, flag=f.flag
                )
        except Exception as exc:  # reported in the UI, never a crash
            self.post_message(WorkFailed("pipeline review", str(exc)))
            return
        self.post_message(
            PipelineLoaded(report, {"owner": f.owner, "stage": f.stage, "flag": f.flag})
        )

    def on_pipeline_loaded(self, message: PipelineLoaded) -> None:
        self.report = message.report
        self.refresh_table()

    def on_work_failed(self, message: WorkFailed) -> None:
        self.query_one("#deals", DataTable).loading = False
        self.notify(f"{message.what} failed: {message.error}", severity="error")

    # ------------------------------------------------------------ rendering

    def _sorted(self, deals: list[Any]) -> list[Any]:
        key = SORTS[self.sort_index][0]
        if key == "close":
            return sorted(deals, key=lambda d: (d.close_date is None, d.close_date or 0, d.id))
        if key == "amount":
            return sorted(deals, key=lambda d: (-d.amount, d.id))
        if key == "score":
            return sorted(deals, key=lambda d: (d.score is not None, d.score or 0, d.id))
        if key == "owner":
            return sorted(deals, key=lambda d: (d.owner, d.id))
        return list(deals)

    def refresh_table(self) -> None:
        table = self.query_one("#deals", DataTable)
        report = self.report
        if report is None:
            return
        deals = list(report.deals)
        if self.filters.account:
            deals = [d for d in deals if d.account == self.filters.account]
        self.rows = self._sorted(deals)
        playbooks = self.kapp.playbooks
        current = table.cursor_row
        table.clear()
        for d in self.rows:
            playbook = playbooks.playbooks.get(d.playbook)
            strip = heat_strip(playbooks, playbook, d.scores, d.statuses) if playbook else Text("")
            flags = Text()
            if d.flags:
                top = d.flags[0]
                flags.append(f"{len(d.flags)} ", style="bold")
                flags.append(top.id.replace("_", " "), style=SEVERITY_STYLE.get(top.severity, ""))
                others = [f.id.replace("_", " ") for f in d.flags[1:]]
                if others:
                    flags.append(", " + ", ".join(others), style="dim")
            score = Text("  -", style="dim") if d.score is None else Text(f"{d.score:3.0f}")
            table.add_row(
                str(d.id),
                d.name,
                STAGE_SHORT.get(d.stage, d.stage),
                Text(
                    f"{money(d.amount)} {d.currency if d.currency != 'EUR' else '€'}",
                    justify="right",
                ),
                d.close_date.isoformat() if d.close_date else "",
                short_owner(d.owner),
                strip,
                score,
                flags,
                d.account,
                key=str(d.id),
            )
        table.loading = False
        if self.rows:
            table.move_cursor(row=min(max(current, 0), len(self.rows) - 1))
        t = report.total
        currencies = tuple(getattr(report, "currencies", ()) or ())
        cur = currencies[0] if len(currencies) == 1 else ""
        totals = Text()
        totals.append("Pipeline ", style="bold")
        totals.append(f"{money(t.pipeline)}{(' ' + cur) if cur else ''}  ")
        totals.append("wtd ", style="bold")
        totals.append(f"{money(t.weighted)}  ")
        totals.append("qualified ", style="bold")
        totals.append(f"{money(t.qualified)} ({t.share_qualified:.0%})  ", style="green")
        totals.append("flagged ", style="bold")
        totals.append(f"{t.share_flagged:.0%} ({t.flagged_deals}/{t.deals})", style="red")
        self.query_one("#totals", Static).update(totals)
        info = Text(
            f"{len(self.rows)} deals · {self.filters.describe()} · sort: {SORTS[self.sort_index][1]}   "
        )
        info.append_text(legend())
        self.query_one("#pipeline-info", Static).update(info)

    # ------------------------------------------------------------ actions

    def selected_deal_id(self) -> int | None:
        table = self.query_one("#deals", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return int(self.rows[table.cursor_row].id)

    @on(DataTable.RowSelected, "#deals")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """A mouse click on a row opens it too."""
        event.stop()
        self.action_open_deal()

    def action_open_deal(self) -> None:
        deal_id = self.selected_deal_id()
        if deal_id is not None:
            self.kapp.open_deal(deal_id)

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.refresh_table()
        self.notify(f"sorted by {SORTS[self.sort_index][1]}", timeout=2)

    def action_reload(self) -> None:
        self.query_one("#deals", DataTable).loading = True
        self.load()

    def action_clear_filters(self) -> None:
        self.apply_filters(Filters())

    def action_filter(self) -> None:
        owners: list[str] = []
        if self.report is not None:
            owners = sorted({d.owner for d in self.report.deals} | set(self.report.by_owner))
        from kamcoach.review.config import FLAG_IDS

        self.app.push_screen(
            FilterDialog(self.filters, owners, list(OPEN_STAGES), list(FLAG_IDS)),
            self._filters_chosen,
        )

    def _filters_chosen(self, filters: Filters | None) -> None:
        if filters is not None:
            self.apply_filters(filters)

    def apply_filters(self, filters: Filters) -> None:
        reload = (filters.owner, filters.stage, filters.flag) != (
            self.filters.owner,
            self.filters.stage,
            self.filters.flag,
        )
        self.filters = filters
        if reload or self.report is None:
            self.action_reload()
        else:
            self.refresh_table()
