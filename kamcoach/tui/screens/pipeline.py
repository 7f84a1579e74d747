"""The manager's pipeline: every open deal, its heat strip, score and flags, with totals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static

from kamcoach.domain.stages import OPEN_STAGES
from kamcoach.records.currency import amount_text, group_left_out, left_out_line
from kamcoach.review.pipeline_model import DealRows
from kamcoach.textsafe import cell
from kamcoach.tui import data
from kamcoach.tui.dialogs.filters import FilterDialog, Filters
from kamcoach.tui.messages import PipelineLoaded, WorkFailed
from kamcoach.tui.widgets.heat import heat_strip, legend
from kamcoach.tui.widgets.next_step import next_step_cell
from kamcoach.tui.widgets.status import ModelStatus
from kamcoach.tui.widgets.tables import SearchInput, fit

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp

SORTS: tuple[tuple[str, str], ...] = (
    ("flags", "exceptions first"),
    ("close", "close date"),
    ("amount", "amount (largest)"),
    ("score", "score (lowest)"),
    ("owner", "owner"),
    ("name", "deal name"),
    ("stage", "stage"),
    ("account", "account"),
)
HEADER_SORTS = {
    "id": "id",
    "name": "name",
    "stage": "stage",
    "amount": "amount",
    "close": "close",
    "owner": "owner",
    "heat": "score",
    "score": "score",
    "flags": "flags",
    "account": "account",
}
"""Column key -> sort key: what a click on a column header sorts by."""
STAGE_SHORT = {
    "discovery": "disc",
    "qualification": "qual",
    "proposal": "prop",
    "negotiation": "nego",
    "commit": "commit",
}
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}
PAGE = 200
"""Rows added to the table at a time: a 100k-deal pipeline shows its first page at once
and the next one when the cursor comes near the end (rows are built as they are shown)."""
SEARCH_DEBOUNCE_FROM = 5_000
"""From this many deals the table is filtered once the typing pauses, not at every key."""
SEARCH_TOTALS_LIMIT = 5_000
"""Up to this many deals kept by a search, the totals are theirs (each row is built to sum it)."""
WIDE_LAYOUT = 130
"""From this many columns the table also shows the close date and the account."""
FIXED_WIDTH = 3 + 6 + 9 + 9 + 8 + 5 + 2 * 8
"""Fixed columns (#, stage, amount, owner, heat, score) plus the cell padding
of those and of the deal and flags columns."""


def layout_for(width: int) -> str:
    """'wide' (every column) or 'compact' (close date and account below the table)."""
    return "wide" if width >= WIDE_LAYOUT else "compact"


def short_owner(name: str) -> str:
    """'Sarah Collins' -> 'Sarah C.' (the pipeline table is read at 80 columns)."""
    parts = name.split()
    if len(parts) < 2:
        return name
    short = f"{parts[0]} {parts[-1][0]}."
    return short if len(short) <= 9 else short[:-1]  # the column is 9 wide: the dot goes first


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
        Binding("R", "reps", "Reps", id="pipeline.reps", tooltip="List and edit reps", show=False),
        Binding("n", "new_deal", "New deal", id="pipeline.new", tooltip="Create a deal by hand"),
        Binding(
            "slash",
            "search",
            "Search",
            id="pipeline.search",
            tooltip="Filter by name, account, owner",
        ),
        Binding(
            "S",
            "reverse_sort",
            "Reverse",
            id="pipeline.reverse",
            tooltip="Reverse the order",
            show=False,
        ),
        Binding("escape", "clear_search", "Clear search", id="pipeline.clear_search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters()
        self.sort_index = 0
        self.sort_reverse = False
        """The order of ``SORTS[sort_index]`` turned round (second click on a header, or S)."""
        self.sort_key: str | None = None
        """A header sort outside SORTS (the # column); None: ``SORTS[sort_index]``."""
        self.search = ""
        """What the ``/`` line holds: rows whose name, account or owner match."""
        self._search_timer: Timer | None = None
        self.report: Any = None
        self.rows: Sequence[Any] = []
        """Every deal on show, in order (a lazy :class:`DealRows`: rows are built when read)."""
        self.shown = 0
        """How many of ``rows`` are in the table so far."""
        self.totals: Any = None
        """The totals on show: the report's, or the account's rows summed."""
        self.columns_layout = "compact"

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="pipeline-top"):
            yield Static("", id="totals")
            yield ModelStatus()
        yield Static("", id="pipeline-info")
        yield SearchInput("#deals", id="pipeline-search")
        table: DataTable[Any] = DataTable(id="deals", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="pipeline-row")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#deals", DataTable)
        self._build_columns(self.app.size.width)
        table.loading = True
        table.focus()

    def on_resize(self, event: events.Resize) -> None:
        if layout_for(event.size.width) != self.columns_layout:
            self._build_columns(event.size.width)
            self.refresh_table()

    def _build_columns(self, width: int) -> None:
        """Columns sized to the terminal: no sideways scrolling at 80 columns.

        Below WIDE_LAYOUT columns the close date and the account leave the table
        for the line under it (the highlighted deal in full); the deal name and
        flags share whatever width is left.
        """
        self.columns_layout = layout_for(width)
        table = self.query_one("#deals", DataTable)
        table.clear(columns=True)
        flexible = max(20, width - 2 - FIXED_WIDTH - (14 if self.columns_layout == "wide" else 0))
        if self.columns_layout == "wide":
            # The next step gets a fifth (and its padding); compact shows it under the table.
            next_w = max(12, flexible // 5)
            flexible -= next_w + 2
            deal_w, flags_w = flexible * 2 // 5, flexible * 3 // 10
            account_w = flexible - deal_w - flags_w - 2
        else:
            deal_w = max(13, flexible * 3 // 5)
            flags_w, account_w = flexible - deal_w, 0
        table.add_column("#", key="id", width=3)
        table.add_column("Deal", key="name", width=deal_w)
        table.add_column("Stage", key="stage", width=6)
        table.add_column("Amount", key="amount", width=9)
        if self.columns_layout == "wide":
            table.add_column("Close", key="close", width=10)
        table.add_column("Owner", key="owner", width=9)
        table.add_column("Heat", key="heat", width=8)
        table.add_column("Score", key="score", width=5)
        table.add_column("Flags", key="flags", width=flags_w)
        if self.columns_layout == "wide":
            table.add_column("Next step", key="next_step", width=next_w)
            table.add_column("Account", key="account", width=account_w)

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
        self.notify(f"{message.what} failed: {message.error}", severity="error", markup=False)

    # ------------------------------------------------------------ rendering

    def _sort_label(self) -> str:
        label = "#" if self.sort_key == "id" else SORTS[self.sort_index][1]
        return f"{label}, reversed" if self.sort_reverse else label

    def _sorted(self, deals: Sequence[Any]) -> Sequence[Any]:
        key = self.sort_key or SORTS[self.sort_index][0]
        if isinstance(deals, DealRows):  # sorted on the review's facts: no row is built
            return deals.sorted_by(key, reverse=self.sort_reverse)
        ordered = self._sorted_rows(deals, key)
        return ordered[::-1] if self.sort_reverse else ordered

    @staticmethod
    def _sorted_rows(deals: Sequence[Any], key: str) -> list[Any]:
        """Built rows in the order :meth:`DealRows.sorted_by` gives (a report without facts)."""
        from kamcoach.domain.stages import STAGES
        from kamcoach.textmatch import fold

        if key == "name":
            return sorted(deals, key=lambda d: (fold(d.name), d.id))
        if key == "account":
            return sorted(deals, key=lambda d: (fold(d.account), d.id))
        if key == "stage":
            rank = {s: i for i, s in enumerate(STAGES)}
            return sorted(deals, key=lambda d: (rank.get(d.stage, len(rank)), d.id))
        if key == "id":
            return sorted(deals, key=lambda d: d.id)
        if key == "close":
            return sorted(deals, key=lambda d: (d.close_date is None, d.close_date or 0, d.id))
        if key == "amount":
            return sorted(deals, key=lambda d: (-d.amount, d.id))
        if key == "score":
            return sorted(deals, key=lambda d: (d.score is not None, d.score or 0, d.id))
        if key == "owner":
            return sorted(deals, key=lambda d: (d.owner, d.id))
        return list(deals)

    def _searched(self, deals: Sequence[Any]) -> Sequence[Any]:
        if not self.search.strip():
            return deals
        if isinstance(deals, DealRows):
            return deals.matching(self.search)
        from kamcoach.textmatch import matcher

        matches = matcher(self.search)
        return [d for d in deals if matches((d.name, d.account, d.owner))]

    def _for_account(self, deals: Sequence[Any], account: str) -> Sequence[Any]:
        if isinstance(deals, DealRows):
            return deals.for_account(account)
        return [d for d in deals if d.account == account]

    def _add_rows(self, upto: int) -> None:
        """Put rows ``shown .. upto`` in the table (each built as it is added)."""
        table = self.query_one("#deals", DataTable)
        playbooks = self.kapp.playbooks
        upto = min(upto, len(self.rows))
        for d in self.rows[self.shown : upto]:
            playbook = playbooks.playbooks.get(d.playbook)
            strip = heat_strip(playbooks, playbook, d.scores, d.statuses) if playbook else Text("")
            flags = fit(Text())
            if d.flags:
                top = d.flags[0]
                flags.append(f"{len(d.flags)} ", style="bold")
                flags.append(top.id.replace("_", " "), style=SEVERITY_STYLE.get(top.severity, ""))
                others = [f.id.replace("_", " ") for f in d.flags[1:]]
                if others:
                    flags.append(", " + ", ".join(others), style="dim")
            score = fit(Text("  -", style="dim") if d.score is None else Text(f"{d.score:3.0f}"))
            # Names as Text cells: a str cell is read as markup by the DataTable.
            cells: list[Any] = [
                str(d.id),
                cell(d.name),
                STAGE_SHORT.get(d.stage, d.stage),
                fit(
                    Text(
                        f"{money(d.amount)} {d.currency if d.currency != 'EUR' else '€'}",
                        justify="right",
                    )
                ),
            ]
            if self.columns_layout == "wide":
                cells.append(d.close_date.isoformat() if d.close_date else "")
            cells += [cell(short_owner(d.owner)), fit(strip), score, flags]
            if self.columns_layout == "wide":
                cells += [
                    next_step_cell(d.next_step, getattr(self.report, "today", None)),
                    cell(d.account),
                ]
            table.add_row(
                *cells,
                key=str(d.id),
            )
        self.shown = max(self.shown, upto)

    def refresh_table(self) -> None:
        table = self.query_one("#deals", DataTable)
        report = self.report
        if report is None:
            return
        deals: Sequence[Any] = report.deals
        if self.filters.account:
            deals = self._for_account(deals, self.filters.account)
        before_search = len(deals)
        deals = self._searched(deals)
        self.rows = self._sorted(deals)
        playbooks = self.kapp.playbooks
        current = table.cursor_row
        table.clear()
        self.shown = 0
        self._add_rows(max(PAGE, current + 1))
        table.loading = False
        if self.shown:
            table.move_cursor(row=min(max(current, 0), self.shown - 1))
        searched = len(self.rows) < before_search
        # The totals are the listed deals' (issue 13 defect 11), searched or not; summing
        # means building each row, so a search keeping a huge share of a huge pipeline
        # shows the scope's totals (said on the info line) rather than freeze the screen.
        own_totals = self.filters.account or (searched and len(self.rows) <= SEARCH_TOTALS_LIMIT)
        if own_totals:
            t = data.rows_totals(playbooks, self.rows, key=self.filters.account or "search")
        else:
            t = report.total
        self.totals = t
        # Totals are in the team's base currency; deals with no rate are named below.
        cur = getattr(report, "base_currency", "")
        left_out = getattr(report, "left_out", ())
        if own_totals:
            left_out = group_left_out(
                (d.id, d.currency) for d in self.rows if d.amount_base is None
            )
        # Short labels: the line stays on one row at 80 columns beside the model status.
        totals = Text()
        totals.append("Pipe ", style="bold")
        totals.append(f"{money(t.pipeline)}{(' ' + cur) if cur else ''}  ")
        totals.append("wtd ", style="bold")
        totals.append(f"{money(t.weighted)}  ")
        totals.append("qual ", style="bold")
        totals.append(f"{money(t.qualified)} {t.share_qualified:.0%}  ", style="green")
        totals.append("flag ", style="bold")
        totals.append(f"{t.share_flagged:.0%} {t.flagged_deals}/{t.deals}", style="red")
        scope = getattr(report, "scope_total", None)
        if scope is not None and not own_totals:
            totals.append(f"  of {scope.deals}", style="dim")  # the deals the flag filter kept
        self.query_one("#totals", Static).update(totals)
        count = f"{len(self.rows)} of {before_search}" if self.search.strip() else len(self.rows)
        info = Text(f"{count} deals · {self.filters.describe()} · sort: {self._sort_label()}   ")
        if searched and not own_totals:
            info.append("totals: every deal in scope   ", style="yellow")
        info.append_text(legend())
        if left_out:  # first on the line: the totals above leave these deals out
            info = Text(left_out_line(left_out) + " · ", style="bold yellow").append_text(info)
        self.query_one("#pipeline-info", Static).update(info)
        self._show_row()

    @on(DataTable.RowHighlighted, "#deals")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.shown - PAGE // 10 and self.shown < len(self.rows):
            self._add_rows(self.shown + PAGE)  # the next page, as the cursor nears the end
        self._show_row()

    def _show_row(self) -> None:
        """The highlighted deal in full: what the narrow columns cut (account, close, flags)."""
        deal_id = self.selected_deal_id()
        line = Text()
        row = None if deal_id is None else self.rows[self.query_one("#deals", DataTable).cursor_row]
        if row is not None:
            line.append(f"#{row.id} {row.name}", style="bold")
            line.append(f" · {row.account} · close {row.close_date or '?'}")
            if row.base_currency and row.currency != row.base_currency:
                amount = amount_text(row.amount, row.currency, row.amount_base, row.base_currency)
                line.append(f" · {amount}")
            if row.forecast:  # the latest manager review's forecast category
                line.append(f" · {row.forecast.replace('_', ' ')}", style="cyan")
            if row.flags:
                line.append(" · " + ", ".join(f.id.replace("_", " ") for f in row.flags))
            if row.next_step is not None:
                line.append(" · next: ")
                line.append_text(next_step_cell(row.next_step, getattr(self.report, "today", None)))
        self.query_one("#pipeline-row", Static).update(line)

    # ------------------------------------------------------------ actions

    def selected_deal_id(self) -> int | None:
        table = self.query_one("#deals", DataTable)
        if (
            not self.rows
            or table.cursor_row < 0
            or table.cursor_row >= min(self.shown, len(self.rows))
        ):
            return None
        return int(self.rows[table.cursor_row].id)

    @on(DataTable.RowSelected, "#deals")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """A mouse click on a row opens it too."""
        event.stop()
        self.action_open_deal()

    @on(DataTable.HeaderSelected, "#deals")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column header sorts by it; a second click reverses the order."""
        event.stop()
        key = HEADER_SORTS.get(str(event.column_key.value))
        if key is None:  # the next step: no order to give
            return
        current = self.sort_key or SORTS[self.sort_index][0]
        if key == current:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_reverse = False
            self.sort_key = "id" if key == "id" else None
            if key != "id":
                self.sort_index = [k for k, _ in SORTS].index(key)
        self.refresh_table()

    def action_search(self) -> None:
        self.query_one("#pipeline-search", SearchInput).open()

    @on(SearchInput.Changed, "#pipeline-search")
    def _search_changed(self, event: SearchInput.Changed) -> None:
        """Filter as the user types; the best place to start reading is the top row."""
        event.stop()
        self.search = event.value
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        if self.report is None:
            return
        if len(self.report.deals) > SEARCH_DEBOUNCE_FROM:  # wait for a pause in the typing
            self._search_timer = self.set_timer(0.15, self._apply_search)
        else:
            self._apply_search()

    def _apply_search(self) -> None:
        self._search_timer = None
        self.query_one("#deals", DataTable).move_cursor(row=0)
        self.refresh_table()

    def action_clear_search(self) -> None:
        """Escape with the focus on the table: the whole pipeline again."""
        search = self.query_one("#pipeline-search", SearchInput)
        if search.value or search.has_class("-open"):
            search.action_close()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.refresh_table()

    def action_open_deal(self) -> None:
        deal_id = self.selected_deal_id()
        if deal_id is not None:
            self.kapp.open_deal(deal_id)

    def action_new_deal(self) -> None:
        from kamcoach.tui.dialogs.deal_form import new_deal_form

        self.app.push_screen(new_deal_form(self.kapp), self._deal_created)

    def _deal_created(self, deal_id: int | None) -> None:
        if deal_id:  # stored by the form: show it in the table, and open it
            self.action_reload()
            self.kapp.open_deal(deal_id)

    def action_sort(self) -> None:
        if self.sort_key is None:
            self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.sort_key, self.sort_reverse = None, False
        self.refresh_table()
        self.notify(f"sorted by {SORTS[self.sort_index][1]}", timeout=2)

    def action_reload(self) -> None:
        self.query_one("#deals", DataTable).loading = True
        self.load()

    def action_reps(self) -> None:
        from kamcoach.tui.screens.reps import RepsScreen

        self.app.push_screen(RepsScreen())

    def action_clear_filters(self) -> None:
        self.apply_filters(Filters())

    def action_filter(self) -> None:
        owners: list[str] = []
        if self.report is not None:
            owners = sorted(self.report.by_owner)  # every owner in scope, rows or not
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
