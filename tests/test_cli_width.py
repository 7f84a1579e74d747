"""Issue 13 defect 12: every CLI table stays readable at 80 and 100 columns.

Rendered through the real entry point with a fixed console width (rich reads
``COLUMNS``) on the demo database: no row loses its score or its flags, no
line runs past the width, long names are cut with an ellipsis, not wrapped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main

WIDTHS = (80, 100)


def _run(runner: CliRunner, db_path: Path, width: int, *args: str) -> str:
    result = runner.invoke(main, ["--db", str(db_path), *args], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


def _check_width(text: str, width: int) -> None:
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert too_wide == []


@pytest.mark.parametrize("width", WIDTHS)
def test_pipeline_rows_keep_score_and_flags(
    runner: CliRunner, demo_db: Database, db_path: Path, width: int
) -> None:
    report = json.loads(_run(runner, db_path, width, "pipeline", "--format", "json"))
    expected = {
        d["id"]: ("n/a" if d["score"] is None else f"{d['score']:.0f}", len(d["flags"]))
        for d in report["deals"]
    }
    text = _run(runner, db_path, width, "pipeline", "--limit", "0")
    _check_width(text, width)
    table = text.split("Exceptions")[0]
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r"^ *(\d+) .*$", table, re.M)}
    assert set(rows) == set(expected)
    for deal_id, (score, flags) in expected.items():
        # The row ends with the score then the flag count (a dash when none).
        tail = rf"\s{re.escape(score)}\s+{flags if flags else '—'}\s*$"
        assert re.search(tail, rows[deal_id]), rows[deal_id]
    assert "…" in table  # long deal names are cut with an ellipsis


@pytest.mark.parametrize("width", WIDTHS)
def test_deals_list_one_line_per_deal_with_its_score(
    runner: CliRunner, demo_db: Database, db_path: Path, width: int
) -> None:
    deals = json.loads(_run(runner, db_path, width, "deals", "list", "--format", "json"))
    text = _run(runner, db_path, width, "deals", "list")
    _check_width(text, width)
    body = [line for line in text.splitlines() if line.startswith("│")]
    assert len(body) == len(deals)  # no name wrapped over several lines
    for deal, line in zip(deals, body, strict=True):
        cells = [c.strip() for c in line.strip("│").split("│")]
        assert cells[0] == str(deal["id"])
        score = deal["score"]
        assert cells[-1] == ("" if score is None else f"{score:g}")
        name = cells[1]
        assert name == deal["name"] or (
            name.endswith("…") and deal["name"].startswith(name[:-1].rstrip())
        )
        assert len(name) >= 20 or name == deal["name"]  # a name stays readable


@pytest.mark.parametrize("width", WIDTHS)
def test_prep_gaps_keep_their_score_and_readable_questions(
    runner: CliRunner, demo_db: Database, db_path: Path, width: int
) -> None:
    data = json.loads(
        _run(runner, db_path, width, "prep", "22", "--no-analyse", "--format", "json")
    )
    assert data["items"]
    text = _run(runner, db_path, width, "prep", "22", "--no-analyse")
    _check_width(text, width)
    flat = " ".join(text.split())
    for item in data["items"]:
        assert f"{item['score']}/3" in text
        # The question's first words stay on one line of its cell (a wide enough column).
        start = " ".join(item["question"].split()[:5])
        assert start in text, start
        assert " ".join(item["confirm"].split()[:3]) in flat


@pytest.mark.parametrize(
    "args",
    [
        ("accounts", "list"),
        ("contacts", "list"),
        ("reps", "list"),
        ("playbooks", "list"),
        ("notes", "list", "22"),
        ("deals", "history", "22"),
        ("coach",),
    ],
    ids=" ".join,
)
def test_every_listing_fits_80_columns_with_its_numbers_whole(
    runner: CliRunner, demo_db: Database, db_path: Path, args: tuple[str, ...]
) -> None:
    data = json.loads(_run(runner, db_path, 200, *args, "--format", "json"))
    text = _run(runner, db_path, 80, *args)
    _check_width(text, 80)
    if isinstance(data, list) and data and isinstance(data[0].get("id"), int):
        # The id column is never squeezed away: each row starts with its id.
        ids = [line.strip("│").split("│")[0].strip() for line in text.splitlines()]
        assert [str(row["id"]) for row in data] == [i for i in ids if i.isdigit()]
