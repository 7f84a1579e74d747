"""Issue 12 end to end, from a fresh database, through the real CLI and the real app.

Import a CRM export; add a note from the CLI and one from the app; accept the
economic buyer a note names as a contact; record a manager's review; then the
flags, the scorecard and the checklist must agree with each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.widgets import Input, TextArea

from kamcoach.cli.main import main
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.storage import repo
from kamcoach.storage.db import open_db
from kamcoach.tui.app import make_app
from kamcoach.tui.dialogs.note import NoteDialog
from kamcoach.tui.screens.deal import DealScreen

CSV = Path(__file__).parent / "data" / "crm" / "salesforce_opportunities_en.csv"
DEAL = "Carrefour - WMS rollout"
CLI_NOTE = (
    "Call with Hélène Dubois, the CFO: she signs off anything over 50k and owns the budget. "
    "Their DSO is 68 days and they want 45 before the summer."
)
APP_NOTE = "Marc Petit is our champion: he introduced us to the IT team."


def _cli(db_path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(db_path), *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def _json(db_path: Path, *args: str) -> Any:
    return json.loads(_cli(db_path, *args, "--format", "json"))


async def _settle(pilot: Any) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _add_note_in_the_app(db_path: Path, deal_id: int, tmp_path: Path) -> None:
    db = open_db(db_path)
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)

    async def main_() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await _settle(pilot)
            pilot.app.open_deal(deal_id)
            await _settle(pilot)
            await pilot.press("n")
            await pilot.pause()
            dialog = pilot.app.screen
            assert isinstance(dialog, NoteDialog)
            assert dialog.query_one("#note-author", Input).value == "Camille Martin"
            dialog.query_one(TextArea).insert(APP_NOTE)
            await pilot.press("ctrl+s")
            await _settle(pilot)
            await _settle(pilot)
            assert isinstance(pilot.app.screen, DealScreen)

    asyncio.run(main_())
    db.close()


def test_a_week_of_records_keeps_flags_scorecard_and_checklist_in_agreement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text('[user]\nname = "Camille Martin"\n', encoding="utf-8")
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    monkeypatch.delenv("KAMCOACH_CREATE", raising=False)
    db_path = tmp_path / "team.db"

    # 1. A CRM export into a new database (created on purpose).
    _cli(db_path, "--create", "import", str(CSV))
    deal_id = next(d["id"] for d in _json(db_path, "deals", "list") if d["name"] == DEAL)
    assert repo.get_deal(open_db(db_path), deal_id)["owner"] == "Camille Martin"
    reps = {r["name"] for r in _json(db_path, "reps", "list")}
    assert "Camille Martin" in reps

    # 2. A note from the CLI, one from the app: both signed by the user.
    _cli(db_path, "notes", "add", str(deal_id), CLI_NOTE)
    _add_note_in_the_app(db_path, deal_id, tmp_path)
    notes = _json(db_path, "notes", "list", str(deal_id))
    assert {n["author"] for n in notes} == {"Camille Martin"} and len(notes) == 2

    # 3. The analyser reads the notes; the economic buyer waits as a proposal until accepted.
    _cli(db_path, "deals", "analyze", str(deal_id))
    proposals = _json(db_path, "proposals", "list", str(deal_id))
    buyer = next(
        p for p in proposals if p["name"] == "Hélène Dubois" and p["value"] == "economic_buyer"
    )
    assert repo.deal_contacts(open_db(db_path), deal_id) == [] or all(
        c["name"] != "Hélène Dubois" for c in repo.deal_contacts(open_db(db_path), deal_id)
    )  # never applied silently
    _cli(db_path, "proposals", "accept", str(buyer["id"]))
    contacts = {c["name"]: c for c in repo.deal_contacts(open_db(db_path), deal_id)}
    assert contacts["Hélène Dubois"]["role"] == "economic_buyer"

    # 4. The manager's review: a correction, an agreement, a forecast and the next step.
    _cli(
        db_path,
        "review",
        str(deal_id),
        "--forecast",
        "best_case",
        "--comment",
        "Good access; no decision process yet",
        "--agree",
        "economic_buyer",
        "--correct",
        "decision_process=0:nobody has described the approval steps",
        "--next-step",
        "Walk the approval steps with Hélène",
        "--who",
        "Camille Martin",
        "--due",
        "2026-12-10",
        "--author",
        "Nadia Roy",
    )
    # A later rep qualification does not silently replace the manager's correction.
    db = open_db(db_path)
    from datetime import datetime

    from kamcoach.domain.models import CriterionScore, Review

    repo.save_review(
        db,
        Review(
            opportunity_id=deal_id,
            playbook="meddic",
            author_kind="rep",
            overall=0,
            created_at=datetime(2026, 12, 2, 9, 0),
            scores={
                "decision_process": CriterionScore(
                    "decision_process", 3, "validated", reason="they told us"
                )
            },
        ),
    )
    db.close()

    # 5. Flags, scorecard and checklist agree.
    pipeline = _json(db_path, "pipeline")
    row = next(d for d in pipeline["deals"] if d["id"] == deal_id)
    flags = {f["id"] for f in row["flags"]}
    shown = _json(db_path, "deals", "show", str(deal_id))
    effective, in_force = shown["effective_scores"], shown["in_force"]
    checklist = _json(db_path, "prep", str(deal_id), "--no-analyse")

    assert row["scores"]["economic_buyer"] == effective["economic_buyer"]["score"] >= 2
    assert "no_power" not in flags  # the scorecard has an economic buyer, so do the flags
    assert "single_threaded" not in flags  # the accepted contact is engaged on the deal
    buyer_seat = next(a for a in checklist["attendees"] if a["role"] == "economic_buyer")
    assert buyer_seat["name"] == "Hélène Dubois"
    assert not any(i["criterion"] == "economic_buyer" for i in checklist["items"])

    # The manager's correction is in force everywhere, with the reason it stands.
    assert row["scores"]["decision_process"] == effective["decision_process"]["score"] == 0
    assert in_force["decision_process"]["by"] == "manager"
    assert in_force["decision_process"]["author"] == "Nadia Roy"
    assert "manager" in in_force["decision_process"]["why"]
    item = next(i for i in checklist["items"] if i["criterion"] == "decision_process")
    assert item["score"] == 0
    assert row["forecast"] == "best_case"
    assert checklist["next_step"]["what"] == "Walk the approval steps with Hélène"
    assert row["next_step"]["what"] == "Walk the approval steps with Hélène"
