"""``--workers`` spreads a batch over processes without changing any result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NOTES = [
    "We have not met the CFO yet. Anna, the VP Finance, signs off budgets above 50k.",
    "Pas encore de champion. Le DAF valide le budget de 120 k€ pour 2027.",
    "Go-live before September; procurement needs an MSA and a security questionnaire.",
    "Concurrent en place : un ERP maison. Critères : prix et intégration SAP.",
]


def _run(batch: Path, *extra: str) -> list[dict[str, object]]:
    out = subprocess.run(
        [sys.executable, "-m", "kamcoach", "analyze", str(batch), "--format", "jsonl", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_workers_give_the_same_results_in_the_same_order(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(NOTES * 3)),
        encoding="utf-8",
    )
    single = _run(batch)
    parallel = _run(batch, "--workers", "2")
    assert [r["id"] for r in parallel] == list(range(12))
    assert parallel == single
    assert {r["lang"] for r in single} == {"en", "fr"}
