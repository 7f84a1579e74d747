"""Pilot tests of the terminal app: each screen opened and driven with the keyboard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from kamcoach.io.demo import load_demo
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.storage import repo
from kamcoach.tui.app import KamcoachApp, make_app
from kamcoach.tui.dialogs.filters import FilterDialog
from kamcoach.tui.dialogs.help import HelpScreen
from kamcoach.tui.dialogs.note import NoteDialog
from kamcoach.tui.dialogs.override import OverrideDialog
from kamcoach.tui.screens.checklist import ChecklistScreen
from kamcoach.tui.screens.deal import DealScreen
from kamcoach.tui.screens.pipeline import PipelineScreen
from kamcoach.tui.screens.qualify import QualifyScreen, natural_order

SIZE = (100, 30)


def has_analyser() -> bool:
    try:
        import kamcoach.analysis
        from kamcoach.review.deal_analysis import analyze_deal  # noqa: F401
    except ImportError:
        return False
    return hasattr(kamcoach.analysis, "analyze_text")


needs_analyser = pytest.mark.skipif(not has_analyser(), reason="note analyser not installed")


@pytest.fixture(scope="module")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture(scope="session")
def analyser_ready() -> bool:
    """Load the spaCy pipelines once for the whole session (the French model takes seconds)."""
    if not has_analyser():
        return False
    from kamcoach.analysis import nlp

    nlp.preload()
    return True


@pytest.fixture
def demo_db(db: Database) -> Database:
    load_demo(db)
    return db


def run(
    app: KamcoachApp, scenario: Callable[[Any], Awaitable[None]], size: tuple[int, int] = SIZE
) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())


async def settle(pilot: Any) -> None:
    """Let workers finish and their messages be handled."""
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):  # an exclusive reload replaced an older one
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def new_app(db: Database, playbooks: PlaybookSet, tmp_path: Path) -> KamcoachApp:
    return make_app(db, playbooks, preload_model=False, export_dir=tmp_path)


def test_pipeline_lists_open_deals_with_totals(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    open_ids = {d["id"] for d in repo.list_deals(demo_db, include_closed=False)}

    async def scenario(pilot: Any) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PipelineScreen)
        table = screen.query_one("#deals")
        assert table.row_count == len(open_ids)
        assert {r.id for r in screen.rows} == open_ids
        totals = str(screen.query_one("#totals").render())
        assert "Pipe" in totals and "qual" in totals and "flag" in totals
        assert "\n" not in totals.strip()
        assert "first_screen" in pilot.app.timings

    run(app, scenario)


def test_navigate_open_deal_and_back(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pipeline = pilot.app.screen
        await pilot.press("down", "down")
        expected = pipeline.rows[2].id
        await pilot.press("enter")
        await settle(pilot)
        deal = pilot.app.screen
        assert isinstance(deal, DealScreen) and deal.deal_id == expected
        assert deal.view is not None and deal.view.id == expected
        scorecard = deal.query_one("#scorecard")
        assert scorecard.row_count == len(deal.view.playbook.criteria_ids)
        notes = str(deal.query_one("#notes").render())
        assert f"Notes ({len(repo.deal_notes(demo_db, expected))}" in notes
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PipelineScreen)

    run(app, scenario)


def test_sort_and_filter_by_owner(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    owner = repo.list_deals(demo_db, include_closed=False)[0]["owner"]

    async def scenario(pilot: Any) -> None:
        screen = pilot.app.screen
        await pilot.press("s")  # close date
        dates = [d.close_date for d in screen.rows if d.close_date]
        assert dates == sorted(dates)
        await pilot.press("s")  # amount
        amounts = [d.amount for d in screen.rows]
        assert amounts == sorted(amounts, reverse=True)
        await pilot.press("f")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, FilterDialog)
        dialog.query_one("#owner").value = owner
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.rows and all(d.owner == owner for d in screen.rows)
        assert screen.report.filters["owner"] == owner

    run(app, scenario)


def test_palette_targets_and_jumps(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    account = repo.list_accounts(demo_db)[0]["name"]

    async def scenario(pilot: Any) -> None:
        targets = pilot.app.palette_targets()
        kinds = {t[2][0] for t in targets}
        assert kinds == {"deal", "account"}
        pilot.app.jump("account", account)
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, PipelineScreen)
        assert screen.rows and all(d.account == account for d in screen.rows)
        pilot.app.jump("deal", 1)
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen) and pilot.app.screen.deal_id == 1
        # palette search finds a deal by a fuzzy fragment
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"plateforme")
        await pilot.pause(0.3)
        from textual.command import CommandList

        await pilot.pause(0.3)
        options = pilot.app.screen.query_one(CommandList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Plateforme" in p for p in prompts), prompts

    run(app, scenario)


def test_help_and_theme_toggle(demo_db: Database, playbooks: PlaybookSet, tmp_path: Path) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        before = pilot.app.theme
        await pilot.press("ctrl+t")
        assert pilot.app.theme != before
        await pilot.press("ctrl+t")
        assert pilot.app.theme == before
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PipelineScreen)

    run(app, scenario)


def test_override_is_stored_as_human_review(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    deal_id = 1
    criterion = repo.get_deal(demo_db, deal_id)["playbook"]

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(deal_id)
        await settle(pilot)
        deal = pilot.app.screen
        await pilot.press("down")  # second criterion
        cid = deal.selected_criterion()
        await pilot.press("o")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, OverrideDialog)
        dialog.query_one("#score").value = 3
        dialog.query_one("#author").value = "manager"
        dialog.query_one("#reason").focus()
        await pilot.press(*"met the")
        dialog.query_one("#reason").insert_text_at_cursor(" CFO on site")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is deal
        stored = repo.latest_review(demo_db, deal_id, author_kind="manager")
        assert stored is not None and list(stored.scores) == [cid]
        assert stored.scores[cid].score == 3
        assert stored.scores[cid].reason == "met the CFO on site"
        assert deal.view.scores[cid].score == 3  # the screen reloaded

    assert criterion
    run(app, scenario)


def test_override_without_reason_is_refused(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, OverrideDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert repo.latest_review(demo_db, 1, author_kind="rep") is None

    run(app, scenario)


@needs_analyser
def test_add_note_is_saved_and_analysed(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path, analyser_ready: bool
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    deal_id = 1
    before = len(repo.deal_notes(demo_db, deal_id))
    reviews_before = len(repo.deal_reviews(demo_db, deal_id, author_kind="analyser"))

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(deal_id)
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(pilot.app.screen, NoteDialog)
        area = pilot.app.screen.query_one("TextArea")
        area.insert("Met the CFO, she owns the budget of 200k.")
        await pilot.press("enter")
        area.insert("Next step: pilot review on Friday.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)
        deal = pilot.app.screen
        assert isinstance(deal, DealScreen)
        assert len(deal.view.notes) == before + 1
        assert "Met the CFO" in deal.view.notes[0]["text"]

    run(app, scenario)
    notes = repo.deal_notes(demo_db, deal_id)
    assert len(notes) == before + 1
    assert "\nNext step" in notes[0]["text"]
    assert len(repo.deal_reviews(demo_db, deal_id, author_kind="analyser")) > reviews_before


@needs_analyser
def test_override_survives_reanalysis(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path, analyser_ready: bool
) -> None:
    from kamcoach.review.deal_analysis import analyze_deal, effective_scores

    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(2)
        await settle(pilot)
        deal = pilot.app.screen
        cid = deal.selected_criterion()
        await pilot.press("o")
        await pilot.pause()
        pilot.app.screen.query_one("#score").value = 0
        pilot.app.screen.query_one("#reason").value = "the 'champion' left last week"
        await pilot.press("ctrl+s")
        await settle(pilot)
        pilot.app.cid = cid

    run(app, scenario)
    cid = app.cid  # type: ignore[attr-defined]
    analyze_deal(demo_db, 2, playbooks)
    assert effective_scores(demo_db, 2, playbooks)[cid].score == 0


def test_qualify_walk_and_save_records_review(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path, analyser_ready: bool
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    deal_id = 1

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(deal_id)
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, QualifyScreen)
        assert screen.order == natural_order(playbooks, screen.view.playbook.criteria_ids)
        first = screen.criterion_id
        guide = str(screen.query_one("#q-text").render())
        crit = playbooks.criteria[first]
        assert crit.questions[0].text.get(screen.view.lang) in guide
        await pilot.press(*"They lose")
        screen.query_one("#said").insert(" 3 days per order because of manual checks.")
        await pilot.pause(0.6)
        await settle(pilot)
        if analyser_ready:  # the analyser's reading appeared while typing
            assert first in screen.suggested
            assert "Suggestion" in str(screen.query_one("#suggestion").render())
        await pilot.press("ctrl+n")
        assert screen.criterion_id == screen.order[1]
        await pilot.press("ctrl+b")
        assert screen.criterion_id == first
        assert "3 days per order" in screen.query_one("#said").text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)

    run(app, scenario)
    review = repo.latest_review(demo_db, deal_id, author_kind="rep")
    assert review is not None and review.comment == "guided qualification"
    (cid,) = review.scores  # only the criterion the rep answered
    assert "3 days per order" in (review.scores[cid].reason or "")


def test_checklist_screen_and_export(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path, analyser_ready: bool
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(7)
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ChecklistScreen)
        assert screen.checklist is not None and screen.checklist.deal_id == 7
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        pilot.app.exported = screen.checklist

    run(app, scenario)
    checklist = app.exported  # type: ignore[attr-defined]
    files = list(tmp_path.glob("prep-7-*.md"))
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    assert checklist.items, "the demo deal 7 (no power at proposal) should have gaps to prepare"
    for item in checklist.items:
        assert item.question in text


def test_small_terminal_still_shows_footer(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        footer = pilot.app.screen.query_one("Footer")
        assert footer.region.y == 23 and footer.region.height == 1

    run(app, scenario, size=(80, 24))


def test_qualify_saves_what_the_customer_said_as_a_note(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    deal_id = 1
    before = len(repo.deal_notes(demo_db, deal_id))

    async def scenario(pilot: Any) -> None:
        pilot.app.open_qualify(deal_id)
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, QualifyScreen)
        screen.query_one("#said").insert("Orders wait 3 days for manual checks.")
        await pilot.press("ctrl+n")
        screen.query_one("#said").insert("The CFO signs anything above 50k.")
        await pilot.pause(0.6)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        messages = [n.message for n in pilot.app._notifications]
        assert any("kept as a note" in m for m in messages), messages

    run(app, scenario)
    notes = repo.deal_notes(demo_db, deal_id, newest_first=True)
    assert len(notes) == before + 1
    text = notes[0]["text"]
    assert "Orders wait 3 days for manual checks." in text
    assert "The CFO signs anything above 50k." in text
    review = repo.latest_review(demo_db, deal_id, author_kind="rep")
    assert review is not None and len(review.scores) == 2


def test_account_jump_totals_follow_the_filter(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)
    open_deals = repo.list_deals(demo_db, include_closed=False)
    account = open_deals[0]["account"]
    expected = [d for d in open_deals if d["account"] == account]

    async def scenario(pilot: Any) -> None:
        screen = pilot.app.screen
        whole = screen.totals
        assert whole.deals == len(open_deals)
        pilot.app.jump("account", account)
        await settle(pilot)
        assert screen.filters.account == account
        t = screen.totals
        assert t.deals == len(expected) == len(screen.rows) < whole.deals
        # The demo's accounts deal in EUR, USD, GBP and CHF: totals are in the team's
        # base currency at the bundled rates (this account's deals are in USD).
        from kamcoach.clock import today
        from kamcoach.team import load_team_settings

        rates = load_team_settings().rates
        factor = {d["currency"]: rates.rate(d["currency"], today()) for d in expected}
        assert None not in factor.values() and set(factor) != {"EUR"}
        converted = [d["amount"] * factor[d["currency"]].value for d in expected]  # type: ignore[union-attr]
        assert t.pipeline == pytest.approx(sum(converted))
        assert t.flagged_deals == sum(1 for r in screen.rows if r.flags)
        assert 0 < t.weighted <= t.pipeline
        totals = str(screen.query_one("#totals").render())
        assert f"{t.flagged_deals}/{t.deals}" in totals
        await pilot.press("x")  # clear filters: the whole pipeline again
        await settle(pilot)
        assert screen.totals.deals == whole.deals

    run(app, scenario)


def test_deal_footer_shows_help_at_80_columns(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from textual.widgets._footer import FooterKey

    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(1)
        await settle(pilot)
        keys = list(pilot.app.screen.query(FooterKey))
        shown = {k.description: k.region for k in keys}
        assert "Help" in shown and "Analyse" in shown, shown
        for description, region in shown.items():
            assert region.width > 0 and region.right <= 80, (description, region)

    run(app, scenario, size=(80, 24))


def test_pipeline_fits_80_columns(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        screen = pilot.app.screen
        table = screen.query_one("#deals")
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert "Flags" in [str(c.label) for c in table.columns.values()]
        row = str(screen.query_one("#pipeline-row").render())
        first = screen.rows[0]
        assert first.account in row and first.name in row

    run(app, scenario, size=(80, 24))


def test_tui_command_creates_demo_database(tmp_path: Path, monkeypatch) -> None:
    from kamcoach.cli.context import Ctx
    from kamcoach.cli.tui_cmd import prepare_database
    from kamcoach.paths import default_db_path

    # Only the default database (in a folder of its own, created too) gets the demo on
    # first run; tests/test_db_paths.py covers the other paths.
    path = default_db_path()
    assert not path.parent.exists()
    obj = Ctx()
    notice = prepare_database(obj)
    assert notice is not None and str(path) in notice and "demo" in notice
    assert repo.list_deals(obj.db)
    obj.close()
    again = Ctx()
    assert prepare_database(again) is None
    again.close()


def test_french_deal_shows_score_words_in_french(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    """Criterion names are already in the deal's language; the score words follow them."""
    from textual.widgets import Select

    from kamcoach.tui import data

    french = next(
        d["id"]
        for d in repo.list_deals(demo_db, include_closed=False)
        if data.load_deal(demo_db, playbooks, d["id"]).lang == "fr"
    )
    app = new_app(demo_db, playbooks, tmp_path)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_deal(french)
        await settle(pilot)
        scorecard = pilot.app.screen.query_one("#scorecard")
        words = {str(scorecard.get_row_at(i)[1]).split()[-1] for i in range(scorecard.row_count)}
        assert words <= {"absent", "mentionné", "précis", "validé", "avéré"}, words
        await pilot.press("g")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, QualifyScreen)
        select = screen.query_one("#q-score", Select)
        select.value = 2
        await pilot.pause()
        assert "2/3 précis" in str(select.query_one("#label").render())

    run(app, scenario)


def test_fresh_demo_is_scored_in_the_background(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path, analyser_ready: bool
) -> None:
    """A demo database the app just created gets its notes analysed once the model is ready."""
    if not analyser_ready:
        pytest.skip("the French model is needed to analyse the demo notes")
    from kamcoach.review.pipeline import review_pipeline

    assert demo_db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 0
    app = make_app(
        demo_db, playbooks, preload_model=False, export_dir=tmp_path, analyse_on_ready=True
    )

    async def scenario(pilot: Any) -> None:
        await settle(pilot)
        assert pilot.app.busy == ""
        screen = pilot.app.screen
        assert isinstance(screen, PipelineScreen)
        assert all(r.score is not None for r in screen.rows)  # the table shows the scores

    run(app, scenario)
    scored = demo_db.execute(
        "SELECT COUNT(DISTINCT opportunity_id) FROM reviews WHERE author_kind = 'analyser'"
    ).fetchone()[0]
    with_notes = demo_db.execute("SELECT COUNT(DISTINCT opportunity_id) FROM notes").fetchone()[0]
    assert scored == with_notes > 0
    report = review_pipeline(demo_db, playbooks)
    assert not any("not analysed" in f.reason for d in report.deals for f in d.flags)
