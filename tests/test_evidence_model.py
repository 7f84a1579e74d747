"""The trained evidence model: shipped weights tied to the corpus and code, the component.

The fast test recomputes the digest of everything the weights depend on
(corpus, training and feature code, rule files) and compares it with the one
recorded when they were trained; a full retrain (slow) must give the same weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kamcoach.analysis.evidence.model import WEIGHTS_DIR, read_model, weights_available
from kamcoach.analysis.train import inputs_digest


def test_shipped_weights_come_from_the_corpus_and_code_in_the_repo() -> None:
    assert weights_available(), "no trained weights: run `make train`"
    model = read_model(WEIGHTS_DIR)
    assert model.meta["inputs_digest"] == inputs_digest(), (
        "the corpus, the training/feature code or the rule files changed since the weights "
        "were trained: run `make train` and commit the new weights"
    )
    assert model.weights.shape == (len(model.vocab), len(model.criteria) * 3 + 2)
    size = sum(p.stat().st_size for p in WEIGHTS_DIR.iterdir())
    assert size < 15_000_000


@pytest.mark.model
def test_the_pipeline_carries_the_component() -> None:
    from kamcoach.analysis.evidence.model import COMPONENT
    from kamcoach.analysis.nlp import get_pipeline

    for lang in ("en", "fr"):
        nlp = get_pipeline(lang)
        assert nlp.pipe_names[-1] == COMPONENT
        doc = nlp("Budget 80k approved by the CFO.\nNo idea who else they look at.")
        units = doc._.kc_evidence
        assert units is not None and len(units.units) >= 2
        assert units.units[0][0] == 0 and units.units[-1][1] == len(doc)
        assert units.probs.shape == (len(units.units), 12, 3)
        assert np.allclose(units.probs.sum(axis=2), 1.0, atol=1e-4)


@pytest.mark.slow
def test_retraining_gives_the_shipped_weights(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from kamcoach.analysis.train import main

    assert main(["--out", str(tmp_path)]) == 0
    shipped, fresh = read_model(WEIGHTS_DIR), read_model(tmp_path)
    assert fresh.vocab == shipped.vocab
    assert np.array_equal(fresh.weights, shipped.weights)
    assert np.array_equal(fresh.bias, shipped.bias)
