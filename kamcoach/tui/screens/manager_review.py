"""A manager's review of one deal: per criterion agree or correct, forecast, comment,
next step.

The table lists the playbook's criteria with the score in force, who gave it
(M/R/A) and the manager's decision; the pane below says why that score is in
force and quotes its evidence. On a row, ``y`` agrees (the score in force is
confirmed), ``0``-``3`` corrects it and moves to the reason field: a correction
without a reason is not saved. ``ctrl+s`` saves through the same core function
as ``kamcoach review`` (:func:`kamcoach.records.manager_review.save_manager_review`),
``escape`` leaves without saving. The screen dismisses with True once saved; the
deal screen reloads on resume and shows the manager's scores in force.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static, TextArea

from kamcoach.domain.stages import FORECAST_CATEGORIES
from kamcoach.errors import KamcoachError
from kamcoach.records.manager_review import (
    Correction,
    ManagerReviewInput,
    NextStep,
    validate,
)
from kamcoach.storage.tx import write_error_message
from kamcoach.textsafe import cell
from kamcoach.tui import data
from kamcoach.tui.messages import DealLoaded, WorkFailed
from kamcoach.tui.widgets.heat import score_text

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp

AUTHOR_MARK = {"analyser": "A", "rep": "R", "manager": "M"}


class ManagerReviewScreen(Screen[bool]):
    """Dismisses with True when a review was saved, False when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="review.cancel"),
        Binding("ctrl+s", "save", "Save", id="review.save", tooltip="Save the review"),
        Binding("y", "agree", "Agree", id="review.agree", tooltip="Confirm the score in force"),
        *(
            Binding(str(i), f"correct({i})", f"Correct to {i}", id=f"review.correct{i}", show=False)
            for i in range(4)
        ),
    ]

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.view: data.DealView | None = None
        self.criteria: list[str] = []
        self.agreed: set[str] = set()
        self.corrections: dict[str, tuple[int, str]] = {}
        """criterion -> (new score, reason typed so far)."""
        self.reason_for: str | None = None
        """The criterion the reason field is about."""
        self.saving = False

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="mr-head")
        with Horizontal(id="mr-body"):
            with VerticalScroll(id="mr-left"):
                table: DataTable[Any] = DataTable(id="mr-criteria", cursor_type="row")
                yield table
                yield Label("Reason for the correction (required):", id="mr-reason-label")
                yield Input(placeholder="press 0-3 on a row first", id="mr-reason")
                yield Static("", id="mr-why")
            with Vertical(id="mr-right"):
                yield Select(
                    [(c.replace("_", " "), c) for c in FORECAST_CATEGORIES],
                    prompt="forecast category",
                    id="mr-forecast",
                )
                yield Label("Comment:")
                yield TextArea(id="mr-comment", soft_wrap=True)
                yield Input(placeholder="next step: what", id="mr-what")
                yield Input(placeholder="who", id="mr-who")
                yield Input(placeholder="due YYYY-MM-DD", id="mr-due")
                yield Static("", id="mr-error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#mr-criteria", DataTable)
        table.add_column("Criterion", key="criterion", width=17)
        table.add_column("In force", key="score")
        table.add_column("By", key="by", width=2)
        table.add_column("Rev", key="decision", width=3)
        table.loading = True
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="review-load")
    def load(self) -> None:
        try:
            with self.kapp.db_lock:
                view = data.load_deal(self.kapp.db, self.kapp.playbooks, self.deal_id)
        except Exception as exc:
            self.post_message(WorkFailed("loading the deal", str(exc)))
            return
        self.post_message(DealLoaded(view))

    def on_work_failed(self, message: WorkFailed) -> None:
        self.saving = False
        self.query_one("#mr-criteria", DataTable).loading = False
        self.query_one("#mr-error", Static).update(Text(f"{message.what} failed: {message.error}"))

    def on_deal_loaded(self, message: DealLoaded) -> None:
        self.view = view = message.view
        d = view.deal
        head = Text()
        head.append(f"Manager review #{d['id']} {d['name']}", style="bold")
        head.append(f" · {d['stage']} · {d['amount']:,.0f} {d['currency']} · {d['owner']}")
        self.query_one("#mr-head", Static).update(head)
        self.criteria = list(view.playbook.criteria_ids)
        self.refresh_table()
        table = self.query_one("#mr-criteria", DataTable)
        table.loading = False
        table.focus()  # a loading table cannot hold the focus: take it back once loaded

    # ------------------------------------------------------------ display

    def _decision(self, cid: str) -> Text:
        """A short cell (the table fits its half at 80 columns); the pane below says more."""
        if cid in self.corrections:
            score, reason = self.corrections[cid]
            return Text(f"→{score}" + ("" if reason.strip() else "?"), style="bold yellow")
        if cid in self.agreed:
            return Text("✓", style="green")
        return Text("")

    def refresh_table(self) -> None:
        view = self.view
        if view is None:
            return
        table = self.query_one("#mr-criteria", DataTable)
        cursor = table.cursor_row
        table.clear()
        for cid in self.criteria:
            criterion = self.kapp.playbooks.criteria.get(cid)
            score = view.scores.get(cid)
            found = view.in_force.get(cid)
            table.add_row(
                cell(criterion.name.get(view.lang) if criterion else cid),
                score_text(
                    score.score if score else 0, score.status if score else "missing", view.lang
                ),
                AUTHOR_MARK.get(found.author_kind, "?") if found else "",
                self._decision(cid),
                key=cid,
            )
        if self.criteria:
            table.move_cursor(row=min(max(cursor, 0), len(self.criteria) - 1))
        self._show_why()

    def selected_criterion(self) -> str | None:
        table = self.query_one("#mr-criteria", DataTable)
        if not self.criteria or not 0 <= table.cursor_row < len(self.criteria):
            return None
        return self.criteria[table.cursor_row]

    @on(DataTable.RowHighlighted, "#mr-criteria")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_why()

    def _show_why(self) -> None:
        view, cid = self.view, self.selected_criterion()
        if view is None or cid is None:
            return
        found = view.in_force.get(cid)
        text = Text()
        if cid in self.corrections:
            score, reason = self.corrections[cid]
            text.append(f"your correction: {score}/3 ", style="bold yellow")
            text.append(
                reason.strip() or "(reason required)\n", style="" if reason.strip() else "red"
            )
            text.append("\n" if reason.strip() else "")
        elif cid in self.agreed:
            text.append("you agree with the score in force\n", style="green")
        if found is None:
            text.append("never scored: agreeing confirms 0\n", style="dim")
        else:
            text.append(found.why() + "\n", style="yellow" if found.waiting else "")
            for ev in found.score.evidence[:3]:
                text.append("✗ " if ev.negated else "✓ ", style="red" if ev.negated else "green")
                text.append(f"“{ev.text}”\n")
        self.query_one("#mr-why", Static).update(text)

    # ------------------------------------------------------------ decisions

    def _table_focused(self) -> bool:
        return self.focused is self.query_one("#mr-criteria", DataTable)

    def action_agree(self) -> None:
        cid = self.selected_criterion()
        if cid is None or not self._table_focused():
            return
        if cid in self.agreed:
            self.agreed.discard(cid)  # y again: no decision on this row
        else:
            self.agreed.add(cid)
            self.corrections.pop(cid, None)
        self.refresh_table()

    def action_correct(self, score: int) -> None:
        cid = self.selected_criterion()
        if cid is None or not self._table_focused():
            return
        reason = self.corrections.get(cid, (score, ""))[1]
        self.corrections[cid] = (score, reason)
        self.agreed.discard(cid)
        self.refresh_table()
        self.reason_for = cid
        self.query_one("#mr-reason-label", Label).update(
            Text(f"Why {score}/3 for {cid}? (required)")
        )
        field = self.query_one("#mr-reason", Input)
        field.placeholder = "why (required), then enter"
        field.value = reason
        field.focus()

    @on(Input.Changed, "#mr-reason")
    def _reason_typed(self, event: Input.Changed) -> None:
        cid = self.reason_for
        if cid is not None and cid in self.corrections:
            self.corrections[cid] = (self.corrections[cid][0], event.value)
            table = self.query_one("#mr-criteria", DataTable)
            table.update_cell(cid, "decision", self._decision(cid))
            self._show_why()

    @on(Input.Submitted, "#mr-reason")
    def _reason_done(self, _event: Input.Submitted) -> None:
        self.refresh_table()
        self.query_one("#mr-criteria", DataTable).focus()

    # ------------------------------------------------------------ saving

    def build_input(self) -> ManagerReviewInput:
        forecast = self.query_one("#mr-forecast", Select).value
        what = self.query_one("#mr-what", Input).value.strip()
        who = self.query_one("#mr-who", Input).value.strip()
        due = self.query_one("#mr-due", Input).value.strip()
        return ManagerReviewInput(
            forecast=str(forecast) if isinstance(forecast, str) else None,
            comment=self.query_one("#mr-comment", TextArea).text,
            agree=[c for c in self.criteria if c in self.agreed],
            corrections=[
                Correction(c, s, r) for c, (s, r) in self.corrections.items() if c in self.criteria
            ],
            next_step=NextStep(what, who or None, due or None) if what or who or due else None,
        )

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_save(self) -> None:
        if self.view is None or self.saving:
            return
        self.refresh_table()
        entry = self.build_input()
        error = self.query_one("#mr-error", Static)
        try:
            validate(entry, tuple(self.criteria))
        except KamcoachError as exc:
            error.update(Text(f"not saved: {exc}"))
            return
        error.update("")
        self.saving = True
        self.save(entry)

    @work(thread=True, exclusive=True, group="review-save")
    def save(self, entry: ManagerReviewInput) -> None:
        from kamcoach.preferences import load_user
        from kamcoach.records.manager_review import save_manager_review

        try:
            entry.author = load_user().name
            with self.kapp.db_lock:
                save_manager_review(self.kapp.db, self.deal_id, self.kapp.playbooks, entry)
        except Exception as exc:
            self.post_message(WorkFailed("saving the review", write_error_message(exc)))
            return
        self.app.call_from_thread(self._saved, entry)

    def _saved(self, entry: ManagerReviewInput) -> None:
        parts = [f"forecast {entry.forecast}"] if entry.forecast else []
        if entry.agree:
            parts.append(f"{len(entry.agree)} agreed")
        if entry.corrections:
            parts.append(f"{len(entry.corrections)} corrected")
        self.notify(
            "Manager review saved" + (f": {', '.join(parts)}" if parts else ""), markup=False
        )
        self.dismiss(True)


__all__ = ["ManagerReviewScreen"]
