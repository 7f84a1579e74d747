"""Accuracy of the note analyser on the labelled dev set, judged for generalisation.

Reads ``../shared/eval/dev.jsonl`` (override with ``--data``; measurement data
only, read at run time, never copied or trained on) and prints, for the rules
alone, the shipped analyser (rules + trained model) and the model alone:

- precision/recall/F1 of ``present`` per criterion and language and the macro F1
  (a criterion is found when its score is >= 1 and its status is not ``gap``);
- macro F1 per source, and the figures without the three sources the rules were
  tuned on (``tai``, ``hh``, ``odoo``);
- stated gaps marked ``gap`` and gaps called present; evidence fired on dev's
  definition snippets and on our own teaching-text test set
  (``training/teaching_test.jsonl``);
- ``--curve``: the learning curve, F1 on dev against the share of our training
  corpus the model is trained on (each point a fresh fit, same seed);
- ``--candidates``: feature sets compared (words and lemmas, character n-grams,
  all text features, all text features plus rule cues), each trained on the
  whole corpus.

The model is trained on our corpus only. Its decision thresholds (per criterion:
the evidence threshold, and the "nothing" level above which a rule finding is
dropped) are the only values tuned on dev, always leave-one-source-out: ``--tune``
chooses them on all sources but one and applies them to that one, for each source,
and reports those held-out figures; ``--tune --write`` stores the values chosen on
all sources in the weights' ``thresholds.json`` (what ships).

    python benchmarks/accuracy.py [--data PATH] [--curve] [--candidates] [--tune [--write]]
                                  [--errors CRIT]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from kamcoach.analysis.corpus import CRITERIA  # noqa: E402  (the 12 ids, one list)

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "dev.jsonl"
TEACHING = ROOT / "training" / "teaching_test.jsonl"
#: Written last, by someone who saw neither the corpus nor the rules: never tuned on.
TEACHING_HOLDOUT = ROOT / "training" / "teaching_holdout.jsonl"
TUNED_SOURCES = ("tai", "hh", "odoo")
Pred = dict[str, dict[str, str]]


def source_of(row: dict[str, Any]) -> str:
    return str(row["id"]).rsplit("-", 1)[0]


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def macro(rows: Sequence[dict[str, Any]], pred: Pred) -> tuple[float, dict[str, tuple]]:
    """Macro F1 of ``present`` over criteria with support, and per-criterion P/R/F1/support."""
    per: dict[str, tuple] = {}
    for cid in CRITERIA:
        tp = fp = fn = 0
        for r in rows:
            gold = r["labels"][cid] == "present"
            got = pred[r["id"]].get(cid) == "present"
            tp += gold and got
            fp += got and not gold
            fn += gold and not got
        if tp + fn:
            per[cid] = (*_f1(tp, fp, fn), tp + fn)
    value = sum(v[2] for v in per.values()) / len(per) if per else float("nan")
    return value, per


def gap_figures(rows: Sequence[dict[str, Any]], pred: Pred) -> tuple[int, int, int]:
    total = caught = present = 0
    for r in rows:
        for cid in CRITERIA:
            if r["labels"][cid] == "gap":
                total += 1
                caught += pred[r["id"]].get(cid) == "gap"
                present += pred[r["id"]].get(cid) == "present"
    return total, caught, present


def evidence_fired(rows: Sequence[dict[str, Any]], pred: Pred) -> int:
    return sum(1 for r in rows for cid in CRITERIA if pred[r["id"]].get(cid) == "present")


# ---------------------------------------------------------------- analysing


class Runner:
    """Parses each text once (pipelines without the model), then scores it under any model."""

    def __init__(self, rows: Sequence[dict[str, Any]]) -> None:
        import kamcoach.analysis.evidence.component  # noqa: F401  (the Doc extension)
        from kamcoach.analysis import engine
        from kamcoach.analysis.evidence.model import COMPONENT, doc_units
        from kamcoach.analysis.nlp import get_pipeline
        from kamcoach.playbooks.loader import load_playbooks

        self.engine = engine
        self.playbooks = load_playbooks()
        self.pb = self.playbooks.playbook("meddpicc")
        self.items: list[tuple[str, str, str, bool, Any, list[list[str]]]] = []
        for row in rows:
            text = engine._clean(row["text"])
            lang, mixed = engine._resolve_lang(text, None)
            nlp = get_pipeline(lang)
            off = [COMPONENT] if COMPONENT in nlp.pipe_names else []
            doc = nlp(text, disable=off)
            _units, feats = doc_units(nlp, doc)
            self.items.append((row["id"], text, lang, mixed, doc, feats))

    def predict(self, model: Any, combine: str) -> Pred:
        from kamcoach.analysis.evidence.model import unit_evidence
        from kamcoach.analysis.segments import segments

        engine = self.engine
        previous = engine.COMBINE
        engine.COMBINE = combine
        out: Pred = {}
        try:
            for note_id, text, lang, mixed, doc, feats in self.items:
                if model is not None and combine != "rules" and len(doc):
                    doc._.kc_evidence = unit_evidence(model, segments(doc, text), feats)
                else:
                    doc._.kc_evidence = None
                analyser = engine._analyser(lang, self.playbooks)
                collected = [analyser.collect(doc, 0, mixed, (), text)]
                analysis = engine._finish(
                    collected, text, lang, self.pb, note_id, (), list(CRITERIA)
                )
                out[note_id] = {
                    cid: "gap" if s.status == "gap" else "present" if s.score >= 1 else "absent"
                    for cid, s in analysis.scores.items()
                }
        finally:
            engine.COMBINE = previous
        return out


# ---------------------------------------------------------------- reports


def report(
    name: str, rows: Sequence[dict[str, Any]], teach: Sequence[dict[str, Any]], pred: Pred
) -> dict[str, Any]:
    print(f"\n== {name}")
    summary: dict[str, Any] = {}
    for lang in ("en", "fr"):
        sub = [r for r in rows if r["lang"] == lang]
        value, per = macro(sub, pred)
        total, caught, present = gap_figures(sub, pred)
        summary[lang] = value
        print(
            f"[{lang}] n={len(sub)} macro-F1={value:.3f} gaps caught {caught}/{total} "
            f"(called present: {present})"
        )
        for cid, (p, r, f, sup) in per.items():
            print(f"    {cid:18} P={p:.2f} R={r:.2f} F1={f:.2f} support={sup}")
    total, caught, present = gap_figures(rows, pred)
    defs = [r for r in rows if r.get("kind") == "definition"]
    tests = [r for r in teach if not str(r["id"]).startswith("th-")]
    holdout = [r for r in teach if str(r["id"]).startswith("th-")]
    teach_fired = evidence_fired(tests, pred)

    def texts_hit(group: Sequence[dict[str, Any]]) -> int:
        return sum(1 for r in group if any(pred[r["id"]].get(c) == "present" for c in CRITERIA))

    print(
        f"[all] macro-F1={macro(rows, pred)[0]:.3f} gaps caught {caught}/{total} "
        f"(called present {present}); evidence on {len(defs)} dev definitions: "
        f"{evidence_fired(defs, pred)}"
    )
    print(
        f"teaching texts: evidence {teach_fired} times in {texts_hit(tests)} of our "
        f"{len(tests)} (used while building the detector); {evidence_fired(holdout, pred)} "
        f"times in {texts_hit(holdout)} of the {len(holdout)} held-out ones"
    )
    rest = [r for r in rows if source_of(r) not in TUNED_SOURCES]
    print(
        "without tai/hh/odoo: "
        + ", ".join(
            f"{lang} {macro([r for r in rest if r['lang'] == lang], pred)[0]:.3f}"
            for lang in ("en", "fr")
        )
    )
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_source[source_of(r)].append(r)
    cells = []
    for src in sorted(by_source):
        value, _ = macro(by_source[src], pred)
        langs = "/".join(sorted({r["lang"] for r in by_source[src]}))
        cells.append(f"{src}({langs},{len(by_source[src])})={value:.2f}")
    print("per source: " + "  ".join(cells))
    summary.update(gaps=(caught, total, present), teaching=teach_fired)
    return summary


def load_rows(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def teaching_rows(path: Path = TEACHING) -> list[dict[str, Any]]:
    from kamcoach.analysis.corpus import load_file

    rows = []
    if not path.is_file():
        return rows
    for note in load_file(path):
        rows.append(
            {
                "id": note.id,
                "lang": note.lang,
                "text": note.text,
                "kind": "definition",
                "labels": dict.fromkeys(CRITERIA, "absent"),
            }
        )
    return rows


def with_threshold(model: Any, value: float, keep: float | None = None) -> Any:
    """A copy of ``model`` with one evidence threshold (and rule-keep level) for all criteria."""
    import copy

    clone = copy.copy(model)
    clone.evidence_threshold = dict.fromkeys(model.criteria, value)
    if keep is not None:
        clone.rule_keep = dict.fromkeys(model.criteria, keep)
    return clone


THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
KEEPS = (0.5, 0.8, 0.9, 0.95, 0.99, 1.0)


def criterion_f1(rows: Sequence[dict[str, Any]], pred: Pred, cid: str) -> float:
    """F1 of one criterion on ``rows``, both languages, as their mean."""
    values = []
    for lang in ("en", "fr"):
        sub = [r for r in rows if r["lang"] == lang]
        per = macro(sub, {r["id"]: {cid: pred[r["id"]].get(cid, "absent")} for r in sub})[1]
        if cid in per:
            values.append(per[cid][2])
    return sum(values) / len(values) if values else 0.0


def tune(
    runner: Runner, rows: Sequence[dict[str, Any]], teach: Sequence[dict[str, Any]], model: Any
) -> tuple[Pred, dict[str, Any]]:
    """Per-criterion evidence threshold and rule-keep level, tuned leave-one-source-out.

    For each source, the values are chosen on all the other sources and applied to
    that one; the returned predictions are those held-out ones. The values chosen on
    all sources (what ships) are returned too.
    """
    grid = [(t, k) for t in THRESHOLDS for k in KEEPS]
    preds = {g: runner.predict(with_threshold(model, g[0], g[1]), "model") for g in grid}
    sources = sorted({source_of(r) for r in rows})
    out: Pred = {r["id"]: {} for r in [*rows, *teach]}
    for src in sources:
        train = [r for r in rows if source_of(r) != src]
        for cid in CRITERIA:
            best = max(grid, key=lambda g: (criterion_f1(train, preds[g], cid), g[1], -g[0]))
            for r in rows:
                if source_of(r) == src:
                    out[r["id"]][cid] = preds[best][r["id"]].get(cid, "absent")
    chosen: dict[str, Any] = {"evidence_threshold": {}, "rule_keep": {}}
    for cid in CRITERIA:
        best = max(grid, key=lambda g: (criterion_f1(rows, preds[g], cid), g[1], -g[0]))
        chosen["evidence_threshold"][cid] = best[0]
        chosen["rule_keep"][cid] = best[1]
        for r in teach:
            out[r["id"]][cid] = preds[best][r["id"]].get(cid, "absent")
    return out, chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--curve", action="store_true", help="learning curve over corpus size")
    parser.add_argument("--candidates", action="store_true", help="compare feature sets")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="tune per-criterion thresholds leave-one-source-out and report the held-out figures",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="with --tune: write the values chosen on all sources to the weights' thresholds.json",
    )
    parser.add_argument("--errors", metavar="CRITERIA", help="list model errors (ids or 'all')")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"no data at {args.data}", file=sys.stderr)
        return 1
    from kamcoach.analysis.evidence.model import shipped_model, weights_available

    rows = load_rows(args.data)
    teach = teaching_rows() + teaching_rows(TEACHING_HOLDOUT)
    t0 = time.perf_counter()
    runner = Runner([*rows, *teach])
    print(
        f"{len(rows)} dev snippets + {len(teach)} teaching texts parsed in "
        f"{time.perf_counter() - t0:.1f}s"
    )
    report("rules alone", rows, teach, runner.predict(None, "rules"))
    model = shipped_model() if weights_available() else None
    if model is not None:
        pred = runner.predict(model, "model")
        report("shipped: rules + trained model (shipped weights and thresholds)", rows, teach, pred)
        report(
            "model alone (no rule finding kept)",
            rows,
            teach,
            runner.predict(with_threshold(model, 0.5, 0.0), "model"),
        )
        report(
            "model and every rule finding, thresholds 0.5",
            rows,
            teach,
            runner.predict(with_threshold(model, 0.5, 1.0), "model"),
        )
        if args.tune:
            held_out, chosen = tune(runner, rows, teach, model)
            report(
                "thresholds tuned per criterion, leave-one-source-out (held-out figures)",
                rows,
                teach,
                held_out,
            )
            print("chosen on all sources:", json.dumps(chosen))
            if args.write:
                from kamcoach.analysis.evidence.model import THRESHOLDS as NAME
                from kamcoach.analysis.evidence.model import WEIGHTS_DIR

                (WEIGHTS_DIR / NAME).write_text(json.dumps(chosen, indent=2, sort_keys=True) + "\n")
                print(f"wrote {WEIGHTS_DIR / NAME}")
        if args.errors:
            wanted = CRITERIA if args.errors == "all" else tuple(args.errors.split(","))
            for r in rows:
                for cid in wanted:
                    gold, got = r["labels"][cid], pred[r["id"]].get(cid)
                    if (gold == "present") != (got == "present"):
                        print(f"  {r['id']} {cid}: gold {gold}, got {got}: {r['text'][:160]!r}")
    if args.curve or args.candidates:
        from kamcoach.analysis.corpus import load_corpus
        from kamcoach.analysis.train import featurize, fit

        notes = load_corpus()
        t1 = time.perf_counter()
        data = featurize(notes)
        print(
            f"\ncorpus featurized: {len(notes)} notes, {len(data.feats)} sentences "
            f"({time.perf_counter() - t1:.0f}s)"
        )

        def trained(keep: Callable[[str], bool] | None, fraction: float) -> Any:
            rng = random.Random(7)
            chosen_notes = set(range(len(notes)))
            if fraction < 1:
                order = sorted(chosen_notes)
                rng.shuffle(order)
                chosen_notes = set(order[: int(len(order) * fraction)])
            idx = [i for i, n in enumerate(data.note_index) if n in chosen_notes]
            feats = [[f for f in data.feats[i] if keep is None or keep(f)] for i in idx]
            model = fit(
                feats,
                data.labels[idx],
                note_index=[data.note_index[i] for i in idx],
                not_deal=data.not_deal,
                teaching=[data.teaching[i] for i in idx],
            )
            return model, len(idx)

        def line(label: str, m: Any) -> None:
            pred = runner.predict(with_threshold(m, 0.5, 1.0), "model")
            en = macro([r for r in rows if r["lang"] == "en"], pred)[0]
            fr = macro([r for r in rows if r["lang"] == "fr"], pred)[0]
            caught, total, present = (
                gap_figures(rows, pred)[1],
                gap_figures(rows, pred)[0],
                gap_figures(rows, pred)[2],
            )
            print(
                f"  {label:44} en {en:.3f}  fr {fr:.3f}  gaps {caught}/{total} "
                f"(present {present})  teaching {evidence_fired(teach, pred)}"
            )

        if args.curve:
            print("\nlearning curve (share of our corpus -> dev macro-F1)")
            for fraction in (0.125, 0.25, 0.5, 0.75, 1.0):
                m, n = trained(None, fraction)
                line(f"{fraction:>5.0%} of notes ({n} sentences)", m)
        if args.candidates:
            print("\nrepresentations (trained on the whole corpus, no threshold tuning)")
            sets: dict[str, Callable[[str], bool]] = {
                "words + lemmas + bigrams": lambda f: f[:2] in ("w:", "l:", "b:"),
                "character n-grams": lambda f: f.startswith("c:"),
                "all text features (no rule cues)": lambda f: (
                    not f.startswith("h:") and f != "TEACH"
                ),
                "all text features + rule cues (shipped)": lambda f: True,
            }
            for label, keep in sets.items():
                line(label, trained(keep, 1.0)[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
