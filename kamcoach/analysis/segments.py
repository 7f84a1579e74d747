"""Where a note is cut into the units that carry evidence.

Notes are bullet lists as often as prose, so a unit is a sentence of the
pipeline's parse, also cut at every line break. The evidence model and the
rules read the same units: one function, used by both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc


#: "parser": the pipeline's sentences; "punct": a unit ends at ., !, ? or … (and at
#: every line break either way). Terse notes without verbs fool the parser.
SPLIT = "punct"
_ENDS = frozenset({".", "!", "?", "…", "!?", "?!", "...", "..", "??", "!!"})


def segment_starts(doc: Doc, text: str | None = None) -> list[int]:
    """Token indexes where a unit starts (always 0 for a non-empty doc), sorted."""
    n = len(doc)
    if n == 0:
        return []
    starts = {0}
    if SPLIT == "punct":
        for tok in doc[:-1]:
            if tok.text in _ENDS and not doc[tok.i + 1].is_punct:
                starts.add(tok.i + 1)
    elif doc.has_annotation("SENT_START"):
        starts.update(sent.start for sent in doc.sents)
    if text is None:
        text = doc.text
    newline = text.find("\n")
    while newline != -1:
        span = doc.char_span(newline, newline + 1, alignment_mode="expand")
        if span is not None and span.end < n:
            starts.add(span.end)
        newline = text.find("\n", newline + 1)
    return sorted(starts)


def segments(doc: Doc, text: str | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` token spans of the note's units, in order, covering the doc."""
    starts = segment_starts(doc, text)
    return list(zip(starts, [*starts[1:], len(doc)], strict=True))
