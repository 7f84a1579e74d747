"""`kamcoach export`: deals with scores, reviews with per-criterion scores, notes."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from kamcoach.cli.main import main
from kamcoach.domain.models import CriterionScore, Review
from kamcoach.io.importer import import_file
from kamcoach.storage import repo
from kamcoach.storage.db import open_db

DATA = Path(__file__).parent / "data" / "crm"


def _seed(db_path: Path) -> int:
    db = open_db(db_path)
    import_file(db, DATA / "salesforce_opportunities_fr.csv")
    import_file(db, DATA / "salesforce_tasks_fr.csv")
    deal_id = db.execute(
        "SELECT id FROM opportunities WHERE external_id = '0065g00000FrOp01'"
    ).fetchone()[0]
    for day, (metrics, champion) in ((1, (1, 0)), (10, (3, 2))):
        repo.save_review(
            db,
            Review(
                opportunity_id=deal_id,
                playbook="meddic",
                author_kind="analyser",
                scores={
                    "metrics": CriterionScore("metrics", metrics, "specific"),
                    "champion": CriterionScore("champion", champion, "mentioned"),
                },
                overall=40.0 + day,
                created_at=datetime(2026, 11, day, 10, 0),
            ),
        )
    db.close()
    return int(deal_id)


def test_export_deals_csv_has_latest_scores_as_columns(runner: CliRunner, db_path: Path) -> None:
    deal_id = _seed(db_path)
    result = runner.invoke(main, ["--db", str(db_path), "export", "deals"])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert len(table) == 4
    assert list(table[0])[-3:] == ["score", "score_champion", "score_metrics"]
    row = next(r for r in table if r["id"] == str(deal_id))
    assert row["name"] == "Société Générale - Conformité"
    assert row["source"] == "salesforce" and row["external_id"] == "0065g00000FrOp01"
    assert row["amount"] == "1234567.5"
    assert (row["score"], row["score_metrics"], row["score_champion"]) == ("50.0", "3", "2")
    other = next(r for r in table if r["id"] != str(deal_id))
    assert other["score"] == "" and other["score_metrics"] == ""


def test_export_excel_flavour(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    _seed(db_path)
    out = tmp_path / "deals.csv"
    result = runner.invoke(
        main, ["--db", str(db_path), "export", "deals", "--excel", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id;source;external_id;name;")
    assert ";1234567,5;EUR;" in text


def test_export_reviews_jsonl_with_per_criterion_scores(runner: CliRunner, db_path: Path) -> None:
    _seed(db_path)
    result = runner.invoke(main, ["--db", str(db_path), "export", "reviews", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    reviews = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["overall"], r["score_metrics"], r["score_champion"]) for r in reviews] == [
        (41.0, 1, 0),
        (50.0, 3, 2),
    ]
    assert reviews[0]["deal"] == "Société Générale - Conformité"


def test_export_notes_keep_crm_ids(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    _seed(db_path)
    result = runner.invoke(main, ["--db", str(db_path), "export", "notes", "--format", "jsonl"])
    notes = [json.loads(line) for line in result.output.splitlines()]
    assert {n["external_id"] for n in notes} == {"00T5g00001FrTk01", "00T5g00001FrTk02"}
    assert all(n["source"] == "salesforce" and n["text"] for n in notes)


def test_excel_only_with_csv(runner: CliRunner, db_path: Path) -> None:
    result = runner.invoke(
        main, ["--db", str(db_path), "export", "deals", "--format", "jsonl", "--excel"]
    )
    assert result.exit_code == 1
    assert "--excel applies to --format csv only" in result.output
