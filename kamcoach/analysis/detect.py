"""Per-note language detection by stopword ratio.

How it works: the first few thousand characters are split into lowercase
words; each language's stopword list (``[detect] stopwords`` in
``playbooks/language/<lang>.toml``) counts its hits. The note's language is
the one with more hits; a word with a French accent (é, è, à, ç...) counts
as a French hit (ties and notes without any hit go to English, the cheaper
pipeline). A note is *mixed* when the minority language has at least one
hit and at least 15 % of the majority's: such a note is parsed
with the majority language's pipeline, but the cue patterns of **both**
languages run on it, so "budget validé, CFO signs next week" finds both cues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kamcoach.analysis.language import load_language

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
SAMPLE_CHARS = 4000
MIXED_MIN_HITS = 1
MIXED_MIN_RATIO = 0.15
_FRENCH_LETTERS = frozenset("éèêàâçùûôîœë")


@dataclass(frozen=True, slots=True)
class Detection:
    lang: str
    mixed: bool
    hits: dict[str, int]


def detect_language(text: str) -> Detection:
    """Guess ``fr`` or ``en`` for one note and whether it mixes both."""
    fr = load_language("fr").stopwords
    en = load_language("en").stopwords
    fr_hits = en_hits = 0
    for match in _WORD.finditer(text[:SAMPLE_CHARS].lower().replace("’", "'")):
        word = match.group()
        if word in fr or not _FRENCH_LETTERS.isdisjoint(word):
            fr_hits += 1
        elif word in en:
            en_hits += 1
    lang = "fr" if fr_hits > en_hits else "en"
    low, high = sorted((fr_hits, en_hits))
    mixed = low >= MIXED_MIN_HITS and low >= MIXED_MIN_RATIO * high
    return Detection(lang=lang, mixed=mixed, hits={"fr": fr_hits, "en": en_hits})
