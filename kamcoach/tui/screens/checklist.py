"""The pre-call checklist of one deal, with Markdown export."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, SelectionList, Static

from kamcoach.checklist_ticks import load_ticks, save_ticks
from kamcoach.errors import InputError
from kamcoach.io.safe_write import Guarded, database_files_of, write_atomic
from kamcoach.review.prep import build_checklist, checklist_markdown, status_label
from kamcoach.tui.dialogs.export import ExportChoice, ExportDialog
from kamcoach.tui.messages import ChecklistReady, WorkFailed
from kamcoach.tui.widgets.status import ModelStatus

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp


def default_export_path(checklist: Any, folder: Path | None = None) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", checklist.deal.lower()).strip("-")[:40] or "deal"
    return (folder or Path.cwd()) / f"prep-{checklist.deal_id}-{slug}.md"


class ChecklistScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="checklist.back"),
        Binding("e", "export", "Export md", id="checklist.export", tooltip="Write Markdown"),
        Binding("r", "reload", "Rebuild", id="checklist.reload"),
    ]

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.checklist: Any = None
        self.markdown = ""
        self.guarded: list[Guarded] = []
        """The database's files, which an export must never replace."""
        self.ticked: set[str] = set()
        """Criteria of the items the rep has ticked (space or enter), kept in the state file."""

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="checklist-top"):
            yield Static("Pre-call checklist", id="checklist-head")
            yield ModelStatus()
        # The gaps to close, tickable (space or enter); the full text scrolls below.
        yield SelectionList[str](id="checklist-items")
        with VerticalScroll(id="checklist-body"):
            yield Markdown("", id="checklist-md")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#checklist-body").loading = True
        self.build()

    @work(thread=True, exclusive=True, group="checklist")
    def build(self) -> None:
        try:
            self.kapp.analyse_if_stale(self.deal_id)
            with self.kapp.db_lock:
                checklist = build_checklist(self.kapp.db, self.deal_id, self.kapp.playbooks)
                self.guarded = database_files_of(self.kapp.db)  # read here: we hold the lock
        except Exception as exc:
            self.post_message(WorkFailed("building the checklist", str(exc)))
            return
        self.post_message(ChecklistReady(checklist))

    async def on_checklist_ready(self, message: ChecklistReady) -> None:
        self.checklist = c = message.checklist
        criteria = {it.criterion for it in c.items}
        self.ticked = load_ticks(c.deal_id) & criteria
        items: SelectionList[str] = self.query_one("#checklist-items", SelectionList)
        cursor = items.highlighted
        items.clear_options()
        for it in c.items:
            ticked = it.criterion in self.ticked
            items.add_option((self._prompt(it, ticked), it.criterion, ticked))
        items.display = bool(c.items)
        if c.items:  # space ticks the first item straight away
            items.highlighted = min(cursor or 0, len(c.items) - 1)
        await self._show_ticks()
        body = self.query_one("#checklist-body")
        body.loading = False
        (items if c.items else body).focus()

    def _prompt(self, item: Any, ticked: bool) -> Text:
        """One gap on one line; once ticked, struck through (the tick shows without colour)."""
        lang = self.checklist.lang
        prompt = Text(f"{item.name} ", style="bold strike dim" if ticked else "bold")
        prompt.append(
            f"{item.score}/3 {status_label(item.status, lang)} → {item.target}/3",
            style="strike dim" if ticked else "",
        )
        prompt.append(f" · {item.question}", style="italic dim" if ticked else "italic")
        return prompt

    async def _show_ticks(self) -> None:
        """Head line and Markdown with the ticks (an export carries them as ``[x]``)."""
        c = self.checklist
        self.markdown = checklist_markdown(c, self.ticked)
        self.query_one("#checklist-head", Static).update(
            Content.assemble(
                ("Prep", "bold"),
                f" #{c.deal_id} {c.deal} · {len(c.items)} gaps, {len(self.ticked)} ticked · "
                f"{sum(1 for a in c.attendees if a.missing)} roles missing",
            )
        )
        await self.query_one("#checklist-md", Markdown).update(self.markdown)

    @on(SelectionList.SelectedChanged, "#checklist-items")
    async def _ticked(self, event: SelectionList.SelectedChanged[str]) -> None:
        ticked = set(event.selection_list.selected)
        if self.checklist is None or ticked == self.ticked:
            return  # the ticks read from the state file, being shown: nothing to save
        self.ticked = ticked
        for index, item in enumerate(self.checklist.items):
            prompt = self._prompt(item, item.criterion in self.ticked)
            event.selection_list.replace_option_prompt_at_index(index, prompt)
        if not save_ticks(self.checklist.deal_id, self.ticked):
            self.notify(
                "Could not remember the ticks (state folder not writable)", severity="warning"
            )
        await self._show_ticks()

    def on_work_failed(self, message: WorkFailed) -> None:
        self.query_one("#checklist-body").loading = False
        self.notify(f"{message.what} failed: {message.error}", severity="error", markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.query_one("#checklist-body").loading = True
        self.build()

    def action_export(self) -> None:
        if self.checklist is None:
            self.notify("The checklist is still being built", severity="warning")
            return
        dialog = ExportDialog(
            default_export_path(self.checklist, self.kapp.export_dir), guarded=self.guarded
        )
        self.app.push_screen(dialog, self.export_to)

    def export_to(self, choice: ExportChoice | None) -> None:
        if choice is None:
            return
        try:
            write_atomic(choice.path, self.markdown, self.guarded, force=choice.overwrite)
        except InputError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(f"Checklist written to {choice.path}", timeout=6, markup=False)
