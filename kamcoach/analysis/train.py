"""Train the evidence model from ``training/corpus`` (``make train``).

``python -m kamcoach.analysis.train`` parses every training note with the
language pipelines, turns each labelled sentence into features
(:mod:`kamcoach.analysis.evidence.features`), fits one multinomial logistic
regression per criterion (scikit-learn, lbfgs, fixed seed: the same inputs give
the same weights) and writes ``kamcoach/analysis/evidence/weights/``.
``meta.json`` records the digest of the corpus, the training and feature code
and the rule files the features read: ``tests/test_evidence_weights.py``
fails when the shipped weights were not trained from what is in the repo.

Needs the ``train`` extra (scikit-learn); the shipped package only needs numpy.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kamcoach.analysis.corpus import CRITERIA, Note, load_corpus
from kamcoach.analysis.evidence.model import CLASSES, WEIGHTS_DIR, EvidenceModel, save_model

if TYPE_CHECKING:
    import numpy as np

SEED = 13
C = 0.5
MIN_COUNT = 2
#: Class weight of the rare classes against "none" (evidence, gap).
RARE_WEIGHT = 2.0
#: Value of a feature by its prefix (default 1): character n-grams are many and
#: correlated; a lower value keeps them from drowning the rarer features.
PREFIX_VALUES: dict[str, float] = {}
ROOT = Path(__file__).resolve().parents[2]
PKG = Path(__file__).resolve().parent
#: What the weights depend on, besides the corpus: a change here means retraining.
CODE_FILES = (
    PKG / "train.py",
    PKG / "segments.py",
    PKG / "entities.py",
    PKG / "patterns.py",
    PKG / "evidence" / "features.py",
)


def rule_files() -> list[Path]:
    from kamcoach.paths import playbooks_dir

    base = playbooks_dir()
    return sorted((base / "criteria").glob("*.toml")) + sorted((base / "language").glob("*.toml"))


def inputs_digest(corpus: Sequence[Path] | None = None) -> str:
    """sha256 over the corpus files, the code and the rule files the weights depend on."""
    from kamcoach.analysis.corpus import corpus_files

    digest = hashlib.sha256()
    digest.update(
        f"C={C} min_count={MIN_COUNT} seed={SEED} rare={RARE_WEIGHT} {PREFIX_VALUES}".encode()
    )
    for path in [*(corpus if corpus is not None else corpus_files()), *CODE_FILES, *rule_files()]:
        digest.update(path.name.encode())
        if path.suffix == ".py":
            # The code's syntax tree: reformatting or comments do not change the weights.
            digest.update(ast.dump(ast.parse(path.read_text(encoding="utf-8"))).encode())
        else:
            digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()


@dataclass(slots=True)
class Featurized:
    """One row per labelled training sentence."""

    feats: list[list[str]]
    labels: Any
    """(rows, criteria) int8: 0 none, 1 evidence, 2 gap"""
    note_index: list[int]
    langs: list[str]
    not_deal: list[bool]
    """per note (by index): kind is not 'deal'"""
    teaching: list[bool]
    """per sentence: teaches the method (tagged teaching/hypothetical, or a teaching note)"""


def featurize(notes: Sequence[Note], progress: Callable[[int], None] | None = None) -> Featurized:
    """Parse each note once with its language pipeline; features for each of its sentences."""
    import numpy as np

    from kamcoach.analysis.evidence.model import doc_units
    from kamcoach.analysis.nlp import base_pipeline

    feats: list[list[str]] = []
    teaching: list[bool] = []
    rows: list[list[int]] = []
    note_index: list[int] = []
    langs: list[str] = []
    for lang in ("en", "fr"):
        nlp = base_pipeline(lang)
        idx = [i for i, n in enumerate(notes) if n.lang == lang]
        for i, doc in zip(idx, nlp.pipe(notes[i].text for i in idx), strict=True):
            note = notes[i]
            spans = []
            for s in note.sentences:
                span = doc.char_span(s.start, s.end, alignment_mode="expand")
                spans.append((span.start, span.end) if span is not None else (0, 0))
            _units, unit_feats = doc_units(nlp, doc, spans)
            for s, f in zip(note.sentences, unit_feats, strict=True):
                feats.append(f)
                teaching.append(note.kind == "teaching" or s.neg in ("teaching", "hypothetical"))
                rows.append([CLASSES.index(s.labels.get(cid, "none")) for cid in CRITERIA])
                note_index.append(i)
                langs.append(lang)
            if progress:
                progress(1)
    not_deal = [n.kind != "deal" for n in notes]
    return Featurized(feats, np.asarray(rows, dtype=np.int8), note_index, langs, not_deal, teaching)


def build_vocab(feats: Sequence[Sequence[str]], min_count: int = MIN_COUNT) -> dict[str, int]:
    from collections import Counter

    counts: Counter[str] = Counter()
    for f in feats:
        counts.update(set(f))
    kept = sorted(f for f, c in counts.items() if c >= min_count)
    return {f: i for i, f in enumerate(kept)}


def feature_value(feature: str) -> float:
    return PREFIX_VALUES.get(feature[:2], 1.0)


def matrix(feats: Sequence[Sequence[str]], vocab: dict[str, int]) -> Any:
    import numpy as np
    from scipy.sparse import csr_matrix

    values = np.asarray([feature_value(f) for f in sorted(vocab, key=vocab.__getitem__)])
    indptr = [0]
    indices: list[int] = []
    for f in feats:
        cols = sorted({vocab[x] for x in f if x in vocab})
        indices.extend(cols)
        indptr.append(len(indices))
    data = values[np.asarray(indices, dtype=np.int64)].astype(np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(feats), len(vocab)))


def note_rows(
    feats: Sequence[Sequence[str]], note_index: Sequence[int]
) -> tuple[list[list[str]], list[int]]:
    """The union of each note's unit features, and the note indexes in order."""
    by_note: dict[int, set[str]] = {}
    for f, n in zip(feats, note_index, strict=True):
        by_note.setdefault(n, set()).update(f)
    order = sorted(by_note)
    return [sorted(by_note[n]) for n in order], order


def fit(
    feats: Sequence[Sequence[str]],
    labels: np.ndarray,
    *,
    note_index: Sequence[int] | None = None,
    not_deal: Sequence[bool] | None = None,
    teaching: Sequence[bool] | None = None,
    c: float = C,
    min_count: int = MIN_COUNT,
    seed: int = SEED,
    meta: dict[str, Any] | None = None,
) -> EvidenceModel:
    """One logistic regression per criterion over a shared vocabulary."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    vocab = build_vocab(feats, min_count)
    x = matrix(feats, vocab)
    k = len(CRITERIA)
    weights = np.zeros((len(vocab), k * 3 + 2), dtype=np.float32)
    bias = np.zeros(k * 3 + 2, dtype=np.float32)
    bias[-2:] = -30.0  # no teaching or note head: every unit and note is about a deal
    if teaching is not None and 0 < sum(teaching) < len(teaching):
        head = LogisticRegression(C=c, max_iter=400, random_state=seed)
        head.fit(x, np.asarray(teaching, dtype=np.int8))
        weights[:, -2] = head.coef_[0]
        bias[-2] = head.intercept_[0]
    if note_index is not None and not_deal is not None:
        note_feats, order = note_rows(feats, note_index)
        y_note = np.asarray([int(not_deal[n]) for n in order])
        if 0 < y_note.sum() < len(y_note):
            head = LogisticRegression(C=c, max_iter=400, random_state=seed)
            head.fit(matrix(note_feats, vocab), y_note)
            weights[:, -1] = head.coef_[0]
            bias[-1] = head.intercept_[0]
    for c_i, _cid in enumerate(CRITERIA):
        y = labels[:, c_i]
        present = sorted(set(int(v) for v in y))
        cw = {cls: (1.0 if cls == 0 else RARE_WEIGHT) for cls in present}
        clf = LogisticRegression(C=c, max_iter=400, class_weight=cw, random_state=seed)
        clf.fit(x, y)
        coef = clf.coef_
        intercept = clf.intercept_
        if len(present) == 2:  # binary: sklearn keeps one row for the second class
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        for row, cls in enumerate(present):
            weights[:, c_i * 3 + cls] = coef[row]
            bias[c_i * 3 + cls] = intercept[row]
        for cls in range(3):
            if cls not in present:
                bias[c_i * 3 + cls] = -30.0
    # Inference sums weight rows of the features present: fold each feature's value in.
    values = np.asarray([feature_value(f) for f in sorted(vocab, key=vocab.__getitem__)])
    weights *= values[:, None].astype(np.float32)
    return EvidenceModel(
        criteria=CRITERIA,
        vocab=vocab,
        weights=weights,
        bias=bias,
        evidence_threshold={},
        gap_threshold={},
        meta=dict(meta or {}),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kamcoach.analysis.train",
        description="Train the evidence model from training/corpus and write its weights.",
    )
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="weights folder")
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("error: training needs scikit-learn: pip install -e '.[train]'", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    notes = load_corpus()
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        if done[0] % 200 == 0:
            print(f"  parsed {done[0]}/{len(notes)} notes", file=sys.stderr)

    data = featurize(notes, tick)
    print(
        f"{len(notes)} notes, {len(data.feats)} sentences featurized in {time.perf_counter() - t0:.1f}s"
    )
    meta = {
        "inputs_digest": inputs_digest(),
        "seed": SEED,
        "C": C,
        "min_count": MIN_COUNT,
        "notes": len(notes),
        "sentences": len(data.feats),
    }
    model = fit(
        data.feats,
        data.labels,
        note_index=data.note_index,
        not_deal=data.not_deal,
        teaching=data.teaching,
        meta=meta,
    )
    save_model(model, args.out)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(
        f"wrote {args.out} ({len(model.vocab)} features, {size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - t0:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
