"""Benchmark: import a 100,000-row Salesforce opportunity export.

Generates the CSV in a temporary folder (5,000 accounts, month-first dates,
"$1,234.56" amounts, one primary contact per deal), then times:

1. the dry-run plan on an empty database,
2. the real import (plan + one transaction),
3. a re-import of the same file (must write nothing),
4. an updated export where 10 % of deals changed stage, amount or close date.

Prints rows per second for each phase and the process's peak resident memory.

    python benchmarks/import_100k.py            # 100,000 rows
    python benchmarks/import_100k.py --quick    # 10,000 rows
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kamcoach.io.importer import apply_plan, plan_import
from kamcoach.storage.db import open_db

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


def make_rows(count: int, accounts: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    names = [company(rng, i) for i in range(accounts)]
    rows = []
    for i in range(count):
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        rows.append(
            [
                f"006BENCH{i:09d}",
                f"Deal {i} - {rng.choice(['WMS', 'CRM', 'Analytics', 'Support'])}",
                names[i % accounts],
                rng.choice(STAGES),
                f"${rng.randint(1_000, 900_000):,}.{rng.randint(0, 99):02d}",
                f"{month}/{day}/2027",
                rng.choice(["Camille Martin", "Alex Turner", "Nina Roux", "Hugo Blanc"]),
                f"Contact {i % (accounts * 4)}",
            ]
        )
    return rows


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def updated(rows: list[list[str]], share: float, seed: int = 11) -> list[list[str]]:
    rng = random.Random(seed)
    out = [list(r) for r in rows]
    for row in rng.sample(out, int(len(out) * share)):
        which = rng.randrange(3)
        if which == 0:
            row[3] = rng.choice(STAGES)
        elif which == 1:
            row[4] = f"${rng.randint(1_000, 900_000):,}.00"
        else:
            row[5] = f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2028"
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, rows: int, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(
        f"{label:<34} {elapsed:7.2f} s  {rows / elapsed:9,.0f} rows/s  peak RSS {peak_mb():6.0f} MB"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="10,000 rows, 1,000 accounts")
    args = parser.parse_args()
    count = 10_000 if args.quick else args.rows
    accounts = 1_000 if args.quick else args.accounts
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = make_rows(count, accounts)
        first, second = folder / "opportunities.csv", folder / "opportunities_updated.csv"
        write(first, rows)
        write(second, updated(rows, 0.10))
        print(
            f"{count:,} rows, {accounts:,} accounts; file {first.stat().st_size / 1e6:.1f} MB "
            f"(peak RSS after generating {peak_mb():.0f} MB)"
        )
        db_path = folder / "bench.db"
        db = open_db(db_path)

        plan = timed("dry-run plan (empty database)", count, lambda: plan_import(db, first))
        assert plan.summary()["bad"] == 0, plan.bad_rows[:3]

        def real() -> Any:
            p = plan_import(db, first)
            apply_plan(db, p)
            return p

        plan = timed("import (plan + one transaction)", count, real)
        summary = plan.summary()
        print(
            f"  -> {summary['new']:,} deals, {summary['new_accounts']:,} accounts, "
            f"{summary['new_contacts']:,} contacts"
        )

        conn = sqlite3.connect(db_path)
        before = conn.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0]
        changes_before = db.conn.total_changes
        plan = timed("re-import, same file", count, real)
        assert plan.writes == 0 and db.conn.total_changes == changes_before, plan.summary()
        print(f"  -> {plan.summary()['unchanged']:,} unchanged, 0 writes")

        def second_import() -> Any:
            p = plan_import(db, second)
            apply_plan(db, p)
            return p

        plan = timed("updated export (10 % changed)", count, second_import)
        summary = plan.summary()
        print(
            f"  -> {summary['updated']:,} updated, {summary['unchanged']:,} unchanged, "
            f"{summary['history']:,} history rows"
        )
        after = conn.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0]
        assert before == after == count
        conn.close()
        db.close()


if __name__ == "__main__":
    main()
