"""TUI conventions (issue 13): help key table on F1 and ?, kamcoach actions in the command
palette, q the same on every screen, the app's own title, French and English screens,
key overrides from config.toml, and the theme remembered in the state file."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database
from textual.widgets import Footer, TextArea
from textual.widgets._footer import FooterKey
from textual.widgets._header import HeaderIcon, HeaderTitle

from kamcoach.cli.main import main
from kamcoach.errors import InputError
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.preferences import Preferences, User, config_file, load_preferences
from kamcoach.state import load_state, state_file
from kamcoach.storage import repo
from kamcoach.tui.app import KamcoachApp, make_app
from kamcoach.tui.dialogs.discard import ConfirmDiscard
from kamcoach.tui.dialogs.filters import FilterDialog
from kamcoach.tui.dialogs.help import HelpScreen
from kamcoach.tui.dialogs.note import NoteDialog
from kamcoach.tui.screens.deal import DealScreen
from kamcoach.tui.screens.pipeline import PipelineScreen
from kamcoach.tui.screens.qualify import QualifyScreen
from kamcoach.tui.screens.reps import RepsScreen

SIZE = (100, 30)
DEAL = 1


def new_app(db: Database, playbooks: PlaybookSet, tmp_path: Path, **prefs: Any) -> KamcoachApp:
    extra: dict[str, Any] = {}
    if prefs:
        extra["preferences"] = Preferences(user=User("Camille Martin"), **prefs)
    return make_app(db, playbooks, preload_model=False, export_dir=tmp_path, **extra)


async def settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def run(app: KamcoachApp, scenario: Callable[[Any], Awaitable[None]]) -> None:
    async def main_() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main_())


def footer_words(screen: Any) -> list[str]:
    footer = screen.query_one(Footer)
    return [key.description for key in footer.query(FooterKey)]


def header_title(screen: Any) -> str:
    return str(screen.query_one(HeaderTitle).render())


# ------------------------------------------------------------ help (F1 and ?)


def test_help_lists_every_binding_of_the_screen_on_f1_and_question_mark(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        await pilot.press("f1")
        await pilot.pause()
        help_ = pilot.app.screen
        assert isinstance(help_, HelpScreen)
        listed = help_.listed_keys()
        # every pipeline binding, the ones hidden from the footer included, and the app's
        pipeline_ids = {b.id for b in PipelineScreen.BINDINGS if hasattr(b, "id")}
        assert pipeline_ids <= set(listed), pipeline_ids - set(listed)
        assert listed["pipeline.clear"] == "x" and listed["pipeline.reps"] == "R"
        assert {"app.help", "app.quit", "app.theme", "app.palette"} <= set(listed)
        assert "f1" in listed["app.help"] and "?" in listed["app.help"]
        cells = [cell for row in help_.table_rows() for cell in row]
        assert "Clear every filter (not in the footer)" in cells
        assert "Pipeline" in str(help_.query_one("#help-heading").render())
        await pilot.press("f1")  # the same key closes it
        await pilot.pause()
        assert isinstance(pilot.app.screen, PipelineScreen)

        pilot.app.open_deal(DEAL)
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_ = pilot.app.screen
        assert isinstance(help_, HelpScreen)
        listed = help_.listed_keys()
        assert {b.id for b in DealScreen.BINDINGS if hasattr(b, "id")} <= set(listed)
        assert listed["deal.review"] == "m" and listed["deal.qualify"] == "g"
        assert "pipeline.filter" not in listed  # only the current screen's keys
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, DealScreen)

    run(app, scenario)


def test_help_opens_from_a_dialog_with_its_keys(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(DEAL)
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(pilot.app.screen, NoteDialog)
        await pilot.press("question_mark")  # typed in the note, not a key
        assert pilot.app.screen.query_one(TextArea).text == "?"
        await pilot.press("f1")
        await pilot.pause()
        help_ = pilot.app.screen
        assert isinstance(help_, HelpScreen)
        assert {"note.save", "note.cancel", "app.quit"} <= set(help_.listed_keys())

    run(app, scenario)


# ------------------------------------------------------------ command palette


async def palette_pick(pilot: Any, query: str) -> None:
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*query)
    await pilot.pause(0.5)
    options = pilot.app.screen.query_one(CommandList)
    prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    assert prompts and query.lower() in prompts[0].lower(), prompts
    await pilot.press("enter")
    await settle(pilot)


def test_palette_offers_kamcoach_actions_and_runs_them(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def labels(pilot: Any) -> list[str]:
        from kamcoach.tui.palette_actions import ScreenCommands

        return [str(hit.text) async for hit in ScreenCommands(pilot.app.screen).discover()]

    async def scenario(pilot: Any) -> None:
        on_pipeline = await labels(pilot)
        assert {"Filter the pipeline", "Sort the pipeline", "Go to: Reps"} <= set(on_pipeline)
        assert "New note" not in on_pipeline  # a note needs a deal
        pilot.app.open_deal(DEAL)
        await settle(pilot)
        on_deal = await labels(pilot)
        assert {
            "New note",
            "New deal",
            "Filter the pipeline",
            "Go to: Pipeline",
            "Go to: Guided qualification",
            "Go to: Pre-call checklist",
        } <= set(on_deal)
        await palette_pick(pilot, "New note")
        assert isinstance(pilot.app.screen, NoteDialog)
        await pilot.press("escape")
        await pilot.pause()
        await palette_pick(pilot, "Filter the pipeline")
        assert isinstance(pilot.app.screen, FilterDialog)
        assert isinstance(pilot.app.screen_stack[-2], PipelineScreen)
        await pilot.press("escape")
        await pilot.pause()
        await palette_pick(pilot, "Go to: Reps")
        assert isinstance(pilot.app.screen, RepsScreen)

    run(app, scenario)


def test_palette_lists_open_deals_before_closed_ones(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from kamcoach.tui.commands import DealsProvider

    closed = next(d for d in repo.list_deals(demo_db) if d["stage"] == "closed_lost")
    open_ = repo.list_deals(demo_db, include_closed=False)[0]
    # Two deals whose names match a search equally well: the open one must come first.
    demo_db["opportunities"].update(closed["id"], {"name": "Twin platform A"})
    demo_db["opportunities"].update(open_["id"], {"name": "Twin platform B"})
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        targets = [t for t in pilot.app.palette_targets() if t[2][0] == "deal"]
        flags = [t[3] for t in targets]
        assert flags == sorted(flags) and any(flags)  # every open deal, then the closed ones
        assert all(("(closed)" in t[0]) == t[3] for t in targets)
        provider = DealsProvider(pilot.app.screen)
        await provider.startup()
        hits = [hit async for hit in provider.search("Twin platform")]
        hits.sort(key=lambda h: h.score, reverse=True)
        assert [h.text for h in hits] == ["Deal: Twin platform B", "Deal (closed): Twin platform A"]

    run(app, scenario)


# ------------------------------------------------------------ q on every screen


def _open(kind: str) -> Callable[[Any], Awaitable[None]]:
    async def go(pilot: Any) -> None:
        app = pilot.app
        if kind != "pipeline":
            app.open_deal(DEAL)
            await settle(pilot)
        keys = {
            "deal": [],
            "qualify": ["g"],
            "checklist": ["p"],
            "contacts": ["k"],
            "review": ["m"],
            "help": ["f1"],
            "people": ["w"],
            "edit_deal": ["e"],
            "pipeline": [],
        }[kind]
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if kind in ("edit_deal", "qualify"):  # text fields take q: focus off them first
            app.screen.set_focus(None)
            await pilot.pause()

    return go


@pytest.mark.parametrize(
    "kind",
    ["pipeline", "deal", "qualify", "checklist", "contacts", "review", "help", "edit_deal"],
)
def test_q_quits_from_every_screen(
    kind: str, demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        await _open(kind)(pilot)
        assert pilot.app.return_code is None
        await pilot.press("q")
        await pilot.pause()
        assert pilot.app.return_code == 0, f"q did not quit on {type(pilot.app.screen).__name__}"

    run(app, scenario)


def test_q_types_in_text_fields_and_asks_before_losing_a_note(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(DEAL)
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, NoteDialog)
        await pilot.press("q", "u", "i", "t")
        assert dialog.query_one(TextArea).text == "quit"
        assert pilot.app.return_code is None
        dialog.query_one("#note-title").focus()
        await pilot.press("q")  # an Input too
        assert dialog.query_one("#note-title").value == "q"
        dialog.query_one("Button").focus()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmDiscard)  # the typed note would be lost
        assert pilot.app.return_code is None
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert pilot.app.screen is dialog and pilot.app.return_code is None
        dialog.query_one("Button").focus()
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert pilot.app.return_code == 0

    run(app, scenario)


def test_qualify_moved_to_g_and_q_with_answers_asks(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(DEAL)
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, QualifyScreen)
        await pilot.press(*"quick answer")
        assert "quick answer" in screen.query_one("#said", TextArea).text
        screen.query_one("#said").blur()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmDiscard)
        await pilot.press("q")  # q again in the question: quit
        await pilot.pause()
        assert pilot.app.return_code == 0

    run(app, scenario)


# ------------------------------------------------------------ title, language


def test_header_shows_the_app_title_and_screen_not_the_default_icon(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        screen = pilot.app.screen
        assert header_title(screen) == "kamcoach · Pipeline"
        assert screen.query_one(HeaderIcon).styles.display == "none"
        pilot.app.open_deal(DEAL)
        await settle(pilot)
        deal_name = repo.get_deal(demo_db, DEAL)["name"]
        assert header_title(pilot.app.screen) == f"kamcoach · Deal — {deal_name}"

    run(app, scenario)


def test_french_interface_from_config_toml(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[interface]\nlanguage = "fr"\n', encoding="utf-8")
    assert load_preferences().language == "fr"
    app = make_app(demo_db, playbooks, preload_model=False, export_dir=tmp_path)

    async def scenario(pilot: Any) -> None:
        words = footer_words(pilot.app.screen)
        assert {"Ouvrir", "Filtrer", "Trier", "Aide"} <= set(words), words
        assert "Filter" not in words
        assert header_title(pilot.app.screen) == "kamcoach · Pipeline"
        pilot.app.open_deal(DEAL)
        await settle(pilot)
        words = footer_words(pilot.app.screen)
        assert {"Retour", "Note", "Qualif", "Aide"} <= set(words), words
        from kamcoach.tui.deal_commands import DealCommands
        from kamcoach.tui.palette_actions import ScreenCommands

        palette = [str(h.text) async for h in ScreenCommands(pilot.app.screen).discover()]
        palette += [str(h.text) async for h in DealCommands(pilot.app.screen).discover()]
        assert {"Nouvelle note", "Aller à : Pipeline", "Modifier l'affaire"} <= set(palette)
        assert header_title(pilot.app.screen).startswith("kamcoach · Affaire — ")
        await pilot.press("f1")
        await pilot.pause()
        help_ = pilot.app.screen
        assert str(help_.query_one("#help-heading").render()) == "Touches : Affaire"
        cells = [cell for row in help_.table_rows() for cell in row]
        assert "Partout" in cells and "Corriger le score du critère sélectionné" in cells
        assert help_.columns == ("Touche", "Action", "Ce qu'elle fait")
        assert "Champ suivant" in cells  # Textual's own tab key, in French too

    run(app, scenario)


def test_english_interface_by_default(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = make_app(demo_db, playbooks, preload_model=False, export_dir=tmp_path)

    async def scenario(pilot: Any) -> None:
        words = footer_words(pilot.app.screen)
        assert {"Open", "Filter", "Sort", "Help"} <= set(words), words

    run(app, scenario)


def test_catalogues_agree_and_cover_every_binding() -> None:
    from kamcoach.tui.keys import kamcoach_bindings, unnamed_bindings
    from kamcoach.tui.strings import check_catalogues, load_strings

    catalogues = check_catalogues()
    assert set(catalogues) == {"en", "fr"}
    assert not unnamed_bindings(), "every kamcoach Binding needs an id (config.toml [keys])"
    ids = set(kamcoach_bindings())
    for language in ("en", "fr"):
        s = load_strings(language)
        assert ids <= set(s.tables["keys"]), (language, sorted(ids - set(s.tables["keys"])))
        assert ids <= set(s.tables["tips"]), (language, sorted(ids - set(s.tables["tips"])))
    for screen in ("pipeline", "deal", "qualify", "checklist", "reps", "contacts"):
        assert load_strings("fr").title(screen) and load_strings("fr").about(screen)


def test_binding_ids_are_unique() -> None:
    from kamcoach.tui.keys import _classes, _import_tui

    _import_tui()
    from textual.binding import Binding
    from textual.dom import DOMNode

    seen: dict[str, str] = {}
    for cls in set(_classes(DOMNode)):
        if not cls.__module__.startswith("kamcoach."):
            continue
        for b in cls.__dict__.get("BINDINGS", []):
            if isinstance(b, Binding) and b.id:
                assert b.id not in seen, f"{b.id} in {cls.__name__} and {seen[b.id]}"
                seen[b.id] = cls.__name__


def test_a_missing_french_key_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kamcoach.tui import strings as strings_module
    from kamcoach.tui.strings import StringsError, check_catalogues, load_strings

    here = Path(strings_module.__file__).parent
    en = (here / "en.toml").read_text(encoding="utf-8")
    fr = (here / "fr.toml").read_text(encoding="utf-8")
    (tmp_path / "en.toml").write_text(en, encoding="utf-8")
    (tmp_path / "fr.toml").write_text(fr.replace('"deal.note" = "Note"\n', ""), encoding="utf-8")
    monkeypatch.setattr(strings_module, "HERE", tmp_path)
    check_catalogues.cache_clear()
    try:
        with pytest.raises(StringsError, match=r"^fr\.toml: keys\.deal\.note: missing"):
            load_strings("fr")
        (tmp_path / "fr.toml").write_text(fr.replace("{screen}", "{ecran}"), encoding="utf-8")
        check_catalogues.cache_clear()
        with pytest.raises(StringsError, match=r"ui\.help_heading: placeholders differ"):
            load_strings("fr")
    finally:
        check_catalogues.cache_clear()


# ------------------------------------------------------------ key overrides


def test_key_override_moves_the_action(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path, keys={"deal.note": "ctrl+n"})

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(DEAL)
        await settle(pilot)
        await pilot.press("n")  # the old key does nothing now
        await pilot.pause()
        assert isinstance(pilot.app.screen, DealScreen)
        footer = pilot.app.screen.query_one(Footer)
        keys = {k.description: k.key_display for k in footer.query(FooterKey)}
        assert keys["Note"] == "^n"
        await pilot.press("f1")
        await pilot.pause()
        assert pilot.app.screen.listed_keys()["deal.note"] == "^n"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(pilot.app.screen, NoteDialog)

    run(app, scenario)


def test_override_taking_another_key_is_told(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path, keys={"deal.note": "o"})

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(DEAL)
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(pilot.app.screen, NoteDialog)  # o is the note key now
        told = [n.message for n in pilot.app._notifications]
        assert (
            told.count("config.toml [keys]: deal.note = 'o', already the key of deal.override") == 1
        ), told

    run(app, scenario)


def test_unknown_binding_id_is_one_line_error(
    db: Database, db_path: Path, playbooks: PlaybookSet, runner: CliRunner
) -> None:
    prefs = Preferences(user=User("x"), keys={"deal.nte": "ctrl+n"}, path=config_file())
    with pytest.raises(InputError) as caught:
        make_app(db, playbooks, preload_model=False, preferences=prefs)
    message = str(caught.value)
    assert message.startswith(
        "config.toml: keys.deal.nte: unknown binding (did you mean deal.note?"
    )
    assert "known: " in message and "app.help" in message and "\n" not in message

    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keys]\n"deal.nte" = "ctrl+n"\n', encoding="utf-8")
    new_db = db_path.with_name("new.db")
    for target in (db_path, new_db):
        result = runner.invoke(main, ["--db", str(target), "tui", "--no-model"])
        assert result.exit_code != 0
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("error: config.toml: keys.deal.nte: unknown")
        assert "Traceback" not in result.output
    assert not new_db.exists()  # stopped before any database was made


# ------------------------------------------------------------ theme


def test_theme_is_remembered_in_the_state_file(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    seen: dict[str, str] = {}

    async def toggle(pilot: Any) -> None:
        seen["before"] = pilot.app.theme
        await pilot.press("ctrl+t")
        await pilot.pause()
        seen["after"] = pilot.app.theme

    run(app, toggle)
    assert seen["after"] != seen["before"]
    assert load_state()["theme"] == seen["after"]
    assert json.loads(state_file().read_text(encoding="utf-8"))["theme"] == seen["after"]
    assert not config_file().exists()  # the user's file is never written

    again = new_app(demo_db, playbooks, tmp_path)

    async def check(pilot: Any) -> None:
        assert pilot.app.theme == seen["after"]

    run(again, check)


def test_unknown_theme_in_state_file_falls_back(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    state_file().parent.mkdir(parents=True, exist_ok=True)
    state_file().write_text(json.dumps({"theme": "no-such-theme"}), encoding="utf-8")
    app = new_app(demo_db, playbooks, tmp_path)
    assert app.theme == "textual-dark"
