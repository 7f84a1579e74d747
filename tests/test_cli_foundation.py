"""The foundation commands through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.io.demo import load_demo
from kamcoach.storage import repo
from kamcoach.storage.db import open_db


def _demo_db(path: Path) -> Database:
    db = open_db(path)
    load_demo(db)
    return db


def test_demo_refuses_to_overwrite_user_data(runner: CliRunner, db_path: Path) -> None:
    db = _demo_db(db_path)
    repo.add_note(db, 1, "Call with the DAF, budget validé.")
    notes_before = db.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
    db.close()
    refused = runner.invoke(main, ["--db", str(db_path), "demo"])
    assert refused.exit_code == 1
    assert "already holds your own data" in refused.stderr
    assert "--force" in refused.stderr
    assert "Traceback" not in refused.output
    again = open_db(db_path)
    assert again.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == notes_before


def test_demo_reloads_over_demo_data_and_force_replaces_user_data(db_path: Path) -> None:
    db = _demo_db(db_path)
    counts = load_demo(db)  # demo over demo: allowed
    assert counts["opportunities"] == db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0]
    repo.add_note(db, 1, "my own note")
    counts = load_demo(db, force=True)
    assert db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == counts["notes"]


def test_demo_data_shape(db_path: Path) -> None:
    db = _demo_db(db_path)
    stages = {r[0] for r in db.execute("SELECT DISTINCT stage FROM opportunities")}
    assert stages == {
        "discovery",
        "qualification",
        "proposal",
        "negotiation",
        "commit",
        "closed_won",
        "closed_lost",
    }
    owners = {r[0] for r in db.execute("SELECT DISTINCT owner FROM opportunities")}
    assert 3 <= len(owners) <= 4
    assert db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] >= 150
    assert db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] >= 8


def test_accounts_and_deals_formats(runner: CliRunner, db_path: Path) -> None:
    _demo_db(db_path).close()
    base = ["--db", str(db_path)]
    accounts = runner.invoke(main, [*base, "accounts", "list", "--format", "json"])
    assert accounts.exit_code == 0, accounts.output
    assert len(json.loads(accounts.stdout)) >= 8
    deals = runner.invoke(main, [*base, "deals", "list", "--open", "--format", "jsonl"])
    rows = [json.loads(line) for line in deals.stdout.splitlines()]
    assert rows and all(r["stage"] not in ("closed_won", "closed_lost") for r in rows)
    csv_out = runner.invoke(main, [*base, "deals", "list", "--format", "csv"])
    assert csv_out.stdout.splitlines()[0].startswith("id,name,account,stage")
    md = runner.invoke(main, [*base, "deals", "list", "--format", "md"])
    assert "| id | name |" in md.stdout
    table = runner.invoke(main, [*base, "accounts", "list"], env={"COLUMNS": "200"})
    assert " yes " in table.stdout and "True" not in table.stdout  # booleans read as words
    show = runner.invoke(main, [*base, "deals", "show", "1", "--format", "json"])
    payload = json.loads(show.stdout)
    assert payload["deal"]["id"] == 1 and payload["notes"]


def test_unknown_deal_is_one_clear_line(runner: CliRunner, db_path: Path) -> None:
    _demo_db(db_path).close()
    result = runner.invoke(main, ["--db", str(db_path), "deals", "show", "4242"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: no deal with id or name '4242' (see `kamcoach deals list`)"
    ]


def test_bad_database_file_is_one_clear_line(runner: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = runner.invoke(main, ["--db", str(junk), "accounts", "list"])
    assert result.exit_code == 1
    assert "not a SQLite database" in result.stderr
    assert junk.read_bytes().startswith(b"\x89PNG")


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    out = subprocess.run(
        [sys.executable, "-m", "kamcoach", "--db", str(db), "deals", "show", "1"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert out.stderr.strip() == "error: no deal with id or name '1' (see `kamcoach deals list`)"


def test_pipeline_unknown_owner_lists_known_reps(runner: CliRunner, db_path: Path) -> None:
    _demo_db(db_path).close()
    result = runner.invoke(main, ["--db", str(db_path), "pipeline", "--owner", "Nobody"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown owner 'Nobody' (known: Camille Martin")


def test_db_option_also_after_the_command(runner: CliRunner, tmp_path: Path) -> None:
    """`kamcoach deals list --db X` (and `tui --db X`, as its help shows) choose the file too."""
    chosen, other = tmp_path / "chosen.db", tmp_path / "other.db"
    _demo_db(chosen).close()
    after = runner.invoke(main, ["deals", "list", "--db", str(chosen), "--format", "json"])
    before = runner.invoke(main, ["--db", str(chosen), "deals", "list", "--format", "json"])
    assert after.exit_code == 0, after.output
    assert json.loads(after.output) == json.loads(before.output) != []
    # The one given last wins; the group's file is never touched.
    last = runner.invoke(
        main, ["--db", str(other), "deals", "list", "--db", str(chosen), "--format", "json"]
    )
    assert json.loads(last.output) == json.loads(before.output)
    assert not other.exists()
    for path in (["tui"], ["deals", "show"], ["import"], ["export"], ["pipeline"]):
        shown = runner.invoke(main, [*path, "--help"])
        assert "--db FILE" in shown.output, path


def test_deals_show_scorecard_has_overrides_on_top(runner: CliRunner, db_path: Path) -> None:
    """The scorecard is the effective one: analyser quotes, a manager's override wins."""
    from datetime import UTC, datetime

    from kamcoach.domain.models import CriterionScore, Evidence, Review

    db = _demo_db(db_path)
    deal = db.execute("SELECT id FROM opportunities WHERE playbook = 'meddic'").fetchone()[0]
    when = datetime(2026, 11, 1, tzinfo=UTC)
    quote = Evidence("Our CFO signs off anything above 50k", 0, 36)
    analyser = {
        "economic_buyer": CriterionScore("economic_buyer", 2, "specific", [quote]),
        "champion": CriterionScore("champion", 1, "mentioned"),
    }
    repo.save_review(db, Review(deal, "meddic", "analyser", analyser, 40.0, when))
    override = {
        "champion": CriterionScore("champion", 3, "validated", reason="she sent the org chart")
    }
    later = datetime(2026, 11, 2, tzinfo=UTC)
    repo.save_review(db, Review(deal, "meddic", "manager", override, 45.0, later))
    db.close()
    base = ["--db", str(db_path), "deals", "show", str(deal)]
    table = runner.invoke(main, [*base], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "Scorecard (latest review: manager" in table.output
    assert "Our CFO signs off anything above 50k" in table.output
    assert "override: she sent the org chart" in table.output
    payload = json.loads(runner.invoke(main, [*base, "--format", "json"]).stdout)
    assert payload["effective_scores"]["champion"]["score"] == 3
    assert payload["effective_scores"]["economic_buyer"]["score"] == 2
    assert list(payload["effective_scores"])[:2] == ["metrics", "economic_buyer"]  # playbook order
