"""Accuracy of the note analyser on the labelled dev set.

Reads ``../shared/eval/dev.jsonl`` (override with ``--data``), analyses every
note with all twelve criteria and prints precision, recall and F1 of
``present`` per criterion and language, the macro F1, and how many ``gap``
labels the analyser also marks ``gap``. A criterion counts as found when its
score is >= 1 and its status is not ``gap`` (the data set's convention).

    python benchmarks/accuracy.py [--data PATH] [--errors CRITERION]

The data is read at run time and never copied into the package or tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "dev.jsonl"
CRITERIA = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "identify_pain",
    "champion",
    "paper_process",
    "competition",
    "budget",
    "authority",
    "need",
    "timeline",
)


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--errors",
        metavar="CRITERIA",
        help="print false positives/negatives with the matched cue: a criterion id, "
        "several separated by commas, or 'all'",
    )
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"no data at {args.data}", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    from kamcoach.analysis.engine import analyze_texts
    from kamcoach.playbooks.loader import load_playbooks

    wanted = set(CRITERIA) if args.errors == "all" else set((args.errors or "").split(","))
    rows = [
        json.loads(line)
        for line in args.data.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    playbooks = load_playbooks()
    started = time.perf_counter()
    results = list(
        analyze_texts(
            ((r["id"], r["text"], None) for r in rows),
            playbooks=playbooks,
            playbook="meddpicc",
            criteria=CRITERIA,
        )
    )
    elapsed = time.perf_counter() - started
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    gaps = [0, 0]
    detected_wrong = 0
    for row, result in zip(rows, results, strict=True):
        if result.lang != row["lang"]:
            detected_wrong += 1
        result_text = row["text"]
        for cid in CRITERIA:
            gold = row["labels"].get(cid, "absent")
            score = result.scores[cid]
            found = score.score >= 1 and score.status != "gap"
            for lang in (row["lang"], "all"):
                c = counts[(cid, lang)]
                if found and gold == "present":
                    c[0] += 1
                elif found:
                    c[1] += 1
                elif gold == "present":
                    c[2] += 1
            if gold == "gap":
                gaps[1] += 1
                gaps[0] += score.status == "gap"
            if cid in wanted and found != (gold == "present"):
                kind = "FP" if found else "FN"
                quote = score.evidence[0].text if score.evidence else ""
                cues = sorted(
                    {
                        result_text[s:e].lower()
                        for s, e, hcid, _neg in result.highlights
                        if hcid == cid
                    }
                )
                print(
                    f"{kind} {cid} {row['id']} [{score.status} {score.score}] "
                    f"cues={cues} {quote[:160]!r}"
                )
                if kind == "FN":
                    print("    " + row["text"][:400].replace("\n", " | "))
    langs = sorted({lang for _cid, lang in counts if lang != "all"})
    print(f"{len(rows)} notes in {elapsed:.1f}s; language detection wrong on {detected_wrong}")
    header = f"{'criterion':18} " + " ".join(f"{lang + ' P/R/F1':>20}" for lang in [*langs, "all"])
    print(header)
    macro: dict[str, list[float]] = defaultdict(list)
    for cid in CRITERIA:
        cells = []
        for lang in [*langs, "all"]:
            tp, fp, fn = counts[(cid, lang)]
            p, r, f = _f1(tp, fp, fn)
            if tp + fp + fn:
                macro[lang].append(f)
            cells.append(f"{p:5.2f}/{r:4.2f}/{f:4.2f} ({tp + fn:2d})")
        print(f"{cid:18} " + " ".join(f"{c:>20}" for c in cells))
    for lang in [*langs, "all"]:
        values = macro[lang]
        worst = min(values) if values else 0.0
        print(
            f"macro F1 [{lang}]: {sum(values) / max(1, len(values)):.3f}  (lowest criterion {worst:.2f})"
        )
    print(f"gaps caught: {gaps[0]}/{gaps[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
