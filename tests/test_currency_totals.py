"""Mixed currencies are converted, never summed as they are (issue 13 defect 5).

The team's base currency and dated rates live in ``team.toml`` (bundled,
overridden by the team's file in the config folder). Every total — the
pipeline review in each format, the TUI's totals line, the accounts' and
reps' open pipeline — is in the base currency at the latest rate dated on or
before today; a deal whose currency has no rate is counted, named, and left
out of the amounts.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kamcoach.cli.main import main
from kamcoach.errors import PlaybookError
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review.pipeline import review_pipeline, review_pipeline_reference
from kamcoach.storage.db import open_db
from kamcoach.team import load_team_settings
from tests.test_review_support import add_contact, add_deal

#: 1 USD is worth 0.5 EUR from January, 0.8 EUR from November; 1 GBP 2 EUR from
#: January (the November table does not list it). The December table is after
#: the pinned today (2026-11-20) and must never be used; CHF appears only there.
RATES = """
[[currency.rates]]
date = 2026-01-01
USD = 0.5
GBP = 2.0

[[currency.rates]]
date = 2026-11-01
USD = 0.8

[[currency.rates]]
date = 2026-12-01
USD = 100.0
GBP = 100.0
CHF = 1.0
"""


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The team's config folder, with the rates above in its team.toml."""
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    (config / "team.toml").write_text(RATES, encoding="utf-8")
    return config / "team.toml"


def _seed(db_path: Path, *extra: tuple[int, float, str]) -> None:
    """Three deals of 10,000: in EUR, USD and GBP (plus ``extra`` (id, amount, currency))."""
    db = open_db(db_path)
    deals = ((1, 10000.0, "EUR"), (2, 10000.0, "USD"), (3, 10000.0, "GBP"), *extra)
    for deal_id, amount, currency in deals:
        add_deal(db, deal_id, amount=amount, currency=currency, owner="Alice")
        add_contact(db, deal_id, 100 + deal_id)
    db.close()


def _cli(db_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["--db", str(db_path), *args], env=env)


def _json(db_path: Path, *args: str) -> Any:
    result = _cli(db_path, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# ---------------------------------------------------------------- the rates themselves


def test_the_latest_rate_on_or_before_the_day_applies_per_currency() -> None:
    from kamcoach.domain.currency import ExchangeRates, RateTable
    from kamcoach.records.currency import sum_deals

    rates = ExchangeRates(
        "EUR",
        (
            RateTable(date(2026, 1, 1), {"USD": 0.5, "GBP": 2.0}),
            RateTable(date(2026, 11, 1), {"USD": 0.8}),
        ),
    )
    assert rates.rate("USD", date(2026, 10, 31)).value == 0.5  # type: ignore[union-attr]
    assert rates.rate("USD", date(2026, 11, 1)).value == 0.8  # type: ignore[union-attr]
    assert rates.rate("GBP", date(2026, 11, 20)).since == date(2026, 1, 1)  # type: ignore[union-attr]
    assert rates.rate("USD", date(2025, 12, 31)) is None  # before any table
    assert rates.rate("EUR", date(1990, 1, 1)).value == 1.0  # type: ignore[union-attr]
    summed = sum_deals(
        [(1, 100.0, "EUR"), (2, 100.0, "usd"), (3, 100.0, "CHF"), (4, 5.0, "CHF")],
        rates,
        date(2026, 11, 20),
    )
    assert summed.total == pytest.approx(180.0)
    assert summed.amounts == {1: 100.0, 2: pytest.approx(80.0)}
    assert [(lo.currency, lo.deal_ids) for lo in summed.left_out] == [("CHF", (3, 4))]


def test_the_bundled_rates_are_in_euros_and_dated() -> None:
    rates = load_team_settings().rates
    assert rates.base == "EUR"
    assert rates.tables and all(t.on <= date(2026, 11, 20) for t in rates.tables)
    # The demo deals in EUR, USD, GBP and CHF: the bundled rates cover all of them.
    for code in ("USD", "GBP", "CHF"):
        assert rates.rate(code, date(2026, 11, 20)) is not None, code


# ---------------------------------------------------------------- pipeline review


def test_mixed_currency_totals_are_converted_with_the_dated_rate(db_path: Path, team: Path) -> None:
    _seed(db_path)
    data = _json(db_path, "pipeline")
    # 10,000 EUR + 10,000 USD at 0.8 (November, not January's 0.5 nor December's 100)
    # + 10,000 GBP at 2.0 (January: the latest table listing GBP).
    assert data["total"]["pipeline"] == pytest.approx(38000.0)
    assert data["by_owner"][0]["pipeline"] == pytest.approx(38000.0)
    assert data["base_currency"] == "EUR"
    assert data["rates"] == {
        "GBP": {"rate": 2.0, "date": "2026-01-01"},
        "USD": {"rate": 0.8, "date": "2026-11-01"},
    }
    assert data["left_out"] == []
    deals = {d["id"]: d for d in data["deals"]}
    # The deal's own amount and currency stay as they were: scripts keep working.
    assert (deals[2]["amount"], deals[2]["currency"]) == (10000.0, "USD")
    assert (deals[2]["amount_base"], deals[2]["base_currency"]) == (8000.0, "EUR")
    assert deals[1]["amount_base"] == 10000.0

    table = _cli(db_path, "pipeline", env={"COLUMNS": "200"}).output
    assert "pipeline 38,000 EUR" in table
    assert "10k USD" in table and "≈8k EUR" in table  # original beside converted
    assert "1 USD = 0.8" in table and "of 2026-11-01" in table

    csv_rows = _cli(db_path, "pipeline", "--format", "csv").output.splitlines()
    head = csv_rows[0].split(",")
    usd = dict(zip(head, next(r for r in csv_rows if r.startswith("2,")).split(","), strict=False))
    assert (usd["amount"], usd["currency"], usd["amount_base"], usd["base_currency"]) == (
        "10000.0",
        "USD",
        "8000.0",
        "EUR",
    )
    for fmt in ("md", "html"):
        report = _cli(db_path, "pipeline", "--format", fmt).output
        assert "10,000 USD (≈ 8,000 EUR)" in report, fmt
        assert "38,000" in report and "30,000" not in report, fmt
        assert "Totals in EUR" in report, fmt


def test_forecast_totals_are_converted(db_path: Path, team: Path) -> None:
    _seed(db_path)
    from kamcoach.records.manager_review import ManagerReviewInput, save_manager_review

    db = open_db(db_path)
    for deal_id in (2, 3):
        save_manager_review(db, deal_id, load_playbooks(), ManagerReviewInput(forecast="commit"))
    db.close()
    data = _json(db_path, "pipeline", "--forecast", "commit")
    assert {d["id"] for d in data["deals"]} == {2, 3}
    assert data["total"]["pipeline"] == pytest.approx(28000.0)  # 8,000 + 20,000 EUR


def test_a_rate_dated_after_today_is_not_used(
    db_path: Path, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db_path, (4, 1000.0, "CHF"))
    today = _json(db_path, "pipeline")
    assert today["left_out"] == [{"currency": "CHF", "deals": [4]}]
    assert today["total"]["pipeline"] == pytest.approx(38000.0)
    # Replayed on the day of the December table, its rates apply.
    monkeypatch.setenv("KAMCOACH_TODAY", "2026-12-01")
    later = _json(db_path, "pipeline")
    assert later["left_out"] == []
    assert later["total"]["pipeline"] == pytest.approx(10000 + 1_000_000 + 1_000_000 + 1000)


def test_a_missing_rate_names_the_deals_and_the_totals_exclude_them(
    db_path: Path, team: Path
) -> None:
    _seed(db_path, (12, 5000.0, "CHF"), (14, 7000.0, "CHF"))
    data = _json(db_path, "pipeline")
    assert data["total"]["pipeline"] == pytest.approx(38000.0)  # no CHF in it, converted or not
    assert data["total"]["deals"] == 5  # but the deals are still counted and listed
    assert data["left_out"] == [{"currency": "CHF", "deals": [12, 14]}]
    assert {d["id"]: d["amount_base"] for d in data["deals"]}[12] is None
    line = "left out of totals: 2 deals in CHF with no rate (#12, #14) — add a rate in team.toml"
    table = _cli(db_path, "pipeline", env={"COLUMNS": "200"}).output
    assert line in table
    for fmt in ("md", "html"):
        assert (
            "2 deals in CHF with no rate (#12, #14)"
            in _cli(db_path, "pipeline", "--format", fmt).output
        )


def test_the_fast_path_and_the_reference_agree_across_currencies(db_path: Path, team: Path) -> None:
    _seed(db_path, (4, 1234.0, "CHF"), (5, 777.0, "USD"))
    db = open_db(db_path)
    playbooks = load_playbooks()
    for flag in (None, "stale"):
        fast = review_pipeline(db, playbooks, flag=flag).to_dict()
        assert fast == review_pipeline_reference(db, playbooks, flag=flag).to_dict(), flag
    db.close()


def test_the_team_file_overrides_base_and_rates(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db_path)
    bundled = _json(db_path, "pipeline")  # no team file: the bundled EUR rates
    rates = load_team_settings().rates
    expected = 10000 * (
        1
        + rates.rate("USD", date(2026, 11, 20)).value
        + rates.rate("GBP", date(2026, 11, 20)).value  # type: ignore[union-attr]
    )
    assert bundled["base_currency"] == "EUR"
    assert bundled["total"]["pipeline"] == pytest.approx(expected)
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    (config / "team.toml").write_text(
        '[currency]\nbase = "USD"\n[[currency.rates]]\ndate = 2026-06-30\nEUR = 1.25\nGBP = 2.5\n',
        encoding="utf-8",
    )
    data = _json(db_path, "pipeline")
    assert data["base_currency"] == "USD"
    assert data["total"]["pipeline"] == pytest.approx(12500 + 10000 + 25000)
    assert {d["id"]: d["amount_base"] for d in data["deals"]} == {1: 12500, 2: 10000, 3: 25000}
    table = _cli(db_path, "pipeline", env={"COLUMNS": "200"}).output
    assert "pipeline 47,500 USD" in table and "By owner (USD)" in table


# ---------------------------------------------------------------- a broken rates file

BROKEN = [
    (
        "[[currency.rates]]\ndate = 2026-01-01\nUSD = 0.9\n[[currency.rates]]\n"
        'date = 2026-02-01\nUSD = "0.9"\n',
        "currency.rates[1].USD: expected a positive number, got '0.9'",
    ),
    ("[[currency.rates]]\ndate = 2026-01-01\nUSD = -1\n", "currency.rates[0].USD: expected a"),
    ("[[currency.rates]]\ndate = 2026-01-01\nUSD = nan\n", "currency.rates[0].USD: expected a"),
    ("[[currency.rates]]\nUSD = 0.9\n", "currency.rates[0].date: missing required key"),
    (
        '[[currency.rates]]\ndate = "2026-01-01"\nUSD = 0.9\n',
        "currency.rates[0].date: expected a date like 2026-01-01",
    ),
    (
        "[[currency.rates]]\ndate = 2026-01-01\nusd = 0.9\n",
        "currency.rates[0].usd: unknown key (expected date or a currency code like USD)",
    ),
    (
        "[[currency.rates]]\ndate = 2026-01-01\nUSD = 1\n[[currency.rates]]\ndate = 2026-01-01\n",
        "currency.rates[1].date: 2026-01-01 is already the date of currency.rates[0]",
    ),
    (
        "[[currency.rates]]\ndate = 2026-01-01\nEUR = 1.0\n",
        "currency.rates[0].EUR: EUR is the base currency (always 1): remove it",
    ),
    ('[currency]\nbase = "euro"\n', "currency.base: expected a 3-letter currency code"),
    (
        '[currency]\nbase = "USD"\n',
        "currency.base: the bundled rates are in EUR: give your own [[currency.rates]] in USD",
    ),
    ("[currency]\nrate = 1\n", "currency.rate: unknown key (allowed: base, rates)"),
    ("[currency]\nrates = 3\n", "currency.rates: expected [[currency.rates]] tables"),
]


@pytest.mark.parametrize(("content", "problem"), BROKEN, ids=[p for _c, p in BROKEN])
def test_a_broken_rates_file_is_one_line_naming_file_and_key(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, problem: str
) -> None:
    _seed(db_path)
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    team = config / "team.toml"
    team.write_text(content, encoding="utf-8")
    for command in (["pipeline"], ["pipeline", "--format", "json"], ["accounts", "list"]):
        result = _cli(db_path, *command)
        assert result.exit_code == 1, (command, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines == [f"error: {team}: {problem}"] or (
            len(lines) == 1 and lines[0].startswith(f"error: {team}: {problem}")
        ), (command, result.output)
    check = CliRunner().invoke(main, ["playbooks", "check"])
    assert check.exit_code == 1 and f"{team}: {problem}" in check.output
    assert "Traceback" not in check.output
    with pytest.raises(PlaybookError, match=r"team\.toml"):
        load_team_settings(team=team)


def test_playbooks_check_names_the_base_currency_and_rates(team: Path) -> None:
    result = CliRunner().invoke(main, ["playbooks", "check"])
    assert result.exit_code == 0, result.output
    assert "totals in EUR" in result.output and "GBP, USD" in result.output


# ---------------------------------------------------------------- accounts and reps


def test_accounts_and_reps_open_pipeline_are_converted(db_path: Path, team: Path) -> None:
    _seed(db_path, (4, 1000.0, "CHF"))
    db = open_db(db_path)
    rep_id = db.execute("SELECT id FROM reps WHERE name = 'Alice'").fetchone()[0]
    db.execute("UPDATE opportunities SET rep_id = ?", [rep_id])
    db.execute("UPDATE accounts SET rep_id = ?", [rep_id])
    db.close()
    for command in (["accounts", "list"], ["reps", "list"]):
        (row,) = _json(db_path, *command)
        assert row["open_pipeline"] == pytest.approx(38000.0), command
        assert (row["base_currency"], row["left_out"]) == ("EUR", [4]), command
        table = _cli(db_path, *command, env={"COLUMNS": "200"}).output
        assert "38,000" in table and "39,000" not in table, command
        assert "in EUR" in table, command
        assert "left out of totals: 1 deal in CHF with no rate (#4)" in table, command
        csv_head = _cli(db_path, *command, "--format", "csv").output.splitlines()[0]
        assert csv_head.endswith("open_pipeline,base_currency,left_out") or (
            "base_currency" in csv_head
        ), command
    shown = _cli(db_path, "reps", "show", "Alice", env={"COLUMNS": "200"}).output
    assert "10,000 USD (≈ 8,000 EUR)" in shown and "38,000" in shown
    assert "left out of totals: 1 deal in CHF with no rate (#4)" in shown
    data = _json(db_path, "reps", "show", "Alice")
    assert data["left_out"] == [{"currency": "CHF", "deals": [4]}]
    assert {d["id"]: d["amount_base"] for d in data["deals"]}[2] == pytest.approx(8000.0)


# ---------------------------------------------------------------- TUI


def test_tui_pipeline_totals_are_converted(db_path: Path, team: Path, tmp_path: Path) -> None:
    from kamcoach.tui.app import make_app
    from kamcoach.tui.screens.pipeline import PipelineScreen
    from tests.test_tui_app import settle

    _seed(db_path, (4, 1000.0, "CHF"))
    db = open_db(db_path)
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, PipelineScreen)
            assert screen.totals.pipeline == pytest.approx(38000.0)
            totals = str(screen.query_one("#totals").render())
            assert "Pipe 38k EUR" in totals
            info = str(screen.query_one("#pipeline-info").render())
            assert "left out of totals: 1 deal in CHF with no rate (#4)" in info
            # The highlighted USD deal shows its own amount and its value in euros.
            screen.query_one("#deals").move_cursor(row=screen.rows.ids.index(2))  # type: ignore[attr-defined]
            await pilot.pause()
            row = str(screen.query_one("#pipeline-row").render())
            assert "10,000 USD (≈ 8,000 EUR)" in row

    asyncio.run(scenario())
    db.close()


def test_tui_with_a_broken_rates_file_names_it_and_keeps_running(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kamcoach.tui.app import make_app
    from kamcoach.tui.screens.reps import RepsScreen
    from tests.test_tui_app import settle

    _seed(db_path)
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    team = config / "team.toml"
    team.write_text("[[currency.rates]]\ndate = 2026-01-01\nUSD = -1\n", encoding="utf-8")
    db = open_db(db_path)
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            pilot.app.push_screen(RepsScreen())
            await settle(pilot)
            messages = [n.message for n in pilot.app._notifications]
            problem = f"{team}: currency.rates[0].USD: expected a positive number"
            assert sum(problem in m for m in messages) == 2, messages  # pipeline, then reps
            assert isinstance(pilot.app.screen, RepsScreen)  # still running

    asyncio.run(scenario())
    db.close()
