"""What the next-step column costs the pipeline review, at 100k deals.

Builds the pipeline of ``benchmarks/pipeline_review.py`` (default 100k
opportunities), then times ``review_pipeline`` three ways in the same run:
without reading next steps at all (the review as it was before issue 12),
with an empty ``next_steps`` table, and after giving 40 % of the deals one to
three steps each (the current one is their latest). Also times the one
indexed query alone (:func:`kamcoach.records.next_steps.latest_by_deal`).
Best of ``--repeat`` runs, wall and CPU time of this process.

Run from a clean checkout::

    python benchmarks/next_steps_review.py            # 100k
    python benchmarks/next_steps_review.py --deals 10000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_review import TODAY, build

import kamcoach.review.pipeline as pipeline_module
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.records.next_steps import latest_rows_by_deal
from kamcoach.review.config import load_flag_config
from kamcoach.review.pipeline import review_pipeline
from kamcoach.storage.db import open_db


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def add_steps(db: Any, share: float = 0.4, seed: int = 11) -> int:
    rnd = random.Random(seed)
    ids = [r[0] for r in db.execute("SELECT id FROM opportunities")]
    rows = []
    for deal_id in rnd.sample(ids, int(len(ids) * share)):
        for k in range(rnd.randint(1, 3)):
            due = TODAY.toordinal() + rnd.randint(-20, 40)
            rows.append(
                (
                    deal_id,
                    f"step {k} of deal {deal_id}",
                    "Claire" if k % 2 else None,
                    TODAY.fromordinal(due).isoformat(),
                    f"2026-11-{10 + k:02d}T10:00:00",
                    "bench",
                    "deal",
                )
            )
    with db.conn:
        db.conn.executemany(
            "INSERT INTO next_steps (opportunity_id, what, who, due_date, set_at, set_by, source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    playbooks = load_playbooks()
    config = load_flag_config(use_team=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build(path, args.deals)
        db = open_db(path)

        def review() -> Any:
            return review_pipeline(db, playbooks, config=config, today=TODAY)

        real = pipeline_module.latest_rows_by_deal
        pipeline_module.latest_rows_by_deal = lambda *a, **k: {}  # type: ignore[assignment]
        without = best(review, args.repeat)
        pipeline_module.latest_rows_by_deal = real
        empty = best(review, args.repeat)
        steps = add_steps(db)
        with_steps = best(review, args.repeat)
        query = best(lambda: latest_rows_by_deal(db), args.repeat)
        report = review()
        shown = sum(1 for d in report.deals[:100] if d.next_step is not None)
        db.close()
    print(f"{args.deals:,} deals, {steps:,} next steps on 40 % of them (best of {args.repeat})")
    print(f"{'':44}{'wall s':>8}{'cpu s':>8}")
    for label, (wall, cpu) in (
        ("review, next steps not read (before)", without),
        ("review, next_steps table empty", empty),
        ("review, with the next steps", with_steps),
        ("latest_rows_by_deal alone (one indexed query)", query),
    ):
        print(f"{label:<44}{wall:>8.3f}{cpu:>8.3f}")
    print(
        f"cost of the next steps: {with_steps[1] / without[1] - 1:+.1%} CPU; first 100 rows show {shown}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
