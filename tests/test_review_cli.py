"""`kamcoach pipeline` and `kamcoach coach` through the real CLI, every format; flags.toml checks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_review_support import add_contact, add_deal, add_note, add_review, full_scores

from kamcoach.cli.main import main
from kamcoach.errors import PlaybookError
from kamcoach.review.config import bundled_flags_file, load_flag_config
from kamcoach.storage.db import open_db


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    path = tmp_path / "p.db"
    db = open_db(path)
    add_deal(db, 1, stage="proposal", amount=250000, owner="Alice", name="Big <risky> deal")
    add_review(db, 1, {**full_scores(3), "economic_buyer": (0, "gap")}, when=-2, overall=70)
    add_review(db, 1, {**full_scores(1)}, when=-40, overall=30)
    add_contact(db, 1, 11)
    add_note(db, 1, "Budget frozen says the CFO office.", when=-1)
    add_deal(db, 2, stage="commit", amount=40000, owner="Bob")
    add_review(db, 2, full_scores(3), when=-3, overall=100)
    add_note(db, 2, "All set.", when=-1)
    add_contact(db, 2, 21)
    db.close()
    return path


def invoke(runner: CliRunner, db: Path, *args: str) -> str:
    result = runner.invoke(main, ["--db", str(db), *args], env={"COLUMNS": "260"})
    assert result.exit_code == 0, result.output
    return result.output


def test_pipeline_table(runner: CliRunner, small_db: Path) -> None:
    out = invoke(runner, small_db, "pipeline")
    assert "no_power" in out and "red_flag" in out
    assert "of the pipeline is flagged" in out
    rows = [line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert rows.index("1") < rows.index("2")
    assert "#1 " in out and "#2 " not in out  # only flagged deals are detailed


def test_pipeline_json(runner: CliRunner, small_db: Path) -> None:
    data = json.loads(invoke(runner, small_db, "pipeline", "--format", "json"))
    assert [d["id"] for d in data["deals"]] == [1, 2]
    assert {f["id"] for f in data["deals"][0]["flags"]} >= {"no_power", "red_flag"}
    assert data["deals"][1]["flags"] == []
    assert data["total"]["share_flagged"] == pytest.approx(250000 / 290000, abs=1e-4)
    assert data["deals"][0]["scores"]["economic_buyer"] == 0


def test_pipeline_filters(runner: CliRunner, small_db: Path) -> None:
    data = json.loads(invoke(runner, small_db, "pipeline", "--owner", "bob", "--format", "json"))
    assert [d["id"] for d in data["deals"]] == [2]
    data = json.loads(
        invoke(runner, small_db, "pipeline", "--flag", "red_flag", "--format", "json")
    )
    assert [d["id"] for d in data["deals"]] == [1]


def test_pipeline_csv(runner: CliRunner, small_db: Path) -> None:
    rows = list(
        csv.DictReader(io.StringIO(invoke(runner, small_db, "pipeline", "--format", "csv")))
    )
    assert rows[0]["id"] == "1" and "no_power" in rows[0]["flags"].split(";")
    assert rows[0]["criteria"].startswith("M3 E0!")


def test_pipeline_md(runner: CliRunner, small_db: Path) -> None:
    out = invoke(runner, small_db, "pipeline", "--format", "md")
    assert out.startswith("# Pipeline review")
    assert "<svg" in out and "## Totals by owner" in out
    assert "**no_power**" in out
    # The question says which criterion and when in the meeting, in words, not ids.
    assert "[Economic Buyer; Qualification woven in, about" in out
    assert "[economic_buyer" not in out


def test_pipeline_html_is_self_contained(runner: CliRunner, small_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    invoke(runner, small_db, "pipeline", "--format", "html", "-o", str(target))
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<style>" in html
    assert "Big &lt;risky&gt; deal" in html  # escaped
    for external in ("http://", "https://", "<script", "<link", "src="):
        if external == "http://":
            # the SVG namespace is the only URL allowed
            assert html.count("http://") == html.count('xmlns="http://www.w3.org/2000/svg"')
        else:
            assert external not in html


def test_table_output_refuses_output_file(
    runner: CliRunner, small_db: Path, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["--db", str(small_db), "pipeline", "-o", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "error: --output needs" in result.output


def test_coach_formats(runner: CliRunner, small_db: Path) -> None:
    # Alice has one deal: ranked only when told a single deal is enough.
    data = json.loads(invoke(runner, small_db, "coach", "--format", "json", "--min-deals", "1"))
    alice = next(r for r in data if r["owner"] == "Alice")
    (meddic,) = alice["playbooks"]
    assert meddic["playbook"] == "meddic" and meddic["weakest"] == ["economic_buyer"]
    eb = next(c for c in meddic["criteria"] if c["criterion"] == "economic_buyer")
    assert eb["missing"] == 1 and eb["questions"]
    assert alice["trend"]["recent"] == 70 and alice["trend"]["previous"] == 30
    assert alice["trend"]["direction"] == "up"
    table = invoke(
        runner, small_db, "coach", "--owner", "Alice", "--lang", "fr", "--min-deals", "1"
    )
    assert "Practise Décideur économique" in table  # criterion names follow the language too
    assert "Qualification intégrée, vers la" in table  # the phase by name and timing, in French
    assert "Bob" not in table
    md = invoke(runner, small_db, "coach", "--format", "md", "--min-deals", "1")
    assert "## Alice" in md and "Practise: Economic Buyer" in md
    assert "_Qualification woven in, about" in md and "_qualification_" not in md
    html = invoke(runner, small_db, "coach", "--format", "html")
    assert html.startswith("<!DOCTYPE html>") and "Alice" in html


def test_coach_practises_in_each_reps_language(runner: CliRunner, small_db: Path) -> None:
    """By default each rep practises in the language most of their notes are in."""
    db = open_db(small_db)
    add_note(db, 1, "Point avec le DAF, rien de neuf.", when=0, lang="fr")
    add_note(db, 1, "Relance envoyée.", when=0, lang="fr")
    db.close()
    data = json.loads(invoke(runner, small_db, "coach", "--format", "json"))
    assert {r["owner"]: r["lang"] for r in data} == {"Alice": "fr", "Bob": "en"}
    table = invoke(runner, small_db, "coach", "--owner", "Alice", "--min-deals", "1")
    assert "Qualification intégrée" in table
    forced = invoke(
        runner, small_db, "coach", "--owner", "Alice", "--lang", "en", "--min-deals", "1"
    )
    assert "Qualification woven in" in forced and "Qualification intégrée" not in forced


def test_coach_unknown_owner_is_one_line_error(runner: CliRunner, small_db: Path) -> None:
    result = runner.invoke(main, ["--db", str(small_db), "coach", "--owner", "Zed"])
    assert result.exit_code == 1
    # Issue 13: an unknown rep is named as such (with the known ones), as on `pipeline`.
    assert result.output.strip() == "error: unknown owner 'Zed' (known: Alice, Bob)"


def test_team_override_changes_threshold(
    runner: CliRunner, small_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "flags.toml").write_text(
        "[flags.single_threaded]\nmin_amount = 500000\n[flags.red_flag]\nenabled = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    data = json.loads(invoke(runner, small_db, "pipeline", "--format", "json"))
    ids = {f["id"] for f in data["deals"][0]["flags"]}
    assert "single_threaded" not in ids and "red_flag" not in ids and "no_power" in ids


@pytest.mark.parametrize(
    "text,key,problem",
    [
        ("[flags.stale]\ndayz = 3\n", "flags.stale.dayz", "unknown key"),
        ("[flags.stale]\ndays = { proposl = 3 }\n", "flags.stale.days.proposl", "unknown stage"),
        ("[flags.stuck]\ndays = { commit = 0 }\n", "flags.stuck.days.commit", "days >= 1"),
        ('[flags.overdue]\nseverity = "urgent"\n', "flags.overdue.severity", "expected one of"),
        ("[flags.sleepy]\n", "flags.sleepy", "unknown flag"),
        ("[flags.red_flag]\nphrases = { de = ['x'] }\n", "flags.red_flag.phrases.de", "language"),
        (
            "[flags.single_threaded]\nmin_amount = 'lots'\n",
            "flags.single_threaded.min_amount",
            "amount",
        ),
        ("[flags\n", "", "not valid TOML"),
    ],
)
def test_bad_team_file_names_file_and_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    team = tmp_path / "flags.toml"
    team.write_text(text, encoding="utf-8")
    with pytest.raises(PlaybookError) as info:
        load_flag_config(team=team)
    message = str(info.value)
    assert message.startswith(str(team))
    assert key in message and problem in message


def test_bad_team_file_through_cli(
    runner: CliRunner, small_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flags.toml").write_text("[flags.stale]\ndayz = 3\n", encoding="utf-8")
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(tmp_path))
    result = runner.invoke(main, ["--db", str(small_db), "pipeline"])
    assert result.exit_code == 1
    assert "flags.toml: flags.stale.dayz: unknown key" in result.output
    assert "Traceback" not in result.output


def test_bundled_file_is_complete() -> None:
    config = load_flag_config(bundled_flags_file(), use_team=False)
    assert config.rule("stale").days_for("negotiation") == 14
    assert config.rule("stuck").days_for("commit") == 30
    assert config.rule("single_threaded").min_amount == 100000
