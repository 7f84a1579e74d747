"""Guided qualification: the playbook, criterion by criterion, in Natural Selling order.

For each criterion the rep sees what is known already (evidence), the rubric,
the conversational questions and a field for what the customer said; the
analyser's reading of that text appears as they type. Saving records a rep
review (kept on top of later analyser runs) and, in the same transaction, what
the customer said as a note on the deal, so later analyses read it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Label, Select, Static, TextArea

from kamcoach.clock import now
from kamcoach.domain.models import CriterionScore, Review
from kamcoach.domain.scoring import overall_score, status_for
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.review.prep import phase_timing, status_label
from kamcoach.storage.tx import write_error_message, write_transaction
from kamcoach.tui import data
from kamcoach.tui.messages import DealLoaded, SuggestionReady, WorkFailed
from kamcoach.tui.widgets.heat import score_text
from kamcoach.tui.widgets.status import ModelStatus

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp


def natural_order(playbooks: PlaybookSet, criteria_ids: tuple[str, ...]) -> list[str]:
    """Criteria sorted by the first meeting phase where one of their questions belongs."""
    order = {p.id: i for i, p in enumerate(playbooks.method.phases)}

    def key(cid: str) -> tuple[int, int]:
        crit = playbooks.criteria.get(cid)
        phases = [order.get(q.phase, 99) for q in crit.questions] if crit else []
        return (min(phases) if phases else 99, criteria_ids.index(cid))

    return sorted(criteria_ids, key=key)


class QualifyScreen(Screen[bool]):
    """Dismisses with True when a review was saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="qualify.back"),
        Binding("ctrl+n", "next", "Next", id="qualify.next", tooltip="Next criterion"),
        Binding("ctrl+b", "previous", "Previous", id="qualify.previous"),
        Binding("ctrl+s", "save", "Save", id="qualify.save", tooltip="Save review and note"),
    ]

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.view: data.DealView | None = None
        self.order: list[str] = []
        self.index = 0
        self.answers: dict[str, str] = {}
        self.chosen: dict[str, int] = {}
        self.suggested: dict[str, tuple[int, str, list[str]]] = {}
        self._programmatic = False
        self._expected: tuple[str, object] | None = None
        """(criterion, value) set by code: its Select.Changed is not a rep's choice."""
        self._timer: Timer | None = None

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="qualify-top"):
            yield Static("", id="q-head")
            yield ModelStatus()
        with Horizontal(id="qualify-body"):
            with VerticalScroll(id="q-guide"):
                yield Static("loading…", id="q-text")
            with Vertical(id="q-input"):
                yield Label("What the customer said:")
                yield TextArea(id="said", soft_wrap=True)
                yield Static("", id="suggestion")
                yield Select(
                    [(f"{i}/3 {status_for(i)}", i) for i in range(4)],
                    prompt="score to record",
                    id="q-score",
                )
                yield Static("", id="q-progress")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="qualify-load")
    def load(self) -> None:
        try:
            with self.kapp.db_lock:
                view = data.load_deal(self.kapp.db, self.kapp.playbooks, self.deal_id)
        except Exception as exc:
            self.post_message(WorkFailed("loading the deal", str(exc)))
            return
        self.post_message(DealLoaded(view))

    def on_deal_loaded(self, message: DealLoaded) -> None:
        self.view = message.view
        self.order = natural_order(self.kapp.playbooks, self.view.playbook.criteria_ids)
        self.index = 0
        if self.view.lang != "en":  # the score words in the deal's language, as on the scorecard
            self.query_one("#q-score", Select).set_options(
                [(f"{i}/3 {status_label(status_for(i), self.view.lang)}", i) for i in range(4)]
            )
        self.show()
        self.query_one("#said", TextArea).focus()

    def on_work_failed(self, message: WorkFailed) -> None:
        self.notify(f"{message.what} failed: {message.error}", severity="error", markup=False)

    @property
    def criterion_id(self) -> str | None:
        return self.order[self.index] if self.order else None

    def show(self) -> None:
        view, cid = self.view, self.criterion_id
        if view is None or cid is None:
            return
        playbooks = self.kapp.playbooks
        lang = view.lang
        crit = playbooks.criteria[cid]
        current = view.scores.get(cid)
        value = current.score if current else 0
        head = Text()
        head.append(f"Qualify #{view.id} {view.deal['name']}", style="bold")
        head.append(f" · {view.playbook.name.get(lang)} · {self.index + 1}/{len(self.order)} ")
        head.append(crit.name.get(lang), style="bold cyan")
        self.query_one("#q-head", Static).update(head)

        order = {p.id: i for i, p in enumerate(playbooks.method.phases)}
        questions = sorted(crit.questions, key=lambda q: order.get(q.phase, 99))
        text = Text()
        text.append(crit.definition.get(lang) + "\n\n", style="italic")
        text.append("Known so far: ", style="bold")
        text.append_text(score_text(value, current.status if current else "missing", lang))
        text.append("\n")
        for ev in (current.evidence if current else [])[:3]:
            text.append("✗ " if ev.negated else "✓ ", style="red" if ev.negated else "green")
            text.append(f"“{ev.text}”\n")
        if current and current.reason:
            text.append(f"reason: {current.reason}\n", style="cyan")
        text.append("\nRubric\n", style="bold")
        for i, level in enumerate(crit.rubric):
            mark = "▶ " if i == value else "  "
            text.append(f"{mark}{i} ", style="bold" if i == value else "")
            text.append(level.get(lang) + "\n", style="" if i == value else "dim")
        text.append("\nQuestions\n", style="bold")
        for q in questions:
            phase = playbooks.method.phase(q.phase)
            when = phase_timing(playbooks.method, phase, lang) if phase else q.phase
            text.append(f"{phase.name.get(lang) if phase else q.phase} ({when})\n", style="cyan")
            text.append(f"“{q.text.get(lang)}”\n")
            text.append(f"{q.when.get(lang)}\n", style="dim")
        self.query_one("#q-text", Static).update(text)
        self.query_one("#q-guide", VerticalScroll).scroll_home(animate=False)

        self._programmatic = True
        area = self.query_one("#said", TextArea)
        area.text = self.answers.get(cid, "")
        self._set_score(cid, self.chosen.get(cid, value))
        self._programmatic = False
        self._show_suggestion()
        self._show_progress()

    def _show_suggestion(self) -> None:
        cid = self.criterion_id
        widget = self.query_one("#suggestion", Static)
        if cid is None:
            return
        if cid not in self.answers or not self.answers[cid].strip():
            widget.update(
                Text("Type what the customer said: the analyser suggests a score.", style="dim")
            )
            return
        if cid not in self.suggested:
            state = getattr(self.app, "model_state", "ready")
            widget.update(
                Text(
                    "analysing…" if state == "ready" else "waiting for the language model…",
                    style="dim",
                )
            )
            return
        score, status, evidence = self.suggested[cid]
        text = Text("Suggestion: ", style="bold")
        text.append_text(score_text(score, status, self.view.lang if self.view else "en"))
        for quote in evidence[:2]:
            text.append(f"\n“{quote}”", style="green")
        widget.update(text)

    def _show_progress(self) -> None:
        view = self.view
        if view is None:
            return
        text = Text()
        for i, cid in enumerate(self.order):
            crit = self.kapp.playbooks.criteria.get(cid)
            short = crit.short if crit else cid[:1]
            style = "reverse" if i == self.index else ""
            mark = "●" if cid in self.chosen or self.answers.get(cid, "").strip() else "○"
            text.append(f"{mark}{short} ", style=style)
        self.query_one("#q-progress", Static).update(text)

    # ------------------------------------------------------------ typing and suggestions

    @on(TextArea.Changed, "#said")
    def _said_changed(self, event: TextArea.Changed) -> None:
        cid = self.criterion_id
        if self._programmatic or cid is None:
            return
        self.answers[cid] = event.text_area.text
        self.suggested.pop(cid, None)
        self._show_suggestion()
        self._show_progress()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.4, self._request_suggestion)

    def _request_suggestion(self) -> None:
        cid = self.criterion_id
        if cid is not None and self.answers.get(cid, "").strip() and self.view is not None:
            self.suggest(cid, self.answers[cid], self.view.playbook.id)

    @work(thread=True, exclusive=True, group="qualify-suggest")
    def suggest(self, cid: str, text: str, playbook: str) -> None:
        try:
            self.kapp.wait_for_model()
            result = self.kapp.analyse_text(text, playbook)
        except Exception as exc:
            self.post_message(WorkFailed("the suggestion", str(exc)))
            return
        if result is None:
            return
        score = result.scores.get(cid)
        if score is None:
            return
        evidence = [("not: " if e.negated else "") + e.text for e in score.evidence]
        self.post_message(SuggestionReady(cid, text, score.score, score.status, evidence))

    def on_suggestion_ready(self, message: SuggestionReady) -> None:
        if self.answers.get(message.criterion) != message.text:
            return  # the rep kept typing: a newer suggestion is on its way
        self.suggested[message.criterion] = (message.score, message.status, message.evidence)
        if message.criterion == self.criterion_id:
            if message.criterion not in self.chosen:
                current = self.view.scores.get(message.criterion) if self.view else None
                base = current.score if current else 0
                self._set_score(message.criterion, max(base, message.score))
            self._show_suggestion()

    def _set_score(self, cid: str, value: int) -> None:
        select = self.query_one("#q-score", Select)
        if select.value != value:
            self._expected = (cid, value)
            select.value = value

    @on(Select.Changed, "#q-score")
    def _score_changed(self, event: Select.Changed) -> None:
        cid = self.criterion_id
        if cid is None or event.value is Select.NULL:
            return
        if self._expected == (cid, event.value):
            self._expected = None
            return
        self.chosen[cid] = int(str(event.value))
        self._show_progress()

    # ------------------------------------------------------------ navigation and saving

    def action_next(self) -> None:
        if self.order and self.index < len(self.order) - 1:
            self.index += 1
            self.show()

    def action_previous(self) -> None:
        if self.order and self.index > 0:
            self.index -= 1
            self.show()

    def unsaved_work(self) -> str | None:
        """What q (quit) would throw away: asked about first (see KamcoachApp.action_quit)."""
        return "your qualification answers" if self.build_review() is not None else None

    def action_back(self) -> None:
        if self.build_review() is None:
            self.dismiss(False)
            return
        from kamcoach.tui.dialogs.discard import ConfirmDiscard

        def chosen(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        self.app.push_screen(ConfirmDiscard("your qualification answers"), chosen)

    def build_review(self) -> Review | None:
        """A rep review of every criterion the rep answered or scored."""
        view = self.view
        if view is None:
            return None
        touched = [c for c in self.order if c in self.chosen or self.answers.get(c, "").strip()]
        if not touched:
            return None
        scores: dict[str, CriterionScore] = {}
        for cid in touched:
            current = view.scores.get(cid)
            suggested = self.suggested.get(cid)
            if cid in self.chosen:
                value = self.chosen[cid]
            else:
                value = max(current.score if current else 0, suggested[0] if suggested else 0)
            said = self.answers.get(cid, "").strip()
            scores[cid] = CriterionScore(
                criterion=cid,
                score=value,
                status=status_for(value),
                reason=("customer said: " + said) if said else "set in guided qualification",
            )
        merged = dict(view.scores) | scores
        return Review(
            opportunity_id=view.id,
            playbook=view.playbook.id,
            author_kind="rep",
            scores=scores,
            overall=overall_score(view.playbook, merged),
            created_at=now(),
            author=view.deal["owner"],
            stage=view.deal["stage"],
            comment="guided qualification",
        )

    def said_note(self) -> str:
        """What the customer said, every answered criterion in the guide's order.

        Only the customer's words go into the note (no criterion labels): the
        analyser reads the note later like any call note.
        """
        return "\n\n".join(
            self.answers[c].strip() for c in self.order if self.answers.get(c, "").strip()
        )

    def action_save(self) -> None:
        review = self.build_review()
        if review is None:
            self.notify("Nothing to save: write what the customer said first", severity="warning")
            return
        self.save(review, self.said_note())

    @work(thread=True, exclusive=True, group="qualify-save")
    def save(self, review: Review, note: str) -> None:
        from kamcoach.storage.repo import add_note, save_review

        db = self.kapp.db
        try:
            with self.kapp.db_lock, write_transaction(db):
                # One transaction: the review and the note are kept together or not at all.
                save_review(db, review)
                if note:
                    add_note(db, review.opportunity_id, note, author=review.author)
        except Exception as exc:
            self.post_message(WorkFailed("saving the review", write_error_message(exc)))
            return
        self.app.call_from_thread(self._saved, len(review.scores), bool(note))

    def _saved(self, count: int, noted: bool) -> None:
        kept = "; what the customer said is kept as a note (re-analysed later)" if noted else ""
        self.notify(f"Review saved ({count} criteria){kept}", timeout=6)
        self.dismiss(True)


__all__ = ["QualifyScreen", "natural_order"]
