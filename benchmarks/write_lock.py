"""Benchmark: how long kamcoach's write transactions hold SQLite's write lock.

The busy timeout (``kamcoach.storage.db.BUSY_TIMEOUT_MS``) must be longer than
the longest write transaction, or a second writer (the TUI saving a note, a
second import) gives up with "database is locked". This runs the real CLI in a
subprocess and watches the lock from outside: a probe connection tries
``BEGIN IMMEDIATE`` without waiting every few milliseconds (and rolls back at
once when it gets it); the longest stretch it was refused is the longest time
the lock was held in one go.

1. ``kamcoach import`` of a generated Salesforce export (100,000 rows;
   planned and written under one lock since issue 11.2);
2. ``kamcoach deals analyze --all`` on the demo pipeline (one transaction per deal).

Prints, per command, its wall time, the longest hold, the total time held, and
the longest hold as a share of the busy timeout (must stay well below 100 %).

    python benchmarks/write_lock.py            # 100,000 rows
    python benchmarks/write_lock.py --quick    # 10,000 rows
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from import_100k import make_rows, write

from kamcoach.io.demo import load_demo
from kamcoach.storage.db import BUSY_TIMEOUT_MS, open_db

ROOT = Path(__file__).resolve().parent.parent
PROBE_EVERY = 0.005


def watch(db: Path, *args: str) -> tuple[float, float, float]:
    """Run ``kamcoach --db db ARGS``; return (wall s, longest hold s, total held s)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    probe = sqlite3.connect(db, isolation_level=None, timeout=0)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kamcoach", "--db", str(db), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    longest = total = 0.0
    held_since: float | None = None
    while proc.poll() is None:
        now = time.perf_counter()
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            if held_since is not None:
                longest = max(longest, now - held_since)
                total += now - held_since
                held_since = None
        except sqlite3.OperationalError:
            if held_since is None:
                held_since = now
        time.sleep(PROBE_EVERY)
    end = time.perf_counter()
    if held_since is not None:
        longest = max(longest, end - held_since)
        total += end - held_since
    _, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"kamcoach {' '.join(args)} failed: {err.decode(errors='replace')}")
    probe.close()
    return end - started, longest, total


def report(label: str, figures: tuple[float, float, float]) -> None:
    wall, longest, total = figures
    share = longest * 1000 / BUSY_TIMEOUT_MS
    print(
        f"{label:<36} wall {wall:6.2f} s  longest hold {longest:6.2f} s  "
        f"held in all {total:6.2f} s  longest / busy timeout {share:6.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 rows")
    args = parser.parse_args()
    count = 10_000 if args.quick else args.rows
    print(f"busy timeout {BUSY_TIMEOUT_MS / 1000:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "opportunities.csv"
        write(csv_path, make_rows(count, max(1, count // 20)))
        db_path = folder / "import.db"
        open_db(db_path).close()
        report(f"import {count:,} rows", watch(db_path, "import", str(csv_path)))

        demo = folder / "demo.db"
        db = open_db(demo)
        load_demo(db)
        db.close()
        report("deals analyze --all (demo, fresh)", watch(demo, "deals", "analyze", "--all"))


if __name__ == "__main__":
    main()
