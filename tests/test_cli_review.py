"""`kamcoach review DEAL` through the real CLI: what is in force before deciding, a full
review stored, one-line errors that write nothing, the history, and what the other
commands (deals show, prep, pipeline --forecast) say afterwards."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database
from test_review_support import add_deal, add_review, full_scores

from kamcoach.cli.main import main
from kamcoach.storage.db import open_db


@pytest.fixture
def rdb(tmp_path: Path) -> Path:
    path = tmp_path / "r.db"
    db = open_db(path)
    add_deal(db, 1, stage="proposal", name="Acme ERP", owner="Alice")
    add_review(db, 1, {**full_scores(2), "champion": 3}, when=-10)
    add_deal(db, 2, stage="commit", name="Globex", owner="Bob")
    add_review(db, 2, full_scores(3), when=-10)
    db.close()
    return path


def invoke(runner: CliRunner, db: Path, *args: str, ok: bool = True) -> str:
    result = runner.invoke(
        main, ["--db", str(db), *args], env={"COLUMNS": "200", "KAMCOACH_USER": "J. Doe"}
    )
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return result.output


def _counts(path: Path) -> tuple[int, ...]:
    db = Database(path)
    try:
        return tuple(
            db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("reviews", "review_scores", "next_steps")
        )
    finally:
        db.close()


def test_no_option_shows_the_scorecard_in_force_and_no_review_yet(
    runner: CliRunner, rdb: Path
) -> None:
    out = invoke(runner, rdb, "review", "1")
    assert "scores in force" in out
    assert "analyser 3 (2026-11-10, from the notes) in force" in out
    assert "no manager review yet" in out


def test_full_review_is_stored_and_shown(runner: CliRunner, rdb: Path) -> None:
    out = invoke(
        runner,
        rdb,
        "review",
        "Acme ERP",
        "--forecast",
        "commit",
        "--comment",
        "Good pain, CFO unknown",
        "--agree",
        "metrics,economic_buyer",
        "--agree",
        "identify_pain",
        "--correct",
        "champion=1:no access to the CFO",
        "--next-step",
        "Meet the CFO",
        "--who",
        "Alice",
        "--due",
        "2026-12-04",
        "--show",
    )
    assert "saved manager review #" in out
    assert "forecast commit; 3 agreed; corrected champion 1" in out
    assert "manager 1 (J. Doe, " in out and "corrected: no access to the CFO) in force" in out
    db = open_db(rdb)
    head = db.execute(
        "SELECT id, author, forecast, comment FROM reviews WHERE author_kind = 'manager'"
    ).fetchall()
    assert [h[1:] for h in head] == [("J. Doe", "commit", "Good pain, CFO unknown")]
    verdicts = dict(
        db.execute(
            "SELECT criterion, verdict FROM review_scores WHERE review_id = ?", [head[0][0]]
        ).fetchall()
    )
    assert verdicts == {
        "metrics": "agreed",
        "economic_buyer": "agreed",
        "identify_pain": "agreed",
        "champion": "corrected",
    }
    step = db.execute("SELECT what, who, due_date, source, review_id FROM next_steps").fetchall()
    assert step == [("Meet the CFO", "Alice", "2026-12-04", "review", head[0][0])]
    db.close()

    # The history, in both formats.
    out = invoke(runner, rdb, "review", "1", "--history")
    assert "forecast commit" in out and "champion: corrected to 1 (no access to the CFO)" in out
    assert "next step: Meet the CFO, Alice, by 2026-12-04" in out
    history = json.loads(invoke(runner, rdb, "review", "1", "--history", "--format", "json"))
    assert history[0]["forecast"] == "commit"
    assert history[0]["scores"]["champion"] == {
        "verdict": "corrected",
        "score": 1,
        "reason": "no access to the CFO",
    }

    # deals show says who set each score and why.
    out = invoke(runner, rdb, "deals", "show", "1")
    assert "champion: manager 1 (J. Doe, " in out
    shown = json.loads(invoke(runner, rdb, "deals", "show", "1", "--format", "json"))
    assert shown["effective_scores"]["champion"]["score"] == 1
    assert shown["in_force"]["champion"]["by"] == "manager"
    assert shown["in_force"]["champion"]["verdict"] == "corrected"

    # The checklist names the manager's score in force.
    checklist = json.loads(invoke(runner, rdb, "prep", "1", "--no-analyse", "--format", "json"))
    items = {it["criterion"]: it for it in checklist["items"]}
    assert items["champion"]["score"] == 1
    assert items["champion"]["set_by"].startswith("manager 1 (J. Doe, ")

    # The pipeline carries the forecast and filters on it.
    rows = list(csv.DictReader(io.StringIO(invoke(runner, rdb, "pipeline", "--format", "csv"))))
    assert {r["id"]: r["forecast"] for r in rows} == {"1": "commit", "2": ""}
    only = list(
        csv.DictReader(
            io.StringIO(invoke(runner, rdb, "pipeline", "--forecast", "commit", "--format", "csv"))
        )
    )
    assert [r["id"] for r in only] == ["1"]
    report = json.loads(invoke(runner, rdb, "pipeline", "--forecast", "commit", "--format", "json"))
    assert [d["forecast"] for d in report["deals"]] == ["commit"]
    assert report["total"]["deals"] == 1


def test_agree_all_confirms_every_criterion_not_corrected(runner: CliRunner, rdb: Path) -> None:
    invoke(runner, rdb, "review", "2", "--agree-all", "--correct", "metrics=2:only one KPI")
    db = open_db(rdb)
    verdicts = db.execute(
        "SELECT criterion, verdict, score FROM review_scores s JOIN reviews r ON r.id = s.review_id "
        "WHERE r.author_kind = 'manager' ORDER BY criterion"
    ).fetchall()
    db.close()
    assert len(verdicts) == 6
    assert ("metrics", "corrected", 2) in verdicts
    assert all(v[1] == "agreed" and v[2] == 3 for v in verdicts if v[0] != "metrics")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agree", "metrics,budget"], "error: unknown criterion 'budget' (allowed: metrics, "),
        (["--correct", "champion=1"], "error: --correct 'champion=1': expected CRIT=SCORE:REASON"),
        (["--correct", "champion=5:why"], "score '5' is not 0, 1, 2 or 3"),
        (["--correct", "champion=1:  "], "a correction needs a reason"),
        (["--correct", "budget=1:why"], "error: unknown criterion 'budget'"),
        (["--who", "Alice"], "error: --who and --due describe a next step"),
        (["--next-step", "Call", "--due", "soon"], "error: due date 'soon' is not YYYY-MM-DD"),
        (["--agree", "metrics", "--agree-all"], "error: give --agree CRIT,… or --agree-all"),
        (["--history", "--forecast", "commit"], "error: --history only lists the reviews"),
        (["--agree", "champion", "--correct", "champion=1:x"], "given twice"),
    ],
)
def test_mistakes_are_one_line_and_write_nothing(
    runner: CliRunner, rdb: Path, args: list[str], message: str
) -> None:
    before = _counts(rdb)
    out = invoke(runner, rdb, "review", "1", *args, ok=False)
    assert message in out
    assert _counts(rdb) == before


def test_unknown_deal_is_one_line(runner: CliRunner, rdb: Path) -> None:
    out = invoke(runner, rdb, "review", "Nope", "--forecast", "commit", ok=False)
    assert "no deal with id or name 'Nope'" in out


def test_help_teaches_with_examples(runner: CliRunner) -> None:
    result = runner.invoke(main, ["review", "--help"])
    assert result.exit_code == 0
    assert "kamcoach review 12 --forecast commit" in result.output
    assert "--history" in result.output and "CRIT=SCORE:REASON" in result.output


def test_deals_analyze_says_a_managers_score_stays_in_force(runner: CliRunner, rdb: Path) -> None:
    """Re-analysing the notes writes an analyser review; the table says whose score counts."""
    from test_review_support import add_note

    db = open_db(rdb)
    add_note(db, 1, "Our champion Sarah pushes the project internally. Budget approved by the CFO.")
    db.close()
    invoke(runner, rdb, "review", "1", "--correct", "champion=0:Sarah has no influence")
    out = invoke(runner, rdb, "deals", "analyze", "1")
    assert "in force" in out
    assert "manager 0 (J. Doe, " in out and "corrected: Sarah has no influence) in force" in out
    shown = json.loads(invoke(runner, rdb, "review", "1", "--format", "json"))
    assert shown["scorecard"]["champion"]["by"] == "manager"
    assert shown["scorecard"]["champion"]["score"] == 0


def test_hostile_names_and_reasons_are_shown_as_typed(runner: CliRunner, rdb: Path) -> None:
    out = invoke(
        runner,
        rdb,
        "review",
        "1",
        "--author",
        "[/red]Eve",
        "--correct",
        "champion=1:[bold]no[/bold] access",
        "--comment",
        "[link=x]c[/link]",
        "--show",
    )
    assert "[/red]Eve" in out and "[bold]no[/bold] access" in out
    out = invoke(runner, rdb, "review", "1", "--history")
    assert "[link=x]c[/link]" in out and "[/red]Eve" in out


def test_a_next_step_due_in_the_past_is_kept_with_a_warning(runner: CliRunner, rdb: Path) -> None:
    out = invoke(runner, rdb, "review", "1", "--next-step", "Send the recap", "--due", "2026-11-01")
    assert "warning: due date 2026-11-01 is already past (today is 2026-11-20)" in out
    db = open_db(rdb)
    rows = db.execute("SELECT what, due_date, source FROM next_steps").fetchall()
    db.close()
    assert rows == [("Send the recap", "2026-11-01", "review")]
    shown = json.loads(invoke(runner, rdb, "deals", "show", "1", "--format", "json"))
    assert "Send the recap" in json.dumps(shown)


def test_deals_show_never_calls_an_analyser_gap_an_override(tmp_path: Path) -> None:
    """Issue 13 defect 7: the analyser's stated gap was labelled 'override: stated'."""
    from datetime import UTC, datetime

    from click.testing import CliRunner

    from kamcoach.cli.main import main
    from kamcoach.domain.models import CriterionScore, Evidence, Review
    from kamcoach.storage import repo
    from kamcoach.storage.db import open_db
    from tests.test_review_support import add_deal

    path = tmp_path / "gap.db"
    db = open_db(path)
    add_deal(db, 1)
    quote = Evidence("We have not met the CFO yet.", 0, 28, negated=True)
    scores = {
        "economic_buyer": CriterionScore("economic_buyer", 0, "gap", [quote], reason="stated"),
        "metrics": CriterionScore("metrics", 0, "gap", [], reason="stated"),
    }
    repo.save_review(
        db, Review(1, "meddic", "analyser", scores, 0.0, datetime(2026, 11, 2, tzinfo=UTC))
    )
    db.close()
    out = CliRunner().invoke(
        main, ["--db", str(path), "deals", "show", "1"], env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0, out.output
    assert "override" not in out.output
    assert "gap: We have not met the CFO yet." in out.output
    assert "gap stated in the notes" in out.output
