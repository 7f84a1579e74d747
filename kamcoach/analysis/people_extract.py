"""The people extractor, a spaCy component (``kamcoach_people``): notes → proposals.

One sentence at a time, it finds the people a note names (the pipeline's
person entities, proper nouns, and the known contacts' names), the titles
next to them ("Sarah Chen, our CFO", "CFO Sarah Chen"), and the phrases of
``playbooks/language/people/<lang>.toml`` whose subject they are: a buying role
("signs", "runs the evaluation"), a stance ("pushes internally", "est contre"),
a departure ("left the company", "a quitté la société") or an arrival ("joined
as", "a new CFO"). A phrase counts only when it is a fact: a negation between
the person and the phrase ("has not left"), a doubt before it in the sentence
("need to find out if"), a guess or an intention ("might", "wants to") or a
question mark drop it. "Left" alone is a departure only when nothing, a date or
the company follows it ("left the meeting early" is not).

Names are linked to the known contacts with rapidfuzz
(:func:`kamcoach.analysis.people.link_contact`); "our champion left" is about the
deal's champion. Reading one sentence is :mod:`kamcoach.analysis.people_sentence`.
The result, a list of :class:`PersonProposal` on
``doc._.kc_people``, holds only what is new against the contacts: a role the
contact already has is not proposed again. The rep accepts or dismisses each
one (:mod:`kamcoach.records.proposals`); nothing here changes a score.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from kamcoach.analysis.language import load_language, unaccent
from kamcoach.analysis.patterns import variants
from kamcoach.analysis.people import contact_mentions
from kamcoach.analysis.people_rules import PeopleRules, load_people_rules, read_people_rules
from kamcoach.analysis.people_sentence import Sentence, Span, overlap
from kamcoach.analysis.result import PersonProposal
from kamcoach.analysis.segments import segments
from kamcoach.errors import PlaybookError
from kamcoach.playbooks.model import LANGS

COMPONENT = "kamcoach_people"
PERSON_LABELS = frozenset({"PERSON", "PER"})

if not Doc.has_extension("kc_people"):
    Doc.set_extension("kc_people", default=None)


class PeopleExtractor:
    """Compiled people rules of one language; call it on a Doc (with the known contacts)."""

    def __init__(self, nlp: Language, name: str, rules: PeopleRules) -> None:
        self.nlp = nlp
        self.name = name
        self.rules = rules
        self.lang = rules.lang
        self.phrase = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.labels: dict[int, tuple[str, str | None]] = {}
        for role, phrases in rules.titles.items():
            self._add("title", None if role == "none" else role, phrases)
        for role, phrases in rules.roles.items():
            self._add("role", role, phrases)
        for stance, phrases in rules.stances.items():
            self._add("stance", stance, phrases)
        moves = rules.moves
        self._add("departure", None, moves["departure"])
        self._add("departure_bare", None, moves["departure_bare"])
        self._add("follow", None, moves["departure_follow"])
        self._add("arrival", None, moves["arrival"])
        self._add("new", None, moves["new_words"])
        self._add("champion", "champion", moves["champion_words"])
        for key in ("negation", "uncertain", "hypothetical"):
            self._add(key, None, rules.context[key])
        self.links = frozenset(w.lower() for w in rules.context["links"])
        cues = load_language(self.lang)
        self.not_names = frozenset(cues["not_names"]) | frozenset(
            w.capitalize() for w in cues.stopwords
        )
        #: Words that introduce a name ("met", "rencontré"), never part of it (notes mix
        #: languages: both lists).
        self.prefixes = frozenset(
            unaccent(w.lower()) for lang in LANGS for w in load_language(lang)["name_prefixes"]
        )

    def _add(self, kind: str, value: str | None, phrases: Iterable[str]) -> None:
        forms = sorted({f for p in phrases for f in variants(p, self.lang)})
        docs = [d for d in self.nlp.tokenizer.pipe(forms) if len(d)]  # type: ignore[union-attr]
        if not docs:
            return
        label = f"people|{kind}|{value or ''}"
        key = self.nlp.vocab.strings.add(label)
        self.labels[key] = (kind, value)
        self.phrase.add(label, docs)

    def __call__(self, doc: Doc, contacts: Sequence[dict[str, Any]] = ()) -> Doc:
        doc._.kc_people = self.extract(doc, contacts)
        return doc

    # ------------------------------------------------------------ matching

    def _matches(self, doc: Doc) -> dict[str, list[Span]]:
        found: dict[str, list[Span]] = {}
        for match_id, s, e in self.phrase(doc):
            kind, value = self.labels[match_id]
            found.setdefault(kind, []).append(Span(s, e, kind, value))
        for kind in ("title", "role", "stance", "departure", "departure_bare", "arrival"):
            if kind in found:
                found[kind] = _longest(found[kind])
        # A strict departure wins over the bare verb inside it ("has left the company").
        if "departure" in found and "departure_bare" in found:
            strict = found["departure"]
            found["departure_bare"] = [
                b for b in found["departure_bare"] if not any(overlap(b, s) for s in strict)
            ]
        if "title" in found:
            found["title"] = [self._extend_title(doc, t) for t in found["title"]]
        return found

    def _extend_title(self, doc: Doc, title: Span) -> Span:
        """'VP' + 'Sales', 'head of' + 'IT': a title runs on over capitalised words."""
        end = title.end
        if doc[end - 1].lower_ in ("of", "de", "des", "du") and end < len(doc):
            end += 1
        while end < len(doc) and end - title.end < 3:
            tok = doc[end]
            # "VP Sales", "VP Customer Service": capitalised words run on, a person's name not.
            if not tok.is_alpha or tok.ent_type_ in PERSON_LABELS or not tok.text[:1].isupper():
                break
            end += 1
        return Span(title.start, end, "title", title.value)

    def _persons(
        self, doc: Doc, titles: list[Span], contacts: Sequence[dict[str, Any]]
    ) -> list[Span]:
        spans: list[Span] = []
        not_names = self.not_names

        def ok(s: int, e: int) -> bool:
            text = doc[s:e].text
            return (
                text[:1].isupper()
                and any(ch.isalpha() for ch in text)
                and text not in not_names
                and not any(t.start < e and s < t.end for t in titles)
            )

        def trim(s: int, e: int) -> tuple[int, int]:
            """ "Sadly Paul", "Met Reto Baumann": drop a leading adverb or a word that
            introduces a name (but not "Claire Petit")."""
            while s < e - 1 and (
                doc[s].pos_ in ("ADV", "INTJ", "ADJ", "VERB", "PUNCT")
                or unaccent(doc[s].lower_) in self.prefixes
            ):
                s += 1
            return s, e

        for ent in doc.ents:
            if ent.label_ not in PERSON_LABELS:
                continue
            s, e = (
                trim(ent.start, ent.end)
                if any(t.pos_ == "PROPN" for t in ent)
                else (
                    ent.start,
                    ent.end,
                )
            )
            # "Sandrine Aebi": the small French model may tag only the surname.
            if e - s == 1 and s > 0 and doc[s - 1].pos_ in ("NOUN", "PROPN", "X"):
                before = doc[s - 1]
                if (
                    before.is_alpha
                    and before.is_title
                    and unaccent(before.lower_) not in self.prefixes
                    and ok(s - 1, e)
                ):
                    s -= 1
            if ok(s, e):
                spans.append(Span(s, e, "person", None))
        i, n = 0, len(doc)
        while i < n:
            tok = doc[i]
            if tok.pos_ == "PROPN" and tok.is_alpha and tok.is_title and ok(i, i + 1):
                j = i + 1
                while j < n and j - i < 3 and doc[j].pos_ == "PROPN" and doc[j].is_title:
                    j += 1
                a, b = trim(i, j)
                if ok(a, b):
                    spans.append(Span(a, b, "person", None))
                i = j
            else:
                i += 1
        for cs, ce in contact_mentions(doc.text, contacts):
            span = doc.char_span(cs, ce, alignment_mode="expand")
            if span is not None:
                spans.append(Span(span.start, span.end, "person", None))
        return _longest(spans)

    # ------------------------------------------------------------ reading

    def extract(self, doc: Doc, contacts: Sequence[dict[str, Any]] = ()) -> list[PersonProposal]:
        """The proposals of one Doc; offsets are characters of ``doc.text``."""
        if not len(doc):
            return []
        found = self._matches(doc)
        if not any(
            k in found
            for k in ("title", "role", "stance", "departure", "departure_bare", "arrival", "new")
        ):
            return []
        found["person"] = self._persons(doc, found.get("title", []), contacts)
        # Each span goes to the sentence it lies in (a long note has thousands of them).
        units = segments(doc)
        starts = [s for s, _ in units]
        by_unit: dict[int, dict[str, list[Span]]] = {}
        for kind, matches in found.items():
            for span in matches:
                i = bisect_right(starts, span.start) - 1
                if span.end <= units[i][1]:
                    by_unit.setdefault(i, {}).setdefault(kind, []).append(span)
        out: list[PersonProposal] = []
        seen: set[tuple[str, int, str, str]] = set()
        for i in sorted(by_unit):
            unit = by_unit[i]
            if not ("person" in unit or "title" in unit or "champion" in unit):
                continue
            s, e = units[i]
            sentence = Sentence(doc, s, e, unit, contacts, lang=self.lang, links=self.links)
            for proposal in sentence.read():
                if proposal.key() not in seen:
                    seen.add(proposal.key())
                    out.append(proposal)
        return out


def _longest(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans, the longest first at each place."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda x: (x.start, -(x.end - x.start))):
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out


@Language.factory(COMPONENT, default_config={"rules": ""})
def make_people_extractor(nlp: Language, name: str, rules: str) -> PeopleExtractor:
    """``rules``: a people rules file; empty = the bundled one (or the team's override)."""
    loaded = read_people_rules(Path(rules)) if rules else load_people_rules(str(nlp.lang))
    if loaded.lang != nlp.lang:
        raise PlaybookError(
            loaded.source, "lang", f"rules for {loaded.lang!r} on a {nlp.lang!r} pipeline"
        )
    return PeopleExtractor(nlp, name, loaded)
