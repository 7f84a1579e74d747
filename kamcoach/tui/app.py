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
from typing import TYPE_CHECKING, Any, ClassVar

from sqlite_utils import Database
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme

from kamcoach.playbooks.model import PlaybookSet
from kamcoach.preferences import Preferences, load_preferences
from kamcoach.state import load_state, remember
from kamcoach.tui.commands import DealsProvider
from kamcoach.tui.deal_commands import DealCommands
from kamcoach.tui.dialogs.help import HelpScreen, help_for
from kamcoach.tui.keys import check_keymap, keymap_clashes, localise
from kamcoach.tui.messages import ModelFailed, ModelReady, NotesAnalysed
from kamcoach.tui.palette_actions import ScreenCommands
from kamcoach.tui.screens.pipeline import PipelineScreen
from kamcoach.tui.strings import load_strings, screen_id

#: Environment variable naming a JSON file where startup timings are written.
TIMINGS_ENV = "KAMCOACH_TUI_TIMINGS"
DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"


class KamcoachApp(App[None]):
    """Pipeline, deal, qualify and checklist screens over one kamcoach database."""

    CSS_PATH = "app.tcss"
    TITLE = "kamcoach"
    COMMANDS = App.COMMANDS | {DealsProvider, DealCommands, ScreenCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: the same keys on every screen and dialog; a focused text field
        # still gets its printable keys (Textual leaves q and ? to an Input).
        Binding(
            "question_mark,f1",
            "help",
            "Help",
            id="app.help",
            tooltip="Keys and screens",
            priority=True,
        ),
        Binding(
            "ctrl+t", "toggle_theme", "Theme", id="app.theme", tooltip="Light / dark", show=False
        ),
        Binding("q", "quit", "Quit", id="app.quit", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", id="app.ctrl_quit", show=False, priority=True),
        Binding(
            "ctrl+p", "command_palette", "palette", id="app.palette", show=False, priority=True
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
        language: str = "en",
        keymap: dict[str, str] | None = None,
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
        self.strings = load_strings(language)
        """Headings, footer labels and help in the interface language (config.toml)."""
        self.keymap = dict(keymap or {})
        """The user's key overrides, binding id -> key (config.toml [keys], checked)."""
        localise(self, self.strings)
        self.title = self.strings.ui("app_title")
        if self.keymap:
            self.set_keymap(self.keymap)
            palette_key = self._keymap.get("app.palette")
            if palette_key:  # the footer finds the palette key under this name
                self.COMMAND_PALETTE_BINDING = palette_key.split(",")[0]  # type: ignore[misc]
        remembered = load_state().get("theme")
        self.theme = remembered if remembered in self.available_themes else DARK_THEME
        self._quit_asked = False

    # ------------------------------------------------------------ startup

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.push_screen(PipelineScreen())
        self.call_after_refresh(self._first_screen)
        for clash in keymap_clashes(self.keymap):  # said once, never silently
            self.notify(f"config.toml [keys]: {clash}", severity="warning", markup=False)
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

    def palette_targets(self) -> list[tuple[str, str, tuple[str, Any], bool]]:
        """Every deal (open ones first) and account for the command palette (runs in a
        thread); the last field says a deal is closed, so a search ranks it lower."""
        from kamcoach.domain.stages import CLOSED_STAGES
        from kamcoach.errors import KamcoachError
        from kamcoach.records.open_pipeline import accounts_with_pipeline
        from kamcoach.storage import repo

        with self.db_lock:
            deals = repo.list_deals(self.db)
            try:  # open pipeline in the team's base currency
                accounts = accounts_with_pipeline(self.db)[0]
            except KamcoachError:  # a broken team.toml: the pipeline screen names it
                accounts = [a | {"open_pipeline": None} for a in repo.list_accounts(self.db)]
        s = self.strings
        deals.sort(key=lambda d: d["stage"] in CLOSED_STAGES)  # stable: open deals first
        targets: list[tuple[str, str, tuple[str, Any], bool]] = []
        for d in deals:
            closed = d["stage"] in CLOSED_STAGES
            kind = f"{s.palette('deal')} ({s.palette('closed')})" if closed else s.palette("deal")
            targets.append(
                (
                    f"{kind}: {d['name']}",
                    f"#{d['id']} · {d['account']} · {d['stage']} · {d['owner']}",
                    ("deal", d["id"]),
                    closed,
                )
            )
        for a in accounts:
            targets.append(
                (
                    f"{s.palette('account')}: {a['name']}",
                    s.palette(
                        "account_help",
                        deals=a["deals"],
                        pipeline=(
                            f"{a['open_pipeline']:,.0f} {a['base_currency']}"
                            if a["open_pipeline"] is not None
                            else "—"
                        ),
                    ),
                    ("account", a["name"]),
                    False,
                )
            )
        return targets

    # ------------------------------------------------------------ actions

    if not TYPE_CHECKING:  # the parent's typed overloads stay what mypy sees

        def push_screen(self, screen, *args, **kwargs):
            """Every screen and dialog gets the interface language's heading and key labels."""
            if isinstance(screen, Screen):
                self.localise_screen(screen)
            return super().push_screen(screen, *args, **kwargs)

    def localise_screen(self, screen: Screen[Any]) -> None:
        localise(screen, self.strings)
        heading = self.strings.title(screen_id(screen))
        if heading:
            screen.title = f"{self.title} · {heading}"

    def action_help(self) -> None:
        """Toggle the key table of the screen under it (F1 or ?)."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(help_for(self, self.screen, self.strings, self._keymap))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME

    def _remember_theme(self, theme: Theme) -> None:
        """Any theme change (ctrl+t or the palette) is kept for the next start, in the
        state file: config.toml is the user's and is never written."""
        remember("theme", theme.name)

    async def action_quit(self) -> None:
        """q (and ctrl+q) on every screen: quit, asking first when typed text would be
        lost; q again in that question quits."""
        lost = [what for what in map(unsaved_work, self.screen_stack) if what]
        if not lost or self._quit_asked:
            self.exit()
            return
        from kamcoach.tui.dialogs.discard import ConfirmDiscard

        self._quit_asked = True

        def chosen(discard: bool | None) -> None:
            self._quit_asked = False
            if discard:
                self.exit()

        self.push_screen(ConfirmDiscard(self.strings.ui("quit_unsaved", what=lost[0])), chosen)

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


def unsaved_work(screen: Screen[Any]) -> str | None:
    """What quitting would throw away on this screen ("this note"), if anything."""
    check = getattr(screen, "unsaved_work", None)
    return check() if callable(check) else None


def make_app(
    db: Database | str | Path,
    playbooks: PlaybookSet | None = None,
    *,
    notice: str | None = None,
    preload_model: bool = True,
    export_dir: Path | None = None,
    started: float | None = None,
    analyse_on_ready: bool = False,
    preferences: Preferences | None = None,
) -> KamcoachApp:
    """Build the app on a database (object or path) and playbooks (loaded if omitted).

    The interface language and key overrides come from ``preferences`` (config.toml
    read if omitted); an unknown binding id there is an InputError before anything
    is drawn, so the CLI prints one line and exits.
    """
    prefs = preferences or load_preferences()
    keymap = check_keymap(prefs.keys, prefs.path)
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
        language=prefs.language,
        keymap=keymap,
    )
