"""CLI of the analyser: `kamcoach analyze` and `kamcoach deals analyze`."""
# ruff: noqa: F811

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.review import deal_analysis
from kamcoach.storage import repo
from tests.analysis_fixtures import fr_nlp, playbooks  # noqa: F401

FR_NOTE = "Budget de 120 k€ validé par le DAF. Pas encore de champion identifié."
EN_NOTE = "Our CFO Sarah Chen signs off. No champion yet. Churn is up 15% this year."


def test_analyze_table_french_and_english(runner: CliRunner, tmp_path: Path, fr_nlp) -> None:
    for name, text, lang, words in (
        ("fr.txt", FR_NOTE, "fr", ("Champion", "gap", "validated")),
        ("en.txt", EN_NOTE, "en", ("Economic Buyer", "gap", "Sarah Chen")),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(main, ["analyze", str(path)])
        assert result.exit_code == 0, result.output
        assert f"lang {lang}" in result.output
        for word in words:
            assert word in result.output


def test_analyze_stdin_json(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["analyze", "-", "--format", "json", "--playbook", "bant"], input="no budget"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["criteria"]["budget"]["status"] == "gap"
    assert data["criteria"]["budget"]["evidence"][0]["negated"] is True
    assert set(data) >= {"id", "lang", "playbook", "criteria", "overall", "people"}


def test_jsonl_bad_line_is_reported_and_skipped(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text(
        '{"id": "a", "text": "Budget approved: $50k."}\n'
        "{not json\n"
        '{"id": "b"}\n'
        '{"id": "c", "text": "Pas de budget.", "lang": "fr"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["analyze", str(path), "--format", "jsonl", "--playbook", "bant"])
    assert result.exit_code == 1, result.output  # the batch went on, the status tells
    assert "2 bad lines skipped, 2 notes analysed" in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in lines] == ["a", "c"]
    assert lines[0]["criteria"]["budget"]["status"] == "validated"
    assert lines[1]["criteria"]["budget"]["status"] == "gap"
    assert ":2: invalid JSON" in result.stderr
    assert ":3: expected an object" in result.stderr


def test_binary_junk_is_one_line_error(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "junk.bin"
    path.write_bytes(bytes(range(256)) * 10)
    result = runner.invoke(main, ["analyze", str(path)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "binary" in result.output
    assert "Traceback" not in result.output


def test_python_m_kamcoach_analyze(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kamcoach", "analyze", "-", "--format", "jsonl", "--lang", "en"],
        input="The CFO approved the budget. Legal review of the MSA next week.",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["criteria"]["economic_buyer"]["status"] == "validated"


def _deal(db: Database) -> int:
    db["accounts"].insert({"id": 1, "name": "Acme", "created_at": "2026-01-01T00:00:00"})
    db["opportunities"].insert(
        {
            "id": 1,
            "account_id": 1,
            "name": "Acme CRM",
            "stage": "proposal",
            "playbook": "meddic",
            "created_at": "2026-01-01T00:00:00",
            "stage_changed_at": "2026-01-01T00:00:00",
        }
    )
    db["contacts"].insert(
        {"id": 5, "account_id": 1, "name": "Hélène Garnier", "title": "DAF", "created_at": "x"}
    )
    db["opportunity_contacts"].insert({"opportunity_id": 1, "contact_id": 5})
    repo.add_note(
        db,
        1,
        "Helene valide le budget. Champion: Paul pousse en interne.",
        created_at="2026-02-01T10:00:00",
    )
    repo.add_note(
        db,
        1,
        "Paul nous a présenté la DSI. Douleur: 3 jours de ressaisie par mois.",
        created_at="2026-03-01T10:00:00",
    )
    return 1


def test_deals_analyze_saves_review_and_caches(
    db: Database,
    db_path: Path,
    runner: CliRunner,
    playbooks: PlaybookSet,
    fr_nlp,
) -> None:
    deal_id = _deal(db)
    review, verdict = deal_analysis.analyze_deal(db, deal_id, playbooks)
    assert deal_analysis.last_stats.analysed == 2 and deal_analysis.last_stats.saved
    assert review.scores["economic_buyer"].score >= 1
    assert review.scores["champion"].score >= 1
    assert review.scores["identify_pain"].status == "specific"
    assert verdict.stage == "proposal"
    again, _ = deal_analysis.analyze_deal(db, deal_id, playbooks)
    assert deal_analysis.last_stats.analysed == 0 and not deal_analysis.last_stats.saved
    assert again.id == review.id
    # A changed note is the only one read again; a manager override survives.
    note_id = repo.deal_notes(db, deal_id)[0]["id"]
    text = "Paul a quitté la société. Notre champion est parti."
    db["notes"].update(note_id, {"text": text, "content_hash": repo.content_hash(text)})
    from kamcoach.clock import now
    from kamcoach.domain.models import CriterionScore, Review

    repo.save_review(
        db,
        Review(
            deal_id,
            "meddic",
            "manager",
            {"metrics": CriterionScore("metrics", 2, "specific")},
            10,
            now(),
        ),
    )
    newer, _ = deal_analysis.analyze_deal(db, deal_id, playbooks)
    assert deal_analysis.last_stats.analysed == 1 and deal_analysis.last_stats.saved
    assert newer.scores["champion"].status == "gap"
    assert len(repo.deal_reviews(db, deal_id, author_kind="analyser")) == 2
    effective = deal_analysis.effective_scores(db, deal_id, playbooks)
    assert effective["metrics"].score == 2
    assert effective["champion"].status == "gap"
    result = runner.invoke(
        main, ["--db", str(db_path), "deals", "analyze", "--all", "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[0])["deal"] == deal_id


def test_analyze_accepts_a_team_playbook(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    """--playbook takes any loaded playbook id; an unknown one is one line before any work."""
    from kamcoach.paths import playbooks_dir

    team = tmp_path / "config" / "playbooks"
    team.mkdir(parents=True)
    text = (playbooks_dir() / "bant.toml").read_text(encoding="utf-8")
    (team / "acme.toml").write_text(text.replace('id = "bant"', 'id = "acme"', 1), encoding="utf-8")
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(tmp_path / "config"))
    note = tmp_path / "note.txt"
    note.write_text("Budget approved: $50k, the CFO signs.", encoding="utf-8")
    result = runner.invoke(main, ["analyze", str(note), "--playbook", "acme", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["playbook"] == "acme" and data["criteria"]["budget"]["score"] >= 2
    unknown = runner.invoke(main, ["analyze", str(note), "--playbook", "spin"])
    assert unknown.exit_code == 1
    assert (
        unknown.stderr.strip()
        == "error: unknown playbook 'spin' (known: acme, bant, meddic, meddpicc)"
    )
