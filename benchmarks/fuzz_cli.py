"""Long fuzz run of the CLI entry points (issue 11, "Bad input").

Generates thousands of invocations of ``kamcoach`` (random deal ids, option
values, note and JSONL files, CSV imports, team TOML files, ``KAMCOACH_TODAY``
values, and in the other areas hostile stored names, ``-o`` paths and ``--db``
values), runs each in-process through click's ``CliRunner`` on a fresh copy
of a seeded database, and prints:

    inputs tried, calls, non-zero exits (expected: bad input must fail),
    tracebacks, unclear errors, database changes on failure,
    read-only commands that changed a database

The last four must be 0; each failing input is printed with its files and
calls so it can be replayed. The rules are those of ``tests/cli_fuzz.py``;
the suite runs the same generators with a few hundred examples
(``tests/test_cli_fuzz.py``). Exit status 1 when anything was found.

Run from a clean checkout::

    python benchmarks/fuzz_cli.py                      # 2000 inputs, every area
    python benchmarks/fuzz_cli.py --examples 300 --areas core --seed 7
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.cli_fuzz import AREAS, KINDS, PINNED_TODAY, Case, Tally, Workspace, cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="inputs to generate")
    parser.add_argument(
        "--seed", type=int, default=11, help="hypothesis seed (same seed, same inputs)"
    )
    parser.add_argument(
        "--areas",
        default=",".join(AREAS),
        help=f"comma-separated areas among {', '.join(AREAS)} (default: all)",
    )
    parser.add_argument(
        "--show", type=int, default=10, help="failing inputs printed per kind and area"
    )
    args = parser.parse_args()
    areas = frozenset(a.strip() for a in args.areas.split(",") if a.strip()) | {"core"}
    unknown = areas - set(AREAS)
    if unknown:
        parser.error(f"unknown area(s): {', '.join(sorted(unknown))}")

    import os

    os.environ["KAMCOACH_TODAY"] = PINNED_TODAY
    warnings.simplefilter("ignore")
    workspace = Workspace()
    tally = Tally()
    started = time.perf_counter()

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(cases(areas))
    def explore(case: Case) -> None:
        workspace.run(case, tally)

    try:
        explore()
    finally:
        workspace.close()
    elapsed = time.perf_counter() - started

    def row(label: str, value: object) -> None:
        print(f"{label + ':':<38}{value}")

    print(f"areas: {', '.join(sorted(areas))}; seed {args.seed}")
    row("inputs tried", tally.cases)
    row("calls", f"{tally.calls} ({tally.calls / elapsed:.1f}/s, {elapsed:.0f} s)")
    row("non-zero exits (expected)", tally.failures)
    for kind in KINDS:
        row(kind, tally.count(kind))
    slowest = sorted(tally.seconds.items(), key=lambda kv: -kv[1])[:6]
    row("time by command", ", ".join(f"{c} {t:.0f} s" for c, t in slowest))
    by_signature = Counter(f.signature for f in tally.findings)
    if by_signature:
        print("\nfindings (area | command | kind | message: count):")
        for signature, n in sorted(by_signature.items()):
            print(f"  {signature}: {n}")
        print("\nfailing inputs (the first of each finding above, up to --show per area):")
        shown: Counter[str] = Counter()
        seen: set[str] = set()
        for finding in tally.findings:
            if finding.signature in seen or shown[finding.area] >= args.show:
                continue
            seen.add(finding.signature)
            shown[finding.area] += 1
            print(f"\n[{finding.area}] {finding.describe()}")
    return 1 if tally.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
