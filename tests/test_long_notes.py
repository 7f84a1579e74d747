"""Notes over the long-note limit are read whole and say so (issue 11: the silent 2,000,000 cut).

The limit is lowered for the test (``engine.MAX_NOTE_CHARS``; chunks made
smaller too, so the note is read in several pieces) so that a real spaCy
pipeline reads it in seconds: a cue placed after the limit must be found,
and the result and the command's stderr must name the note and its length.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kamcoach.analysis import engine
from kamcoach.analysis.engine import analyze_text
from kamcoach.cli.main import main
from kamcoach.playbooks.loader import load_playbooks

LIMIT = 12_000
FILLER = "The weather was mild and we chatted about the football results of the weekend.\n"
CUE = "We met the CFO, who signs off on the budget and owns the final decision.\n"


@pytest.fixture
def short_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAX_NOTE_CHARS", LIMIT)
    monkeypatch.setattr(engine, "CHUNK_CHARS", 5_000)


def long_note() -> str:
    head = FILLER * (LIMIT // len(FILLER) + 20)
    assert len(head) > LIMIT
    return head + CUE


def test_a_cue_after_the_limit_is_read_and_the_result_says_so(short_limit: None) -> None:
    playbooks = load_playbooks()
    text = long_note()
    analysis = analyze_text(text, playbooks=playbooks, lang="en", note_id=7)
    assert analysis.scores["economic_buyer"].score > 0
    evidence = analysis.scores["economic_buyer"].evidence
    assert evidence and all(e.start > LIMIT for e in evidence)
    assert text[evidence[0].start : evidence[0].end] == evidence[0].text
    assert len(analysis.warnings) == 1
    assert "note 7" in analysis.warnings[0] and f"{len(text):,} characters" in analysis.warnings[0]
    assert analysis.to_dict()["warnings"] == analysis.warnings
    # An ordinary note carries no warning and its JSON has no "warnings" key.
    short = analyze_text(CUE, playbooks=playbooks, lang="en")
    assert short.warnings == [] and "warnings" not in short.to_dict()


def test_analyze_command_warns_on_stderr_naming_the_note(short_limit: None, tmp_path: Path) -> None:
    path = tmp_path / "pasted-export.txt"
    path.write_text(long_note(), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "warning: note pasted-export.txt:" in result.stderr
    data = json.loads(result.stdout)
    assert data["criteria"]["economic_buyer"]["score"] > 0
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": "big-1", "text": long_note()}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(batch), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert "warning: note big-1:" in result.stderr


def test_deals_analyze_warns_about_a_long_stored_note(
    short_limit: None, tmp_path: Path, runner: CliRunner
) -> None:
    db_path = tmp_path / "kc.db"
    from kamcoach.storage import repo
    from kamcoach.storage.db import open_db

    db = open_db(db_path)
    db["accounts"].insert({"id": 1, "name": "Acme", "created_at": "2026-01-01T00:00:00"})
    db["opportunities"].insert(
        {
            "id": 1,
            "account_id": 1,
            "name": "Renewal",
            "stage": "proposal",
            "created_at": "2026-01-01T00:00:00",
            "stage_changed_at": "2026-01-01T00:00:00",
        }
    )
    note_id = repo.add_note(db, 1, long_note(), lang="en")
    db.close()
    result = runner.invoke(main, ["--db", str(db_path), "deals", "analyze", "1"])
    assert result.exit_code == 0, result.output
    assert f"warning: deal #1, note {note_id}:" in result.stderr
    # --all says it too (the stored analysis is reused, its warning with it).
    result = runner.invoke(main, ["--db", str(db_path), "deals", "analyze", "--all"])
    assert result.exit_code == 0, result.output
    assert f"warning: deal #1, note {note_id}:" in result.stderr
