"""Imported deals' time in stage: the CRM's stage-change date, else the import (said so).

Issue 13 defect 6: a deal created in the CRM long ago was "stuck" on the day
it was imported, its stage age counted from the CRM's creation date.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from kamcoach.cli.main import main

TODAY = "2026-11-30"
HEADER = "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date,Opportunity Owner,Created Date"


def _export(path: Path, rows: list[str], *, stage_dates: list[str] | None = None) -> Path:
    header = HEADER + (",Last Stage Change Date" if stage_dates is not None else "")
    lines = [header]
    for i, row in enumerate(rows):
        lines.append(row + (f",{stage_dates[i]}" if stage_dates is not None else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ROWS = [
    "006A,Acme - WMS,Acme,Proposal/Price Quote,50000,2027-03-31,Camille Martin,2025-11-02",
    "006B,Beta - CRM,Beta,Negotiation/Review,80000,2027-02-28,Camille Martin,2026-01-15",
]


def _run(db_path: Path, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["--db", str(db_path), *args], env={"KAMCOACH_TODAY": TODAY, "COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def _stage_dates(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    try:
        return {
            ext: changed[:10]
            for ext, changed in conn.execute(
                "SELECT external_id, stage_changed_at FROM opportunities"
            )
        }
    finally:
        conn.close()


def _stuck(db_path: Path) -> set[str]:
    data = json.loads(_run(db_path, "pipeline", "--format", "json"))
    return {d["name"] for d in data["deals"] if "stuck" in {f["id"] for f in d["flags"]}}


def test_without_a_stage_date_the_stage_age_counts_from_the_import(
    tmp_path: Path, db_path: Path
) -> None:
    out = _run(db_path, "import", str(_export(tmp_path / "o.csv", ROWS)))
    assert "2 deal(s) without a stage-change date in the export" in " ".join(out.split())
    assert set(_stage_dates(db_path).values()) == {TODAY}
    assert _stuck(db_path) == set()  # created a year ago, but not stuck on day one


def test_the_crms_stage_change_date_is_used_when_the_export_has_one(
    tmp_path: Path, db_path: Path
) -> None:
    path = _export(tmp_path / "o.csv", ROWS, stage_dates=["2026-11-20", "2026-08-01"])
    out = _run(db_path, "import", str(path))
    assert "without a stage-change date" not in out
    assert _stage_dates(db_path) == {"006A": "2026-11-20", "006B": "2026-08-01"}
    assert _stuck(db_path) == {"Beta - CRM"}  # 121 days in negotiation (limit 45)


def test_a_later_export_with_the_date_corrects_the_first_imports_guess(
    tmp_path: Path, db_path: Path
) -> None:
    _run(db_path, "import", str(_export(tmp_path / "a.csv", ROWS)))
    path = _export(tmp_path / "b.csv", ROWS, stage_dates=["2026-11-20", "2026-08-01"])
    _run(db_path, "import", str(path))
    assert _stage_dates(db_path) == {"006A": "2026-11-20", "006B": "2026-08-01"}
