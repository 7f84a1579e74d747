"""The trained evidence model: weights on disk, per-unit probabilities, a spaCy component.

One multinomial logistic regression per criterion decides, for each unit of a
note, between *nothing*, *evidence* and a stated *gap*. Inference is a sum of
weight rows per feature (numpy only), a few milliseconds for a typical note.
The weights ship inside the package (``weights/``) and are made by
``python -m kamcoach.analysis.train`` from ``training/corpus``; ``meta.json``
records the digest of what made them, which a test checks.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kamcoach.analysis.evidence.features import heading_words, unit_features
from kamcoach.analysis.segments import segments

if TYPE_CHECKING:
    import numpy as np
    from spacy.language import Language
    from spacy.tokens import Doc

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
CLASSES = ("none", "evidence", "gap")
#: Decision thresholds per criterion, tuned leave-one-source-out on the dev set by
#: ``benchmarks/accuracy.py --tune --write`` (never part of training).
THRESHOLDS = "thresholds.json"
COMPONENT = "kamcoach_evidence"


class WeightsError(RuntimeError):
    """The shipped weights are missing or do not fit this code."""


@dataclass(slots=True)
class EvidenceModel:
    """Weights of the per-criterion classifiers over one shared feature vocabulary."""

    criteria: tuple[str, ...]
    vocab: dict[str, int]
    weights: np.ndarray
    """(features, criteria * 3 + 2) float32: then the teaching head (per unit) and the
    note head (is the note about a deal at all)"""
    bias: np.ndarray
    """(criteria * 3 + 2,) float32"""
    evidence_threshold: dict[str, float]
    gap_threshold: dict[str, float]
    meta: dict[str, Any]
    rule_keep: dict[str, float] = field(default_factory=dict)
    """Per criterion: a rule finding is dropped when the model's "nothing" is above this."""

    def scores(self, feature_lists: list[list[str]]) -> np.ndarray:
        """Class probabilities, shape (units, criteria, 3), classes as :data:`CLASSES`."""
        import numpy as np

        k = len(self.criteria)
        width = k * 3
        out = np.empty((len(feature_lists), width), dtype=np.float32)
        vocab = self.vocab
        for i, feats in enumerate(feature_lists):
            idx = [j for j in (vocab.get(f) for f in set(feats)) if j is not None]
            row = self.weights[idx, :width].sum(axis=0) if idx else np.zeros(width, np.float32)
            out[i] = row + self.bias[:width]
        logits = out.reshape(len(feature_lists), k, 3)
        logits -= logits.max(axis=2, keepdims=True)
        expo = np.exp(logits)
        return expo / expo.sum(axis=2, keepdims=True)

    def teaching(self, feature_lists: list[list[str]]) -> np.ndarray:
        """Per unit, the probability that it teaches the method rather than reports a deal.

        "A good champion sells for you when you are not in the room" is full of
        criterion words and says nothing about any customer.
        """
        import numpy as np

        col = len(self.criteria) * 3
        out = np.empty(len(feature_lists), dtype=np.float64)
        for i, feats in enumerate(feature_lists):
            idx = [j for j in (self.vocab.get(f) for f in set(feats)) if j is not None]
            out[i] = float(self.weights[idx, col].sum()) + float(self.bias[col])
        return 1.0 / (1.0 + np.exp(-np.clip(out, -50.0, 50.0)))

    def not_a_deal(self, feature_lists: list[list[str]]) -> float:
        """Probability that the whole note is no deal at all (teaching text, marketing, news).

        A note explaining the method is full of criterion words; deciding on the
        note as a whole, as a reader would, keeps its sentences from counting.
        """
        import math

        feats = {f for fl in feature_lists for f in fl}
        idx = [j for j in (self.vocab.get(f) for f in feats) if j is not None]
        logit = (
            float(self.weights[idx, -1].sum()) + float(self.bias[-1])
            if idx
            else float(self.bias[-1])
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def decide(self, probs: np.ndarray) -> list[dict[str, str]]:
        """'evidence' / 'gap' per criterion and unit (criteria left out are nothing)."""
        out: list[dict[str, str]] = []
        for row in probs:
            found: dict[str, str] = {}
            for c, cid in enumerate(self.criteria):
                _p_none, p_ev, p_gap = (float(x) for x in row[c])
                if p_ev >= self.evidence_threshold.get(cid, 0.5) and p_ev >= p_gap:
                    found[cid] = "evidence"
                elif p_gap >= self.gap_threshold.get(cid, 0.5):
                    found[cid] = "gap"
            out.append(found)
        return out


def save_model(model: EvidenceModel, folder: Path) -> None:
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    vocab = sorted(model.vocab, key=model.vocab.__getitem__)
    np.savez_compressed(
        folder / "evidence.npz",
        weights=model.weights.astype(np.float16),
        bias=model.bias.astype(np.float32),
    )
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    meta = dict(model.meta)
    meta.update(criteria=list(model.criteria), classes=list(CLASSES), features=len(vocab))
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def read_model(folder: Path) -> EvidenceModel:
    import numpy as np

    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        arrays = np.load(folder / "evidence.npz")
        vocab_lines = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
    except (OSError, ValueError) as exc:
        raise WeightsError(f"evidence model weights unreadable in {folder}: {exc}") from None
    vocab = {f: i for i, f in enumerate(v for v in vocab_lines if v)}
    tuned: dict[str, Any] = {}
    if (folder / THRESHOLDS).is_file():
        try:
            tuned = json.loads((folder / THRESHOLDS).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise WeightsError(f"{folder / THRESHOLDS}: not JSON ({exc})") from None
    weights = arrays["weights"].astype(np.float32)
    if weights.shape[0] != len(vocab):
        raise WeightsError(f"{folder}: {weights.shape[0]} weight rows for {len(vocab)} features")
    return EvidenceModel(
        criteria=tuple(meta["criteria"]),
        vocab=vocab,
        weights=weights,
        bias=arrays["bias"].astype(np.float32),
        evidence_threshold={k: float(v) for k, v in tuned.get("evidence_threshold", {}).items()},
        gap_threshold={k: float(v) for k, v in tuned.get("gap_threshold", {}).items()},
        meta=meta,
        rule_keep={k: float(v) for k, v in tuned.get("rule_keep", {}).items()},
    )


@dataclass(slots=True)
class UnitEvidence:
    """What the component leaves on a Doc: units and their class probabilities."""

    units: list[tuple[int, int]]
    probs: Any
    decisions: list[dict[str, str]]
    criteria: tuple[str, ...]
    not_a_deal: float = 0.0
    teaching: list[bool] = field(default_factory=list)
    """Per unit: read as teaching (no evidence from it, rules included)."""
    rule_keep: dict[str, float] = field(default_factory=dict)


#: Above this probability the note is read as no deal at all: no evidence, no gap.
NOT_A_DEAL = 0.5
#: A unit above this probability of teaching the method gives no evidence.
TEACHING_UNIT = 0.7
#: A note with at least this many teaching units, making up this share of its units, is a
#: method text as a whole (one generic line is not: "Today the team tracks orders in Excel").
TEACHING_MIN = 2
TEACHING_SHARE = 0.5


def unit_evidence(
    model: EvidenceModel, units: list[tuple[int, int]], feats: list[list[str]]
) -> UnitEvidence:
    """Score a note's units; teaching units, and a note that is no deal, get no decisions."""
    probs = model.scores(feats)
    teaching = [bool(p >= TEACHING_UNIT) for p in model.teaching(feats)]
    p_other = model.not_a_deal(feats)
    if sum(teaching) >= TEACHING_MIN and sum(teaching) / len(teaching) >= TEACHING_SHARE:
        p_other = 1.0  # a method text as a whole
    decisions = model.decide(probs) if p_other < NOT_A_DEAL else [{} for _ in units]
    decisions = [{} if t else d for d, t in zip(decisions, teaching, strict=True)]
    return UnitEvidence(units, probs, decisions, model.criteria, p_other, teaching, model.rule_keep)


def describe_weights(folder: Path = WEIGHTS_DIR) -> str:
    """One line for ``kamcoach doctor``: size, features, what trained them (no numpy load)."""
    if not weights_available(folder):
        return f"NO WEIGHTS in {folder}: rules only (run `make train`)"
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"unreadable weights in {folder}: {exc}"
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    return (
        f"{size:.1f} MB, {meta.get('features', '?')} features, trained on "
        f"{meta.get('sentences', '?')} sentences of {meta.get('notes', '?')} notes "
        f"(seed {meta.get('seed', '?')}, digest {str(meta.get('inputs_digest', '?'))[:12]})"
    )


def weights_available(folder: Path = WEIGHTS_DIR) -> bool:
    return (folder / "evidence.npz").is_file() and (folder / "meta.json").is_file()


_lock = threading.Lock()


@cache
def shipped_model() -> EvidenceModel:
    with _lock:
        return read_model(WEIGHTS_DIR)


# ---------------------------------------------------------------- rule hits


@cache
def _bundled_playbooks() -> Any:
    """The bundled criteria only: the model was trained on their cues, not a team's."""
    from kamcoach.paths import playbooks_dir
    from kamcoach.playbooks.loader import load_playbooks

    return load_playbooks([playbooks_dir()])


def rule_hits(nlp: Language, doc: Doc) -> tuple[list[tuple[str, str | None, int, int]], list[Any]]:
    """The rule hits of the pipeline's own language, and its teaching regexes."""
    from kamcoach.analysis.patterns import compiled_for

    comp = compiled_for(nlp, str(nlp.lang), _bundled_playbooks())
    return comp(doc), [comp.teaching] if comp.teaching is not None else []


def doc_units(
    nlp: Language, doc: Doc, spans: list[tuple[int, int]] | None = None
) -> tuple[list[tuple[int, int]], list[list[str]]]:
    """The units of ``doc`` (``spans``, else its segments) and their features."""
    import bisect

    units = spans if spans is not None else segments(doc)
    hits, teaching = rule_hits(nlp, doc)
    hits.sort(key=lambda h: h[2])
    starts = [h[2] for h in hits]
    ents = list(doc.ents)
    ent_starts = [e.start for e in ents]
    feats = []
    heading: list[str] = []
    for a, b in units:
        lo, hi = bisect.bisect_left(starts, a), bisect.bisect_left(starts, b)
        e_lo, e_hi = bisect.bisect_left(ent_starts, a), bisect.bisect_left(ent_starts, b)
        feats.append(unit_features(doc, a, b, hits[lo:hi], teaching, heading, ents[e_lo:e_hi]))
        own = heading_words(doc, a, b)
        if own:
            heading = own
        elif doc[a:b].text.strip() == "" or "\n\n" in doc[a:b].text:
            heading = []
    return units, feats
