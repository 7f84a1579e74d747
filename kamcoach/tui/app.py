"""The kamcoach terminal app and its factory.

``make_app`` is the one way to build the app: the CLI (``kamcoach``,
``kamcoach tui``) and the tests (Pilot and SVG snapshots) call it. The app
holds the database, the playbooks and a lock that serialises database access
between the event loop and the thread workers; everything slow (loading
spaCy, reviewing the pipeline, analysing notes) runs in workers.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from sqlite_utils import Database
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive

from kamcoach.playbooks.model import PlaybookSet
from kamcoach.tui.commands import DealsProvider, RepsProvider
from kamcoach.tui.deal_commands import DealCommands
from kamcoach.tui.dialogs.help import HelpScreen
from kamcoach.tui.messages import ModelFailed, ModelReady, NotesAnalysed
from kamcoach.tui.screens.pipeline import PipelineScreen

#: Environment variable naming a JSON file where startup timings are written.
TIMINGS_ENV = "KAMCOACH_TUI_TIMINGS"
DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"


class KamcoachApp(App[None]):
    """Pipeline, deal, qualify and checklist screens over one kamcoach database."""

    CSS_PATH = "app.tcss"
    TITLE = "kamcoach"
    COMMANDS = App.COMMANDS | {DealsProvider, RepsProvider, DealCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Keys and screens"),
        Binding(
            "ctrl+t", "toggle_theme", "Theme", id="app.theme", tooltip="Light / dark", show=False
        ),
    ]

    model_state: reactive[str] = reactive("loading")
    """'loading', 'ready' or 'failed': the spaCy pipelines used by the analyser."""
    busy: reactive[str] = reactive("")
    """Background work the status line shows ("analysing notes 12/40"); empty when idle."""

    def __init__(
        self,
        db: Database,
        playbooks: PlaybookSet,
        *,
        notice: str | None = None,
        preload_model: bool = True,
        export_dir: Path | None = None,
        started: float | None = None,
        analyse_on_ready: bool = False,
    ) -> None:
        super().__init__()
        self.db = db
        self.playbooks = playbooks
        self.notice = notice
        self.preload_model = preload_model
        self.export_dir = export_dir
        self.analyse_on_ready = analyse_on_ready
        """Analyse every deal's notes once the model is ready (a demo database just created)."""
        self.db_lock = threading.RLock()
        """Held by whoever touches the database (workers and the event loop alike)."""
        self.model_event = threading.Event()
        self.started = started if started is not None else time.perf_counter()
        self.timings: dict[str, float] = {}
        """Seconds since start: 'first_screen', 'model_ready'."""
        self.theme = DARK_THEME

    # ------------------------------------------------------------ startup

    def on_mount(self) -> None:
        self.push_screen(PipelineScreen())
        self.call_after_refresh(self._first_screen)
        if self.notice:
            self.notify(self.notice, timeout=10, markup=False)
        if not self.preload_model:
            self.model_state = "ready"
            self.model_event.set()
            self._after_model_ready()

    def _first_screen(self) -> None:
        self.timings["first_screen"] = round(time.perf_counter() - self.started, 3)
        self._write_timings()
        if self.preload_model:
            # Start loading spaCy only once the first screen is painted: the load is
            # CPU-bound Python and would otherwise delay that first paint.
            self.set_timer(0.3, self.load_model)

    @work(thread=True, exclusive=True, group="model")
    def load_model(self) -> None:
        try:
            from kamcoach.analysis import nlp

            nlp.preload()
        except Exception as exc:  # the app stays usable without the model
            self.post_message(ModelFailed(str(exc)))
            return
        self.post_message(ModelReady(round(time.perf_counter() - self.started, 3)))

    def on_model_ready(self, message: ModelReady) -> None:
        self.timings["model_ready"] = message.seconds
        self.model_state = "ready"
        self.model_event.set()
        self._write_timings()
        self._after_model_ready()

    def _after_model_ready(self) -> None:
        if self.analyse_on_ready:
            self.analyse_on_ready = False
            self.busy = "analysing notes…"
            self.analyse_all_notes()

    @work(thread=True, exclusive=True, group="analyse-all")
    def analyse_all_notes(self) -> None:
        """Score every deal of a fresh demo database, as `kamcoach demo` does, off the UI thread.

        The model is loaded before the database lock is taken, and the lock is
        held one deal at a time, so the screens keep reading in between.
        """
        from textual.worker import get_current_worker

        from kamcoach.analysis import nlp
        from kamcoach.review.deal_analysis import analyze_deal, deals_with_notes

        worker = get_current_worker()
        try:
            nlp.preload()  # no-op when already loaded; never under the database lock
            with self.db_lock:
                deal_ids = deals_with_notes(self.db)
            for done, deal_id in enumerate(deal_ids, start=1):
                if worker.is_cancelled:  # the app is closing: stop between two deals
                    return
                with self.db_lock:
                    analyze_deal(self.db, deal_id, self.playbooks)
                self.call_from_thread(
                    setattr, self, "busy", f"analysing notes {done}/{len(deal_ids)}"
                )
        except Exception as exc:  # the app stays usable; the deals just show no scores yet
            self.post_message(NotesAnalysed(0, str(exc)))
            return
        self.post_message(NotesAnalysed(len(deal_ids)))

    def on_notes_analysed(self, message: NotesAnalysed) -> None:
        self.busy = ""
        if message.error:
            self.notify(
                f"analysing the notes failed: {message.error}", severity="error", markup=False
            )
            return
        self.notify(f"Analysed the demo notes: {message.deals} deals scored.", timeout=5)
        for screen in self.screen_stack:
            if isinstance(screen, PipelineScreen):
                screen.action_reload()

    def on_model_failed(self, message: ModelFailed) -> None:
        self.model_state = "failed"
        self.model_event.set()
        self.notify(f"language model unavailable: {message.error}", severity="error", markup=False)

    def _write_timings(self) -> None:
        target = os.environ.get(TIMINGS_ENV)
        if target:
            Path(target).write_text(json.dumps(self.timings), encoding="utf-8")

    # ------------------------------------------------------------ navigation

    def open_deal(self, deal_id: int) -> None:
        from kamcoach.tui.screens.deal import DealScreen

        self.push_screen(DealScreen(deal_id))

    def open_qualify(self, deal_id: int) -> None:
        from kamcoach.tui.screens.qualify import QualifyScreen

        self.push_screen(QualifyScreen(deal_id))

    def open_checklist(self, deal_id: int) -> None:
        from kamcoach.tui.screens.checklist import ChecklistScreen

        self.push_screen(ChecklistScreen(deal_id))

    def _back_to_pipeline(self) -> PipelineScreen | None:
        while len(self.screen_stack) > 2 and not isinstance(self.screen, PipelineScreen):
            self.pop_screen()
        screen = self.screen
        return screen if isinstance(screen, PipelineScreen) else None

    def jump(self, kind: str, value: Any) -> None:
        """Command-palette target: a deal id or an account name."""
        pipeline = self._back_to_pipeline()
        if kind == "deal":
            self.open_deal(int(value))
        elif pipeline is not None:
            from kamcoach.tui.dialogs.filters import Filters

            pipeline.apply_filters(Filters(account=str(value)))

    def palette_targets(self) -> list[tuple[str, str, tuple[str, Any]]]:
        """Every deal and account, for the command palette (runs in a thread)."""
        from kamcoach.errors import KamcoachError
        from kamcoach.records.open_pipeline import accounts_with_pipeline
        from kamcoach.storage import repo

        with self.db_lock:
            deals = repo.list_deals(self.db)
            try:  # open pipeline in the team's base currency
                accounts = accounts_with_pipeline(self.db)[0]
            except KamcoachError:  # a broken team.toml: the pipeline screen names it
                accounts = [a | {"open_pipeline": None} for a in repo.list_accounts(self.db)]
        targets: list[tuple[str, str, tuple[str, Any]]] = []
        for d in deals:
            targets.append(
                (
                    f"Deal: {d['name']}",
                    f"#{d['id']} · {d['account']} · {d['stage']} · {d['owner']}",
                    ("deal", d["id"]),
                )
            )
        for a in accounts:
            targets.append(
                (
                    f"Account: {a['name']}",
                    f"{a['deals']} deals"
                    + (
                        f" · open pipeline {a['open_pipeline']:,.0f} {a['base_currency']}"
                        if a["open_pipeline"] is not None
                        else ""
                    ),
                    ("account", a["name"]),
                )
            )
        return targets

    # ------------------------------------------------------------ actions

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME

    # ------------------------------------------------------------ core calls (from workers)

    def wait_for_model(self, timeout: float = 120.0) -> None:
        """Block the calling worker (never the event loop) until the model is loaded."""
        self.model_event.wait(timeout)

    def analyse_deal(self, deal_id: int) -> int | None:
        """Analyse the deal's stored notes and save an analyser review; returns its id."""
        try:
            from kamcoach.review.deal_analysis import analyze_deal
        except ImportError as exc:
            raise RuntimeError("the note analyser is not installed") from exc
        with self.db_lock:
            review, _verdict = analyze_deal(self.db, deal_id, self.playbooks)
        return review.id

    def analyse_if_stale(self, deal_id: int) -> bool:
        from kamcoach.review.prep import analysis_is_stale, refresh_analysis

        with self.db_lock:
            stale = analysis_is_stale(self.db, deal_id)
        if not stale:
            return False
        self.wait_for_model()
        with self.db_lock:
            return refresh_analysis(self.db, deal_id, self.playbooks)

    def analyse_text(self, text: str, playbook: str) -> Any:
        """The analyser's reading of a text (NoteAnalysis), or None without the analyser."""
        try:
            from kamcoach.analysis import analyze_text
        except ImportError:
            return None
        return analyze_text(text, playbooks=self.playbooks, playbook=playbook, lang="auto")

    def save_override(self, view: Any, override: Any) -> int:
        from kamcoach.storage.repo import save_review
        from kamcoach.tui.screens.deal import override_review

        with self.db_lock:
            return save_review(self.db, override_review(view, override))


def make_app(
    db: Database | str | Path,
    playbooks: PlaybookSet | None = None,
    *,
    notice: str | None = None,
    preload_model: bool = True,
    export_dir: Path | None = None,
    started: float | None = None,
    analyse_on_ready: bool = False,
) -> KamcoachApp:
    """Build the app on a database (object or path) and playbooks (loaded if omitted)."""
    if not isinstance(db, Database):
        from kamcoach.storage.db import open_db

        db = open_db(db)
    if playbooks is None:
        from kamcoach.playbooks.loader import load_playbooks

        playbooks = load_playbooks()
    return KamcoachApp(
        db,
        playbooks,
        notice=notice,
        preload_model=preload_model,
        export_dir=export_dir,
        started=started,
        analyse_on_ready=analyse_on_ready,
    )
