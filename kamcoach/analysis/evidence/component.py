"""The evidence model as a spaCy pipeline component (``kamcoach_evidence``).

Imported only when a pipeline is built (it imports spaCy). The component
cuts the Doc into units (:func:`kamcoach.analysis.segments.segments`), scores
each with the trained model and leaves a :class:`UnitEvidence` on
``doc._.kc_evidence`` for the engine's rules (level, quotes, people) to read.
"""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from kamcoach.analysis.evidence.model import (
    COMPONENT,
    doc_units,
    read_model,
    shipped_model,
    unit_evidence,
)

if not Doc.has_extension("kc_evidence"):
    Doc.set_extension("kc_evidence", default=None)


class EvidenceTagger:
    """Per unit of the note: evidence / gap / nothing for each criterion."""

    def __init__(self, nlp: Language, name: str, weights: str) -> None:
        self.nlp = nlp
        self.name = name
        self.model = read_model(Path(weights)) if weights else shipped_model()

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            doc._.kc_evidence = None
            return doc
        units, feats = doc_units(self.nlp, doc)
        doc._.kc_evidence = unit_evidence(self.model, units, feats)
        return doc


@Language.factory(COMPONENT, default_config={"weights": ""})
def make_evidence_tagger(nlp: Language, name: str, weights: str) -> EvidenceTagger:
    """``weights``: a folder of trained weights; empty = the weights shipped in the package."""
    return EvidenceTagger(nlp, name, weights)
