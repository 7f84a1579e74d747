"""What the evidence model sees of one unit of a note.

A linear model generalises to notes it has never seen only through features
that carry over: lemmas (so "signs off", "signed off" and "sign-off" meet),
character n-grams (typos, abbreviations, French inflection, and words shared
across French and English), the dependency parse (a negation and the verb it
attaches to), entity types (an amount, a date, a person) and the rule cues of
:mod:`kamcoach.analysis.patterns` (criterion cues, negation, uncertainty,
loss, validation, hedges, teaching, the seller's voice). The model learns how
far to trust each cue instead of the cue deciding alone.

Changing anything here changes what the shipped weights mean: bump
:data:`FEATURES_VERSION` and retrain (``make train``); the weights test fails
until then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kamcoach.analysis.entities import find_entities
from kamcoach.analysis.language import unaccent

if TYPE_CHECKING:
    from spacy.tokens import Doc

FEATURES_VERSION = "3"
CHAR_NGRAMS = (3, 4, 5)
#: Negation words of both languages, read on tokens whatever the parser says.
NEGATORS = frozenset(
    {"no", "not", "n't", "never", "none", "nobody", "nothing", "without", "neither", "nor"}
    | {"pas", "jamais", "aucun", "aucune", "sans", "ni", "non", "rien", "personne", "ne", "n'"}
    | {"n’", "nul", "nulle", "plus"}
)
_DIGIT = re.compile(r"\d")
#: "Budget:", "EB :", "Décideur -" at the start of a unit: a form field.
_FIELD = re.compile(r"^[\s\-*•>#]*[^\W\d_][\w '’./&()-]{0,30}?\s*[:=]\s*", re.UNICODE)
_SPEAKER = re.compile(
    r"^[\s*_>-]*(?:\*\*)?[A-ZÀ-Ý][\w'’.]*(?: [A-ZÀ-Ý(][\w'’.()]*){0,3}(?:\*\*)?\s*:"
)
_EMPTY_VALUE = re.compile(
    r"^\s*(?:\?+|tbd|tbc|n/?a|unknown|inconnu[e]?|\?\?|-+|à voir|a voir|à définir|a definir"
    r"|à confirmer|a confirmer|à identifier|a identifier|pending|none|aucun[e]?|rien|x+|nc)\s*[.!?]*\s*$",
    re.I,
)
#: Rule hit kinds that are features on their own (context cues, people words).
CONTEXT_HITS = frozenset(
    {
        "neg_pre",
        "neg_post",
        "unc_pre",
        "unc_post",
        "loss_pre",
        "loss_post",
        "pseudo",
        "hedge",
        "valid",
        "teach",
        "vendor",
        "todo",
        "needobj",
        "quote",
        "custspeech",
        "req",
        "request",
        "eb_title",
        "title",
    }
)


NEGATING_HITS = frozenset({"neg_pre", "neg_post", "unc_pre", "unc_post", "loss_pre", "loss_post"})


def _norm(word: str) -> str:
    return _DIGIT.sub("0", unaccent(word.lower()))


#: A heading line: "### Budget & timing", "Décision :", "NEXT STEPS".
_HEADING = re.compile(r"^\s*(?:#{1,6}\s*\S.{0,60}|[^\n:]{1,40}:\s*|[A-ZÀ-Ý0-9 &/'’-]{3,40})$")
#: A line that only labels what follows: "### Next steps", "**Budget:**", "Décision :".
HEADING_LINE = re.compile(r"^\s*(?:#{1,6}\s+.{1,60}|(?:\*\*|__)?[^\n:*#]{1,40}:(?:\*\*|__)?\s*)$")
#: "Subject: ...", "Objet : ...", "RE: ...": an e-mail's subject line.
SUBJECT = re.compile(r"^\s*(?:\*\*)?(?:subject|objet|sujet|re|tr|fw|fwd)\s*(?:\*\*)?\s*:", re.I)


def heading_words(doc: Doc, start: int, end: int) -> list[str]:
    """The lemmas of a unit when it is a heading (it then labels the units below it)."""
    text = doc[start:end].text.strip()
    if not text or len(text) > 64 or not _HEADING.match(text):
        return []
    return [_norm(t.lemma_ or t.text) for t in doc[start:end] if t.is_alpha and not t.is_stop][:6]


def unit_features(
    doc: Doc,
    start: int,
    end: int,
    hits: Iterable[tuple[str, str | None, int, int]] = (),
    teaching: Sequence[re.Pattern[str]] = (),
    heading: Sequence[str] = (),
    ents: Sequence[Any] | None = None,
) -> list[str]:
    """Feature strings of tokens ``doc[start:end]``.

    ``hits`` are the rule hits inside the unit, ``heading`` the words of the
    heading line above it ("### Budget & timing" over "- 45k, Q3"), ``ents``
    the doc's entities starting inside it (default: all of ``doc.ents``; a caller
    walking every unit passes its own slice, or long notes cost units x entities).
    """
    feats: list[str] = []
    add = feats.append
    toks = [t for t in doc[start:end] if not t.is_space]
    if not toks:
        return ["EMPTY"]
    text = doc[start:end].text
    for word in heading:
        add("hdr:" + word)
    if SUBJECT.match(text):
        add("SUBJECT")
    prev = "<s>"
    words = 0
    for tok in toks:
        low = _norm(tok.text)
        if tok.is_punct:
            if low in ("?", ":", "!"):
                add("p:" + low)
            continue
        words += 1
        lemma = _norm(tok.lemma_) if tok.lemma_ else low
        add("w:" + low)
        if lemma != low:
            add("l:" + lemma)
        add("b:" + prev + "_" + lemma)
        prev = lemma
        padded = "<" + low + ">"
        for n in CHAR_NGRAMS:
            if len(padded) < n:
                break
            for i in range(len(padded) - n + 1):
                add("c:" + padded[i : i + n])
        if low in NEGATORS or tok.dep_ == "neg":
            add("NEG")
            head = tok.head
            if head is not tok:
                add("neg>" + (_norm(head.lemma_) if head.lemma_ else _norm(head.text)))
        if tok.dep_ in ("nsubj", "nsubj:pass", "nsubjpass") and tok.head.dep_ == "ROOT":
            add("subj:" + lemma)
        if tok.dep_ == "ROOT" and tok.pos_ in ("VERB", "AUX"):
            add("root:" + lemma)
    add("b:" + prev + "_</s>")
    add(f"len:{min(words, 30) // 5}")
    last = toks[-1].text
    if last == "?" or text.rstrip().endswith("?"):
        add("Q")
        if words <= 4:
            add("Qshort")
    field = _FIELD.match(text)
    if field is not None:
        # "Budget: TBD" and "Champion: Paul pushes internally" share the key; the value
        # decides: the key's words are read together with whether a value follows.
        value = text[field.end() :]
        empty = not value.strip() or _EMPTY_VALUE.match(value) is not None
        add("SPEAKER" if _SPEAKER.match(text) else "FIELD")
        add("FIELD_EMPTY" if empty else "FIELD_FILLED")
        tag = "keyempty:" if empty else "keyfill:"
        for word in re.findall(r"[^\W\d_]{2,}", text[: field.end()].lower())[:4]:
            add(tag + unaccent(word))
    for label, _s, _e in find_entities(text):
        add("E:" + label)
    for ent in doc.ents if ents is None else ents:
        if ent.start >= start and ent.end <= end:
            add("NE:" + ent.label_)
    hits = list(hits)
    negated = "NEG" in feats or any(k in NEGATING_HITS for k, _c, _s, _e in hits)
    asked = "Q" in feats
    for kind, cid, _s, _e in hits:
        if cid:
            add(f"h:{kind}:{cid}")
            if kind in ("cue", "cueq"):
                # The cue read together with its clause: negated, asked, or stated.
                add(("negcue:" if negated else "qcue:" if asked else "poscue:") + cid)
        elif kind in CONTEXT_HITS:
            add("h:" + kind)
    if teaching:
        low_text = text.lower()
        if any(r.search(low_text) for r in teaching):
            add("TEACH")
    return feats
