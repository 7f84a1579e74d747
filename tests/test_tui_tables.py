"""The TUI's tables behave as users of harlequin or posting expect (issue 13).

Defect 12: a long name ends with "…" at 80 columns and the score and flags
stay on screen. Conventions: ``/`` filters the pipeline as one types, escape
clears it; a click on a column header sorts (again: reverses), ``s``/``S``
do it from the keyboard, numbers sort as numbers; checklist ticks survive a
restart. Every test drives the real app on a real SQLite file with Pilot.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlite_utils import Database

from kamcoach.playbooks.model import PlaybookSet
from kamcoach.state import load_state
from kamcoach.tui.app import KamcoachApp, make_app

HOSTILE = "Acme [/red] Global Industries — Multi-year platform renewal [phase 2] EMEA"


def screen_text(app: KamcoachApp) -> list[str]:
    """The screen as the user sees it, one string per terminal line (what a snapshot shows)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text().splitlines()


async def settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _app(db: Database, playbooks: PlaybookSet, tmp_path: Path) -> KamcoachApp:
    return make_app(db, playbooks, preload_model=False, export_dir=tmp_path)


def _info(screen: Any) -> str:
    return str(screen.query_one("#pipeline-info").render())


def test_long_hostile_name_ends_with_ellipsis_at_80_columns(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    demo_db["opportunities"].update(10, {"name": HOSTILE})  # type: ignore[union-attr]
    app = _app(demo_db, playbooks, tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            lines = screen_text(pilot.app)
            header = next(line for line in lines if " Deal " in line and "Score" in line)
            assert "Score" in header and "Flags" in header  # never pushed off at 80 columns
            row = next(line for line in lines if line.startswith(" 10 "))
            assert "Acme [/red] " in row  # shown as text, not read as markup
            assert "…" in row  # cut, and saying so
            flags = row[header.index("Flags") :]
            assert flags.strip()[0].isdigit()  # the flag count is on screen
            assert len(header.rstrip()) <= 80

    asyncio.run(scenario())


def test_slash_searches_the_pipeline_and_escape_clears_it(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = _app(demo_db, playbooks, tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            table = screen.query_one("#deals")
            total = table.row_count
            assert total > 10
            await pilot.press("slash")
            await pilot.press(*"trac")  # "Traçabilité": accents do not matter
            await pilot.pause()
            assert table.row_count == 1
            assert "Traçabilité" in screen.rows[0].name
            assert f"1 of {total} deals" in _info(screen)
            # Totals are the listed deal's (defect 11), not the whole pipeline's.
            assert "1/1" in str(screen.query_one("#totals").render())
            await pilot.press("escape")
            await pilot.pause()
            assert table.row_count == total
            assert f"{total} deals" in _info(screen) and " of " not in _info(screen)
            assert pilot.app.focused is table
            # Down goes to the filtered table; escape there clears the search too.
            await pilot.press("slash", *"trac", "down")
            await pilot.pause()
            assert pilot.app.focused is table and table.row_count == 1
            await pilot.press("escape")
            await pilot.pause()
            assert table.row_count == total
            # Owner and account match too; every word must be found.
            await pilot.press("slash", *"sarah renewal")
            await pilot.pause()
            rows = [screen.rows[i] for i in range(table.row_count)]
            assert rows and all(r.owner == "Sarah Collins" for r in rows)
            assert all("renewal" in f"{r.name} {r.account}".lower() for r in rows)

    asyncio.run(scenario())


async def _click_header(pilot: Any, table: Any, key: str) -> None:
    x = 0
    for column in table.ordered_columns:
        if column.key.value == key:
            break
        x += column.get_render_width(table)
    await pilot.click(table, offset=(x + 2, 0))
    await pilot.pause()


def test_header_click_sorts_numbers_as_numbers_and_again_reverses(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = _app(demo_db, playbooks, tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            table = screen.query_one("#deals")

            def amounts() -> list[float]:
                return [screen.rows[i].amount for i in range(table.row_count)]

            assert amounts() != sorted(amounts(), reverse=True)
            await _click_header(pilot, table, "amount")
            # 900k before 95k: as numbers, not as the text "95k" > "900k".
            assert amounts() == sorted(amounts(), reverse=True)
            assert "sort: amount" in _info(screen)
            await _click_header(pilot, table, "amount")  # again: reversed
            assert amounts() == sorted(amounts())
            assert "reversed" in _info(screen)
            await _click_header(pilot, table, "id")
            ids = [screen.rows[i].id for i in range(table.row_count)]
            assert ids == sorted(ids)  # 10 after 9, not after 1

    asyncio.run(scenario())


def test_sort_keys_cycle_and_reverse(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = _app(demo_db, playbooks, tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            table = screen.query_one("#deals")

            def dates() -> list[Any]:
                return [screen.rows[i].close_date for i in range(table.row_count)]

            await pilot.press("s")  # close date, soonest first (as dates)
            await pilot.pause()
            assert "sort: close date" in _info(screen)
            assert dates() == sorted(dates())
            await pilot.press("S")  # the same column, latest first
            await pilot.pause()
            assert dates() == sorted(dates(), reverse=True)
            assert "close date, reversed" in _info(screen)
            await pilot.press("s")  # the next column starts in its natural order
            await pilot.pause()
            assert "sort: amount (largest)" in _info(screen) and "reversed" not in _info(screen)

    asyncio.run(scenario())


def test_checklist_ticks_are_remembered_per_deal_across_restarts(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    deal = 10

    async def tick(app: KamcoachApp) -> list[str]:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            pilot.app.open_checklist(deal)
            await settle(pilot)
            items = pilot.app.screen.query_one("#checklist-items")
            assert pilot.app.focused is items
            await pilot.press("space", "down", "enter")  # space and enter both tick
            await pilot.pause()
            ticked = list(items.selected)
            assert len(ticked) == 2
            head = str(pilot.app.screen.query_one("#checklist-head").render())
            assert "2 ticked" in head
            assert "### [x]" in pilot.app.screen.markdown  # the export carries the ticks
            return ticked

    async def reopen(app: KamcoachApp, deal_id: int) -> list[str]:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            pilot.app.open_checklist(deal_id)
            await settle(pilot)
            return list(pilot.app.screen.query_one("#checklist-items").selected)

    ticked = asyncio.run(tick(_app(demo_db, playbooks, tmp_path)))
    assert sorted(load_state()["checklist_ticks"][str(deal)]) == sorted(ticked)
    # A new app (a restart) shows the same ticks on this deal, and none on another.
    assert sorted(asyncio.run(reopen(_app(demo_db, playbooks, tmp_path), deal))) == sorted(ticked)
    assert asyncio.run(reopen(_app(demo_db, playbooks, tmp_path), 22)) == []


def _nested_scrollbars(app: KamcoachApp) -> list[str]:
    """Widgets showing a scrollbar inside an ancestor that shows one too."""
    found = []
    for widget in app.screen.walk_children():
        if not (widget.show_vertical_scrollbar or widget.show_horizontal_scrollbar):
            continue
        for parent in widget.ancestors:
            if getattr(parent, "show_vertical_scrollbar", False) or getattr(
                parent, "show_horizontal_scrollbar", False
            ):
                found.append(f"{widget!r} in {parent!r}")
    return found


def test_no_nested_scrollbars_at_80x24_and_120x40(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    from kamcoach.review.deal_analysis import analyze_deal

    analyze_deal(demo_db, 10, playbooks)  # a full scorecard, with evidence

    async def scenario(size: tuple[int, int]) -> dict[str, list[str]]:
        seen: dict[str, list[str]] = {}
        screens: list[str] = []
        app = _app(demo_db, playbooks, tmp_path)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            seen["pipeline"] = _nested_scrollbars(pilot.app)
            await pilot.press("R")
            await settle(pilot)
            seen["reps"] = _nested_scrollbars(pilot.app)
            pilot.app.pop_screen()
            pilot.app.open_deal(10)
            await settle(pilot)
            seen["deal"] = _nested_scrollbars(pilot.app)
            opens = {
                "contacts": lambda: pilot.press("k"),
                "review": lambda: pilot.press("m"),
                "checklist": lambda: pilot.app.open_checklist(10),
                "qualify": lambda: pilot.app.open_qualify(10),
            }
            for name, open_screen in opens.items():
                opened = open_screen()
                if opened is not None:
                    await opened
                await settle(pilot)
                seen[name] = _nested_scrollbars(pilot.app)
                screens.append(type(pilot.app.screen).__name__)
                pilot.app.pop_screen()
                await settle(pilot)
        assert screens == [
            "ContactsScreen",
            "ManagerReviewScreen",
            "ChecklistScreen",
            "QualifyScreen",
        ]
        return seen

    for size in ((80, 24), (120, 40)):
        seen = asyncio.run(scenario(size))
        assert set(seen) == {
            "pipeline",
            "reps",
            "deal",
            "contacts",
            "review",
            "checklist",
            "qualify",
        }
        assert {k: v for k, v in seen.items() if v} == {}, size


def test_reps_and_contacts_search_and_sort(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app = _app(demo_db, playbooks, tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("R")
            await settle(pilot)
            reps = pilot.app.screen
            table = reps.query_one("#reps")
            await _click_header(pilot, table, "deals")
            counts = [r["open_deals"] for r in reps.rows]
            assert counts == sorted(counts) and counts[0] < 10 <= counts[-1]  # 8 < 10, as numbers
            await _click_header(pilot, table, "deals")
            assert [r["open_deals"] for r in reps.rows] == sorted(counts, reverse=True)
            await pilot.press("slash", *"jul")
            await pilot.pause()
            assert [r["name"] for r in reps.rows] == ["Julien Roux"]
            assert table.row_count == 1
            assert "1 of 4 reps" in str(reps.query_one("#reps-info").render())
            await pilot.press("escape", "escape")  # clears the search, then leaves
            await pilot.pause()
            pilot.app.open_deal(10)
            await settle(pilot)
            await pilot.press("k")
            await settle(pilot)
            contacts = pilot.app.screen
            await pilot.press("slash", *"head")
            await pilot.pause()
            assert {r["title"].split()[0] for r in contacts.rows} == {"Head"}
            assert "of 5 shown" in str(contacts.query_one("#contacts-head").render())
            await pilot.press("escape")
            await pilot.press("s", "s", "s")  # on the deal, name, then title
            await pilot.pause()
            titles = [r["title"] for r in contacts.rows]
            assert titles == sorted(titles, key=str.casefold)
            lines = screen_text(pilot.app)
            header = next(line for line in lines if "Stance" in line)
            assert "Reports" in header  # every column on screen at 80 columns

    asyncio.run(scenario())


def test_search_on_a_large_pipeline_waits_for_a_pause_and_keeps_scope_totals(
    demo_db: Database, playbooks: PlaybookSet, tmp_path: Path, monkeypatch: Any
) -> None:
    """What a 100k-deal pipeline does, on the demo with the thresholds lowered to 10 deals."""
    from kamcoach.tui.screens import pipeline

    monkeypatch.setattr(pipeline, "SEARCH_DEBOUNCE_FROM", 10)
    monkeypatch.setattr(pipeline, "SEARCH_TOTALS_LIMIT", 10)
    app = _app(demo_db, playbooks, tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            table = screen.query_one("#deals")
            total = table.row_count
            totals = str(screen.query_one("#totals").render())
            await pilot.press("slash", "r", "e")
            assert table.row_count == total  # not yet: the typing may go on
            await pilot.pause(0.4)
            kept = table.row_count
            assert 10 < kept < total
            assert f"{kept} of {total} deals" in _info(screen)
            assert "totals: every deal in scope" in _info(screen)
            assert str(screen.query_one("#totals").render()) == totals
            await pilot.press("n")  # "ren": a few deals, their own totals
            await pilot.pause(0.4)
            assert 0 < table.row_count <= 10
            assert "every deal in scope" not in _info(screen)
            assert f"/{table.row_count}" in str(screen.query_one("#totals").render())

    asyncio.run(scenario())
