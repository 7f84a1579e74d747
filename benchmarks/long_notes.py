"""Long notes against spaCy's own time: a long note, one long single line, a big JSONL batch.

Each case is measured at two sizes (so growth shows: 2.0 per 2x is linear)
in fresh processes, after the pipelines are loaded and warm:

- kamcoach: ``analyze_text`` on the note / the line, ``analyze_texts`` on the
  batch (what ``kamcoach analyze`` runs);
- spaCy: ``nlp.pipe`` of the same chunks (``engine._chunks``) or of the same
  batch texts through the bare language pipeline (no evidence component, no
  rules) of the same language;

and prints both times, their ratio (kamcoach / spaCy: the cost of our own
work on top of spaCy's), the peak RSS of each process and the growth per
doubling. Notes are built from the call-note templates of
``benchmarks/throughput.py`` (English; the batch mixes both languages).

    python benchmarks/long_notes.py            # 200k/400k chars, 100k/200k line, 2k/4k notes
    python benchmarks/long_notes.py --full     # the issue's sizes: 5/10 MB, 2.5/5 MB, 50k/100k
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SIZES = {
    "note": (200_000, 400_000),
    "line": (100_000, 200_000),
    "batch": (2_000, 4_000),
}
FULL = {
    "note": (5_000_000, 10_000_000),
    "line": (2_500_000, 5_000_000),
    "batch": (50_000, 100_000),
}


def make_text(case: str, size: int) -> str | list[str]:
    """The input of a case: a multi-line note, one line without newline, or a batch."""
    from throughput import make_notes

    if case == "batch":
        half = size // 2
        return make_notes(half, "en", seed=3) + make_notes(size - half, "fr", seed=4)
    pieces = make_notes(max(1, size // 400), "en", seed=5)
    sep = "\n" if case == "note" else " "
    text = sep.join(pieces)
    while len(text) < size:
        text = text + sep + text
    return text[:size]


def child(case: str, size: int, who: str) -> dict[str, float]:
    """One measurement in this (fresh) process: seconds and peak RSS."""
    from kamcoach.analysis.detect import detect_language
    from kamcoach.analysis.engine import _chunks, analyze_text, analyze_texts
    from kamcoach.analysis.nlp import base_pipeline, get_pipeline
    from kamcoach.playbooks.loader import load_playbooks

    playbooks = load_playbooks()
    data = make_text(case, size)
    warm = "Call with Marie, the CFO. Budget is approved; decision by Q3."
    if who == "spacy":
        pipes = {lang: base_pipeline(lang) for lang in ("en", "fr")}
        for nlp in pipes.values():
            list(nlp.pipe([warm]))
        start = time.perf_counter()
        if isinstance(data, list):
            by_lang: dict[str, list[str]] = {"en": [], "fr": []}
            for text in data:
                by_lang[detect_language(text).lang].append(text)
            for lang, texts in by_lang.items():
                for _doc in pipes[lang].pipe(texts):
                    pass
        else:
            for _doc in pipes["en"].pipe(chunk for _b, chunk in _chunks(data)):
                pass
    else:
        for lang in ("en", "fr"):
            get_pipeline(lang)
        analyze_text(warm, playbooks=playbooks)
        start = time.perf_counter()
        if isinstance(data, list):
            for _res in analyze_texts(
                ((i, t, None) for i, t in enumerate(data)), playbooks=playbooks
            ):
                pass
        else:
            analyze_text(data, playbooks=playbooks)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_mb": rss}


def measure(case: str, size: int, who: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, str(size), who],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issue's sizes (slow)")
    parser.add_argument("--cases", default="note,line,batch", help="comma-separated cases")
    parser.add_argument("--child", nargs=3, metavar=("CASE", "SIZE", "WHO"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        case, size, who = args.child
        print(json.dumps(child(case, int(size), who)))
        return 0
    sizes = FULL if args.full else SIZES
    unit = {"note": "chars", "line": "chars", "batch": "notes"}
    print(
        f"{'case':<6} {'size':>16} {'spaCy s':>8} {'ours s':>8} {'ratio':>6}"
        f" {'spaCy MB':>9} {'ours MB':>8}"
    )
    for case in args.cases.split(","):
        rows = []
        for size in sizes[case]:
            spacy_m = measure(case, size, "spacy")
            ours = measure(case, size, "ours")
            rows.append((size, spacy_m, ours))
            print(
                f"{case:<6} {size:>10,} {unit[case]:<5} {spacy_m['seconds']:>8.2f}"
                f" {ours['seconds']:>8.2f} {ours['seconds'] / spacy_m['seconds']:>5.2f}x"
                f" {spacy_m['rss_mb']:>9.0f} {ours['rss_mb']:>8.0f}",
                flush=True,
            )
        (s0, a0, b0), (s1, a1, b1) = rows
        print(
            f"{'':<6} growth for x{s1 / s0:.0f} size: spaCy x{a1['seconds'] / a0['seconds']:.2f},"
            f" ours x{b1['seconds'] / b0['seconds']:.2f}; peak RSS ours"
            f" {b0['rss_mb']:.0f} -> {b1['rss_mb']:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
