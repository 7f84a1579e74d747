"""Benchmark: import Salesforce opportunity exports of 10,000 and 100,000 rows.

For each size the CSV files are generated (streamed to disk) in a temporary
folder: ``--accounts`` accounts (the same number for both sizes, so only the
file's length changes), month-first dates, "$1,234.56" amounts, one primary
contact per deal, and an updated export where 10 % of the deals changed
stage, amount or close date. Then, in a fresh subprocess per size (so each
peak is its own), it times:

1. the dry run (``plan_import``) on an empty database,
2. the real import (``import_file``: one streaming pass, one transaction),
3. a re-import of the same file (must write nothing),
4. the updated export,

and measures memory two ways: the process's peak resident set
(``ru_maxrss``, which includes SQLite's caches), taken before and after the
imports, and the peak of Python allocations during one more real import
under ``tracemalloc``. Baseline in the same run: a bare ``csv.reader`` pass
over the same file. Prints rows/s, the ratio to the bare read, and how much
the figures grow from 10,000 to 100,000 rows (memory that does not grow with
the file gives a ratio near 1).

    python benchmarks/import_100k.py              # 10,000 and 100,000 rows
    python benchmarks/import_100k.py --quick      # 10,000 rows only
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAGES = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ven",
    "tor",
    "zel",
    "bri",
    "qua",
    "dun",
    "sol",
    "mar",
    "tex",
    "nov",
    "pel",
    "gor",
]
HEADERS = [
    "Opportunity ID",
    "Opportunity Name",
    "Account Name",
    "Stage",
    "Amount",
    "Close Date",
    "Opportunity Owner",
    "Primary Contact",
]


def company(rng: random.Random, index: int) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
    return f"{word} {index} {rng.choice(['SA', 'SAS', 'GmbH', 'Inc', 'Ltd', ''])}".strip()


def generate(first: Path, second: Path, count: int, accounts: int, seed: int = 7) -> None:
    """Write the export and its updated version row by row (nothing kept in memory)."""
    rng = random.Random(seed)
    change = random.Random(seed + 4)
    names = [company(rng, i) for i in range(accounts)]
    with (
        first.open("w", encoding="utf-8", newline="") as f1,
        second.open("w", encoding="utf-8", newline="") as f2,
    ):
        w1, w2 = csv.writer(f1), csv.writer(f2)
        w1.writerow(HEADERS)
        w2.writerow(HEADERS)
        for i in range(count):
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            row = [
                f"006BENCH{i:09d}",
                f"Deal {i} - {rng.choice(['WMS', 'CRM', 'Analytics', 'Support'])}",
                names[i % accounts],
                rng.choice(STAGES),
                f"${rng.randint(1_000, 900_000):,}.{rng.randint(0, 99):02d}",
                f"{month}/{day}/2027",
                rng.choice(["Camille Martin", "Alex Turner", "Nina Roux", "Hugo Blanc"]),
                f"Contact {i % (accounts * 4)}",
            ]
            w1.writerow(row)
            if change.random() < 0.10:
                which = change.randrange(3)
                if which == 0:
                    row[3] = change.choice(STAGES)
                elif which == 1:
                    row[4] = f"${change.randint(1_000, 900_000):,}.00"
                else:
                    row[5] = f"{change.randint(1, 12)}/{change.randint(1, 28)}/2028"
            w2.writerow(row)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[tuple[float, float], Any]:
    """(wall seconds, CPU seconds) and the result: on a busy machine CPU time is the steadier."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - start, time.process_time() - cpu), result


def measure(folder: Path, count: int) -> dict[str, Any]:
    """Runs in the child process: every figure for one size."""
    from kamcoach.io.importer import import_file, plan_import
    from kamcoach.storage.db import open_db

    first, second = folder / "opportunities.csv", folder / "opportunities_updated.csv"
    out: dict[str, Any] = {"rows": count, "file_mb": first.stat().st_size / 1e6}
    db_path = folder / "bench.db"
    db = open_db(db_path)
    out["rss_start_mb"] = rss_mb()

    def bare() -> int:
        with first.open(encoding="utf-8", newline="") as fh:
            return sum(1 for _ in csv.reader(fh))

    (out["bare_read_s"], out["bare_read_cpu"]), _ = timed(bare)
    (out["dry_run_s"], out["dry_run_cpu"]), plan = timed(lambda: plan_import(db, first))
    assert plan.summary()["bad"] == 0, plan.bad_rows[:3]
    (out["import_s"], out["import_cpu"]), plan = timed(lambda: import_file(db, first))
    summary = plan.summary()
    assert summary["new"] == count, summary
    out["created"] = summary
    watcher = sqlite3.connect(db_path)  # its data_version moves when anyone commits a change
    version = watcher.execute("PRAGMA data_version").fetchone()[0]
    (out["reimport_s"], out["reimport_cpu"]), plan = timed(lambda: import_file(db, first))
    assert plan.writes == 0, plan.summary()
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == version
    watcher.close()
    (out["updated_s"], out["updated_cpu"]), plan = timed(lambda: import_file(db, second))
    out["updated"] = plan.summary()
    out["rss_peak_mb"] = rss_mb()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0] == count
    conn.close()
    db.close()
    # Python allocations of one more full import, into a fresh database.
    fresh = open_db(folder / "traced.db")
    tracemalloc.start()
    import_file(fresh, first)
    out["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    fresh.close()
    return out


def run_size(count: int, accounts: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(
            folder / "opportunities.csv", folder / "opportunities_updated.csv", count, accounts
        )
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), "--rows", str(count)],
            capture_output=True,
            text=True,
        )
        if child.returncode:
            sys.exit(f"measuring {count:,} rows failed:\n{child.stderr}")
        result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
        return result


def report(r: dict[str, Any]) -> None:
    n = r["rows"]
    print(
        f"{n:,} rows ({r['file_mb']:.1f} MB); bare csv.reader pass {r['bare_read_s']:.2f} s "
        f"({n / r['bare_read_s']:,.0f} rows/s)"
    )
    for label, key in (
        ("dry run (empty database)", "dry_run"),
        ("import (one pass, one transaction)", "import"),
        ("re-import, same file", "reimport"),
        ("updated export (10 % changed)", "updated"),
    ):
        seconds, cpu = r[key + "_s"], r[key + "_cpu"]
        print(
            f"  {label:<36} {seconds:6.2f} s {n / seconds:9,.0f} rows/s "
            f"(CPU {cpu:5.2f} s, {n / cpu:7,.0f} rows/s) "
            f"{cpu / r['bare_read_cpu']:6.1f}x bare read"
        )
    created, updated = r["created"], r["updated"]
    print(
        f"  -> {created['new']:,} deals, {created['new_accounts']:,} accounts, "
        f"{created['new_contacts']:,} contacts; update: {updated['updated']:,} updated, "
        f"{updated['history']:,} history rows"
    )
    print(
        f"  memory: peak RSS {r['rss_peak_mb']:.0f} MB (after start-up {r['rss_start_mb']:.0f} MB,"
        f" so +{r['rss_peak_mb'] - r['rss_start_mb']:.0f} MB); "
        f"Python peak during an import {r['traced_peak_mb']:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="10,000 rows only (make bench)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.rows)))
        return
    sizes = [10_000] if args.quick else args.sizes
    print(f"{args.accounts:,} accounts for every size; one subprocess per size")
    results = []
    for count in sizes:
        result = run_size(count, args.accounts)
        report(result)
        results.append(result)
    if len(results) >= 2:
        small, big = results[0], results[-1]
        scale = big["rows"] / small["rows"]
        print(f"growth from {small['rows']:,} to {big['rows']:,} rows ({scale:.0f}x the rows):")
        print(
            f"  import time {big['import_s'] / small['import_s']:.1f}x; "
            f"peak RSS {big['rss_peak_mb'] / small['rss_peak_mb']:.2f}x "
            f"(above start-up: {(big['rss_peak_mb'] - big['rss_start_mb']):.0f} MB vs "
            f"{(small['rss_peak_mb'] - small['rss_start_mb']):.0f} MB); "
            f"Python peak {big['traced_peak_mb'] / small['traced_peak_mb']:.2f}x"
        )


if __name__ == "__main__":
    main()
