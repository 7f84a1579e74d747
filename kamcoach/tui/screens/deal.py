"""One deal: scorecard with evidence, flags, contacts, review trend and notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.widgets.data_table import ColumnKey

from kamcoach.clock import now
from kamcoach.domain.models import CriterionScore, Review
from kamcoach.domain.scoring import overall_score, status_for
from kamcoach.storage.tx import write_error_message
from kamcoach.textsafe import cell
from kamcoach.tui import data
from kamcoach.tui.dialogs.next_step import NextStepDialog, NextStepDraft, NextStepSaved
from kamcoach.tui.dialogs.note import NoteDialog, NoteDraft
from kamcoach.tui.dialogs.override import Override, OverrideDialog
from kamcoach.tui.messages import DealAnalysed, DealLoaded, WorkFailed
from kamcoach.tui.widgets.heat import heat_strip, score_text
from kamcoach.tui.widgets.next_step import next_step_line
from kamcoach.tui.widgets.notes import note_text
from kamcoach.tui.widgets.status import ModelStatus

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp

SPARK = "▁▂▃▄▅▆▇█"
AUTHOR_MARK = {"analyser": "A", "rep": "R", "manager": "M"}


def sparkline(values: list[float]) -> str:
    return "".join(SPARK[min(7, int(max(0.0, v) / 100 * 7.999))] for v in values)


class DealScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="deal.back"),
        # Short descriptions: the whole footer fits 80 columns (tooltips say more).
        Binding("n", "add_note", "Note", id="deal.note", tooltip="Write a call note"),
        Binding("o", "override", "Override", id="deal.override", tooltip="Override the score"),
        # g, not q: q quits kamcoach on every screen.
        Binding("g", "qualify", "Qualify", id="deal.qualify", tooltip="Guided qualification"),
        Binding("p", "prep", "Prep", id="deal.prep", tooltip="Pre-call checklist"),
        Binding("a", "analyse", "Analyse", id="deal.analyse", tooltip="Re-analyse the notes"),
        # Off the footer (full at 80 columns); listed in the help screen.
        Binding("m", "review", "Review", id="deal.review", tooltip="Manager's review", show=False),
        Binding("k", "contacts", "Contacts", id="deal.contacts", show=False),  # see the panel
        Binding(
            "w",
            "people",
            "People",
            id="deal.people",
            tooltip="People read from the notes",
            show=False,
        ),
        # Not in the footer (it must fit 80 columns): the header says "press t".
        Binding("t", "next_step", "Next step", id="deal.next_step", show=False),
        Binding("e", "edit_deal", "Edit", id="deal.edit", tooltip="Stage, amount, close, owner"),
        Binding("c", "close_deal", "Close", id="deal.close", tooltip="Won or lost", show=False),
        Binding("z", "pause_deal", "Pause", id="deal.pause", tooltip="Pause/resume", show=False),
    ]

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.view: data.DealView | None = None
        self.criteria: list[str] = []
        self.busy = False

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="deal-top"):
            yield Static("", id="deal-head")
            yield ModelStatus()
        with Horizontal(id="deal-body"):
            with VerticalScroll(id="deal-left"):
                table: DataTable[Any] = DataTable(id="scorecard", cursor_type="row")
                yield table
                yield Static("", id="evidence")
                yield Static("", id="flags")
                yield Static("", id="contacts")
            with VerticalScroll(id="deal-right"):
                yield Static("", id="trend")
                yield Static("", id="notes")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#scorecard", DataTable)
        # Narrow columns (By as one letter) so the scorecard fits its half at 80 columns.
        table.add_column("Criterion", key="criterion", width=17)
        table.add_column("Score", key="score")
        table.add_column("Gate", key="gate")
        table.add_column("By", key="by", width=2)
        table.loading = True
        table.focus()

    def on_screen_resume(self) -> None:
        """Load on first show and after qualify/checklist, which may have saved reviews."""
        self.reload()

    # ------------------------------------------------------------ loading

    @work(thread=True, exclusive=True, group="deal-load")
    def reload(self) -> None:
        try:
            with self.kapp.db_lock:
                view = data.load_deal(self.kapp.db, self.kapp.playbooks, self.deal_id)
        except Exception as exc:
            self.post_message(WorkFailed("loading the deal", str(exc)))
            return
        self.post_message(DealLoaded(view))

    def on_work_failed(self, message: WorkFailed) -> None:
        self.busy = False
        self.query_one("#scorecard", DataTable).loading = False
        self.notify(f"{message.what} failed: {message.error}", severity="error", markup=False)

    def on_deal_loaded(self, message: DealLoaded) -> None:
        self.view = view = message.view
        playbooks = self.kapp.playbooks
        d = view.deal
        lang = view.lang
        gate = view.verdict
        head = Text()
        head.append(f"#{d['id']} {d['name']}", style="bold")
        head.append(f" · {d['account']} · {d['stage']} · {d['amount']:,.0f} {d['currency']}")
        head.append(f" · close {d['close_date'] or '?'} · {d['owner']}\n")
        if d.get("close_reason"):
            head.append(f"{d['stage'].replace('_', ' ')}: {d['close_reason']}\n", style="bold")
        if d.get("pause_reason"):
            until = f" until {d['paused_until']}" if d.get("paused_until") else ""
            head.append(f"paused{until}: {d['pause_reason']}\n", style="yellow")
        head.append(f"{view.playbook.name.get(lang)}: ")
        head.append_text(
            heat_strip(
                playbooks,
                view.playbook,
                {c: s.score for c, s in view.scores.items()},
                {c: s.status for c, s in view.scores.items()},
            )
        )
        head.append(f" {view.overall:.0f}/100  ")
        if gate.passed:
            head.append(f"gate {d['stage']}: passed", style="green")
        else:
            head.append(f"gate {d['stage']}: {len(gate.below)} below", style="red")
        head.append("\n").append_text(next_step_line(view.next_step))
        self.query_one("#deal-head", Static).update(head)

        table = self.query_one("#scorecard", DataTable)
        cursor = table.cursor_row
        table.clear()
        self.criteria = list(view.playbook.criteria_ids)
        minimums = view.playbook.gate(d["stage"])
        for cid in self.criteria:
            criterion = playbooks.criteria.get(cid)
            score = view.scores.get(cid)
            value, status = (score.score, score.status) if score else (0, "missing")
            need = minimums.get(cid)
            gate_cell = (
                Text("")
                if need is None
                else Text(f"≥{need}", style="green" if value >= need else "bold red")
            )
            by = view.overrides.get(cid)
            table.add_row(
                cell(criterion.name.get(lang) if criterion else cid),
                score_text(value, status, lang),
                gate_cell,
                AUTHOR_MARK.get(by.author_kind, "?") if by else "A" if score else "",
                key=cid,
            )
        table.loading = False
        # The panes around the scorecard take focus while it is loading (a loading
        # widget cannot have it); give it back, or the arrows scroll the pane and `o`
        # overrides the first criterion whatever row the user meant.
        focused = self.focused
        if focused is None or focused.id in ("deal-left", "deal-right"):
            table.focus()
        if self.criteria:
            table.move_cursor(row=min(max(cursor, 0), len(self.criteria) - 1))
        self.call_after_refresh(self._fit_scorecard)
        self._show_evidence()

        flags = Text("Flags\n", style="bold")
        if not view.flags:
            flags.append("none\n", style="green")
        for f in view.flags:
            flags.append(
                f"● {f.id}", style={"high": "bold red", "medium": "yellow"}.get(f.severity, "dim")
            )
            flags.append(f": {f.reason}\n")
        self.query_one("#flags", Static).update(flags)

        contacts = Text("Contacts", style="bold")
        contacts.append(" (k: add, edit, link)\n", style="dim")
        if not view.contacts:
            contacts.append("none linked to this deal\n", style="yellow")
        for c in view.contacts:
            contacts.append(f"{c['name']}", style="strike" if c["left_company"] else "")
            contacts.append(f", {c['title'] or '?'} · {c['role'].replace('_', ' ')}")
            if c["stance"]:
                contacts.append(f" · {c['stance']}")
            if c["influence"]:
                contacts.append(f" · {c['influence']} influence")
            if c["left_company"]:
                contacts.append(" (left)", style="red")
            elif not c["engaged"]:
                contacts.append(" (not engaged)", style="yellow")
            contacts.append("\n")
        self.query_one("#contacts", Static).update(contacts)

        trend = Text("Review trend ", style="bold")
        values = [r.overall for r in view.reviews if r.playbook == view.playbook.id]
        if values:
            trend.append(sparkline(values), style="cyan")
            trend.append(f"  {len(values)} review{'s' if len(values) != 1 else ''}\n")
            for r in view.reviews[-4:]:
                trend.append(
                    f"{r.created_at:%Y-%m-%d} {r.author_kind:<8} {r.overall:5.1f}"
                    + (f"  {', '.join(r.scores)}" if r.author_kind != "analyser" else "")
                    + "\n",
                    style="dim",
                )
        else:
            trend.append("no review yet: press a to analyse the notes\n", style="dim")
        self.query_one("#trend", Static).update(trend)

        notes = Text(f"Notes ({len(view.notes)}, newest first)\n", style="bold")
        for note in view.notes:
            notes.append_text(note_text(note, data.evidence_spans(note, view.scores)))
            notes.append("\n\n")
        if not view.notes:
            notes.append("no notes yet: press n to add one\n", style="dim")
        self.query_one("#notes", Static).update(notes)
        self.sub_title = d["name"]

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self._fit_scorecard)

    def _fit_scorecard(self) -> None:
        """The criterion column takes what its pane leaves: no sideways scrollbar at 80 columns.

        The other columns keep their width (the score is what the user reads);
        a long criterion name ends with "…".
        """
        table = self.query_one("#scorecard", DataTable)
        room = self.query_one("#deal-left").scrollable_content_region.width
        others = sum(
            c.get_render_width(table) for c in table.ordered_columns if c.key.value != "criterion"
        )
        width = max(8, min(22, room - others - 2 * table.cell_padding))
        column = table.columns.get(ColumnKey("criterion"))
        if column is not None and column.width != width:
            column.width = width
            table.refresh(layout=True)

    @on(DataTable.RowHighlighted, "#scorecard")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_evidence()

    def selected_criterion(self) -> str | None:
        table = self.query_one("#scorecard", DataTable)
        if not self.criteria or not 0 <= table.cursor_row < len(self.criteria):
            return None
        return self.criteria[table.cursor_row]

    def _show_evidence(self) -> None:
        view, cid = self.view, self.selected_criterion()
        if view is None or cid is None:
            return
        criterion = self.kapp.playbooks.criteria.get(cid)
        score = view.scores.get(cid)
        text = Text()
        text.append(f"{criterion.name.get(view.lang) if criterion else cid}: ", style="bold")
        value = score.score if score else 0
        if criterion:
            text.append(criterion.rubric[value].get(view.lang) + "\n", style="italic")
        if score and score.reason:
            text.append(f"reason: {score.reason}\n", style="cyan")
        found = view.in_force.get(cid)
        if found is not None:  # which score is in force, and what waits behind it
            text.append(found.why() + "\n", style="yellow" if found.waiting else "dim")
        evidence = score.evidence if score else []
        if not evidence:
            text.append("no evidence quoted\n", style="dim")
        for ev in evidence[:4]:
            text.append("✗ " if ev.negated else "✓ ", style="red" if ev.negated else "green")
            text.append(f"“{ev.text}”\n")
        self.query_one("#evidence", Static).update(text)

    # ------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_qualify(self) -> None:
        self.kapp.open_qualify(self.deal_id)

    def action_prep(self) -> None:
        self.kapp.open_checklist(self.deal_id)

    def action_review(self) -> None:
        from kamcoach.tui.screens.manager_review import ManagerReviewScreen

        self.app.push_screen(ManagerReviewScreen(self.deal_id))  # reloads on resume

    def action_contacts(self) -> None:
        from kamcoach.tui.screens.contacts import ContactsScreen

        self.app.push_screen(ContactsScreen(self.deal_id))  # reloads this screen on the way back

    def action_add_note(self) -> None:
        from kamcoach.errors import InputError
        from kamcoach.preferences import load_user

        name = self.view.deal["name"] if self.view else f"deal {self.deal_id}"
        try:
            author: str | None = load_user().name
        except InputError as exc:  # a broken config.toml: say so, let the rep type a name
            author = None
            self.notify(str(exc), severity="warning", markup=False)
        self.app.push_screen(
            NoteDialog(name, save=self.store_note, author=author), self._note_written
        )

    def store_note(self, draft: NoteDraft) -> None:
        """Runs in the note dialog's worker: the dialog closes only once this returned."""
        from kamcoach.records.notes import add_note

        with self.kapp.db_lock:
            add_note(self.kapp.db, self.deal_id, draft.text, author=draft.author, title=draft.title)

    def action_next_step(self) -> None:
        name = self.view.deal["name"] if self.view else f"deal {self.deal_id}"
        current = self.view.next_step if self.view else None
        self.app.push_screen(
            NextStepDialog(name, current, save=self.store_next_step), self._next_step_saved
        )

    def store_next_step(self, draft: NextStepDraft) -> NextStepSaved:
        """Runs in the next-step dialog's worker (set, or mark the current one done)."""
        from kamcoach.records import next_steps

        with self.kapp.db_lock:
            if draft.done:
                step = next_steps.mark_done(self.kapp.db, self.deal_id)
                return NextStepSaved(True, step.what)
            result = next_steps.set_next_step(
                self.kapp.db, self.deal_id, draft.what, who=draft.who, due=draft.due
            )
        return NextStepSaved(False, result.step.summary(), result.warning)

    def _next_step_saved(self, saved: NextStepSaved | None) -> None:
        if saved is None:
            return
        if saved.done:
            self.notify(f"Done: {saved.summary}", markup=False)
        else:
            self.notify(f"Next step: {saved.summary}", markup=False)
        if saved.warning:
            self.notify(saved.warning, severity="warning", markup=False)
        self.reload()

    def _note_written(self, text: str | None) -> None:
        if text:  # already stored by the dialog
            self.busy = True
            self.notify("Note saved; analysing…", timeout=3)
            self.analyse()  # the screen reloads itself on resume

    def action_edit_deal(self) -> None:
        if self.view is not None:
            from kamcoach.tui.dialogs.deal_form import edit_deal_form

            form = edit_deal_form(self.kapp, self.view.deal)
            self.app.push_screen(form, self._deal_changed)

    def action_close_deal(self) -> None:
        self._change_status("close")

    def action_pause_deal(self) -> None:
        if self.view is not None:
            self._change_status("resume" if self.view.deal.get("pause_reason") else "pause")

    def _change_status(self, kind: str) -> None:
        if self.view is not None:
            from kamcoach.tui.dialogs.deal_status import status_dialog

            dialog = status_dialog(self.kapp, kind, self.view.deal)
            self.app.push_screen(dialog, self._deal_changed)

    def _deal_changed(self, result: object | None) -> None:
        if result is not None:  # already stored by the dialog; the screen reloads on resume
            self.notify("Deal saved", timeout=3)
            self.reload()

    def action_analyse(self) -> None:
        self.busy = True
        self.notify("Analysing the notes…", timeout=3)
        self.analyse()

    @work(thread=True, exclusive=True, group="deal-analyse")
    def analyse(self) -> None:
        self._analyse()

    def _analyse(self) -> None:
        """Runs in a worker thread: waits for the model, then analyses under the DB lock."""
        try:
            self.kapp.wait_for_model()
            review_id = self.kapp.analyse_deal(self.deal_id)
        except Exception as exc:
            self.post_message(WorkFailed("analysing the notes", write_error_message(exc)))
            return
        self.post_message(DealAnalysed(self.deal_id, review_id))

    def on_deal_analysed(self, message: DealAnalysed) -> None:
        if message.review_id is not None:
            self.busy = False
            self.notify("Scorecard updated from the notes")
        self.reload()

    def action_people(self) -> None:
        from kamcoach.records import proposals
        from kamcoach.tui.dialogs.people import PeopleDialog

        app, name = self.kapp, self.view.deal["name"] if self.view else f"deal {self.deal_id}"

        def load() -> list[proposals.Proposal]:
            with app.db_lock:
                return proposals.list_proposals(app.db, deal_id=self.deal_id)

        def decide(proposal_id: int, verb: str) -> proposals.Decision:
            with app.db_lock:
                if verb == "accept":
                    return proposals.accept(app.db, proposal_id, playbooks=app.playbooks)
                return proposals.dismiss(app.db, proposal_id)

        self.app.push_screen(PeopleDialog(name, load, decide), self._people_decided)

    def _people_decided(self, decided: bool | None) -> None:
        if decided:
            self.reload()

    def action_override(self) -> None:
        view, cid = self.view, self.selected_criterion()
        if view is None or cid is None:
            return
        criterion = self.kapp.playbooks.criteria[cid]
        score = view.scores.get(cid)
        self.app.push_screen(
            OverrideDialog(
                cid,
                criterion.name.get(view.lang),
                score.score if score else 0,
                [r.get(view.lang) for r in criterion.rubric],
                save=lambda override: self.kapp.save_override(view, override),
            ),
            self._override_chosen,
        )

    def _override_chosen(self, override: Override | None) -> None:
        if override is not None:  # already stored by the dialog
            self.notify(
                f"{override.criterion} set to {override.score}/3 ({override.author_kind})",
                markup=False,
            )
            self.reload()


def override_review(view: data.DealView, override: Override) -> Review:
    """The review recording a human override: only the overridden criterion."""
    scores: dict[str, CriterionScore] = dict(view.scores)
    changed = CriterionScore(
        criterion=override.criterion,
        score=override.score,
        status=status_for(override.score),
        reason=override.reason,
    )
    scores[override.criterion] = changed
    return Review(
        opportunity_id=view.id,
        playbook=view.playbook.id,
        author_kind=override.author_kind,
        scores={override.criterion: changed},
        overall=overall_score(view.playbook, scores),
        created_at=now(),
        author=view.deal["owner"] if override.author_kind == "rep" else None,
        stage=view.deal["stage"],
        comment=override.reason,
    )
