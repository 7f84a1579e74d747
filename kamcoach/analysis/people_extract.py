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
deal's champion. The result, a list of :class:`PersonProposal` on
``doc._.kc_people``, holds only what is new against the contacts: a role the
contact already has is not proposed again. The rep accepts or dismisses each
one (:mod:`kamcoach.records.proposals`); nothing here changes a score.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from kamcoach.analysis.entities import find_entities
from kamcoach.analysis.language import load_language, unaccent
from kamcoach.analysis.patterns import variants
from kamcoach.analysis.people import contact_mentions, link_contact, norm_name
from kamcoach.analysis.people_rules import PeopleRules, load_people_rules, read_people_rules
from kamcoach.analysis.result import PersonProposal
from kamcoach.analysis.segments import segments
from kamcoach.errors import PlaybookError
from kamcoach.playbooks.model import LANGS

COMPONENT = "kamcoach_people"
#: Tokens allowed between a person and the phrase they are the subject of.
MAX_GAP = 8
#: Tokens allowed between a name and a title after it ("Sarah Chen, our new CFO").
MAX_LINK = 4
QUOTE_MAX = 300
PERSON_LABELS = frozenset({"PERSON", "PER"})
#: Tokens that may stand between a title and the name after it ("CFO: Sarah").
PRE_LINKS = frozenset({",", ":", "(", "-", "–", "—"})
CONJUNCTIONS = frozenset({"and", "et", "but", "mais", "so", "donc", "then", "puis"})

if not Doc.has_extension("kc_people"):
    Doc.set_extension("kc_people", default=None)


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    label: str
    value: str | None


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

    def _matches(self, doc: Doc) -> dict[str, list[_Span]]:
        found: dict[str, list[_Span]] = {}
        for match_id, s, e in self.phrase(doc):
            kind, value = self.labels[match_id]
            found.setdefault(kind, []).append(_Span(s, e, kind, value))
        for kind in ("title", "role", "stance", "departure", "departure_bare", "arrival"):
            if kind in found:
                found[kind] = _longest(found[kind])
        # A strict departure wins over the bare verb inside it ("has left the company").
        if "departure" in found and "departure_bare" in found:
            strict = found["departure"]
            found["departure_bare"] = [
                b for b in found["departure_bare"] if not any(_overlap(b, s) for s in strict)
            ]
        if "title" in found:
            found["title"] = [self._extend_title(doc, t) for t in found["title"]]
        return found

    def _extend_title(self, doc: Doc, title: _Span) -> _Span:
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
        return _Span(title.start, end, "title", title.value)

    def _persons(
        self, doc: Doc, titles: list[_Span], contacts: Sequence[dict[str, Any]]
    ) -> list[_Span]:
        spans: list[_Span] = []
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
                spans.append(_Span(s, e, "person", None))
        i, n = 0, len(doc)
        while i < n:
            tok = doc[i]
            if tok.pos_ == "PROPN" and tok.is_alpha and tok.is_title and ok(i, i + 1):
                j = i + 1
                while j < n and j - i < 3 and doc[j].pos_ == "PROPN" and doc[j].is_title:
                    j += 1
                a, b = trim(i, j)
                if ok(a, b):
                    spans.append(_Span(a, b, "person", None))
                i = j
            else:
                i += 1
        for cs, ce in contact_mentions(doc.text, contacts):
            span = doc.char_span(cs, ce, alignment_mode="expand")
            if span is not None:
                spans.append(_Span(span.start, span.end, "person", None))
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
        by_unit: dict[int, dict[str, list[_Span]]] = {}
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
            for proposal in self._sentence(doc, s, e, unit, contacts):
                if proposal.key() not in seen:
                    seen.add(proposal.key())
                    out.append(proposal)
        return out

    def _sentence(
        self,
        doc: Doc,
        s: int,
        e: int,
        spans: dict[str, list[_Span]],
        contacts: Sequence[dict[str, Any]],
    ) -> list[PersonProposal]:
        """The proposals of the sentence ``doc[s:e]``; ``spans`` are its matches by kind."""

        def inside(kind: str) -> list[_Span]:
            return spans.get(kind, [])

        people = inside("person")
        titles = inside("title")
        news = inside("new")
        champions = [c for c in inside("champion") if not any(_overlap(c, p) for p in people)]
        if not (people or titles or champions):
            return []
        sent = doc[s:e]
        text = sent.text.rstrip()
        if text.endswith("?"):
            return []  # a question, not a fact
        quote = text[:QUOTE_MAX]
        start = sent.start_char
        lang = self.lang
        # A doubt or a guess anywhere before the phrase ("need to find out if", "maybe");
        # a negation only between the person and the phrase ("has not left").
        doubted = [u.start for u in inside("uncertain") + inside("hypothetical")]
        blockers = inside("negation")
        new_tokens = {i for n in news for i in range(n.start, n.end)}

        def denied(subject: _Span, cue: _Span) -> bool:
            if any(u < cue.start for u in doubted):
                return True
            return any(
                subject.end <= b.start < cue.start and not _overlap(b, cue) for b in blockers
            )

        # A title belongs to the person next to it, if any.
        title_of: dict[int, _Span] = {}
        attached: set[int] = set()
        for t in titles:
            best: tuple[int, _Span] | None = None
            for p in people:
                if p.end <= t.start:
                    between = doc[p.end : t.start]
                    if len(between) <= MAX_LINK and all(
                        tok.lower_ in self.links or tok.i in new_tokens for tok in between
                    ):
                        best = min(best or (99, p), (len(between), p), key=lambda x: x[0])
                elif t.end <= p.start:
                    between = doc[t.end : p.start]
                    if len(between) <= 1 and all(tok.text in PRE_LINKS for tok in between):
                        best = min(best or (99, p), (len(between), p), key=lambda x: x[0])
            if best is not None:
                title_of.setdefault(best[1].start, t)
                attached.add(t.start)
        free_titles = [t for t in titles if t.start not in attached]

        def subject_of(cue: _Span) -> _Span | None:
            """The person, role word or lone title just before the phrase."""
            candidates = [
                x
                for x in (*people, *champions, *free_titles)
                if x.end <= cue.start and cue.start - x.end <= MAX_GAP
            ]
            if not candidates:
                return None
            return max(candidates, key=lambda x: x.end)

        def title_after(cue: _Span) -> _Span | None:
            for t in titles:
                if cue.end <= t.start <= cue.end + 2:
                    return t
            return None

        proposals: list[PersonProposal] = []
        known: dict[int, dict[str, Any] | None] = {}

        def about(subject: _Span) -> tuple[str | None, dict[str, Any] | None, str | None]:
            """(name as written, linked contact, title) of a subject."""
            if subject.label == "person":
                name = doc[subject.start : subject.end].text
                if subject.start not in known:
                    known[subject.start] = link_contact(name, contacts)
                contact = known[subject.start]
                title = title_of.get(subject.start)
                return name, contact, doc[title.start : title.end].text if title else None
            words = doc[subject.start : subject.end].text
            if subject.label == "champion":
                return None, _holder(contacts, "champion"), "champion"
            return None, _titled(contacts, words, subject.value), words

        def add(kind: str, subject: _Span, value: str | None, title: str | None = None) -> None:
            name, contact, written_title = about(subject)
            if kind == "arrival" and subject.label != "person":
                contact = None  # "a new CFO" is not the CFO we know
            proposals.append(
                PersonProposal(
                    kind=kind,
                    quote=quote,
                    start=start,
                    end=start + len(quote),
                    lang=lang,
                    name=name,
                    title=title or written_title,
                    value=value,
                    contact_id=None if contact is None else contact.get("id"),
                )
            )

        # Arrivals: "a new CFO", "Sarah Chen, the new CFO", "Julia joined as VP Sales".
        arrived: set[int] = set()
        for n in news:
            new_title = next((t for t in titles if n.end <= t.start <= n.end + 1), None)
            if new_title is None or any(n.start - 2 <= b.start < n.start for b in blockers):
                continue
            if any(u < n.start for u in doubted):
                continue
            holder = next((p for p in people if title_of.get(p.start) is new_title), None)
            newcomer = holder or new_title
            arrived.add(newcomer.start)
            words = doc[new_title.start : new_title.end].text
            add("arrival", newcomer, words, words)
        for cue in inside("arrival"):
            subject = subject_of(cue)
            if subject is None or subject.label != "person" or denied(subject, cue):
                continue
            as_title = title_after(cue) or title_of.get(subject.start)
            words_or_none = doc[as_title.start : as_title.end].text if as_title else None
            arrived.add(subject.start)
            add("arrival", subject, words_or_none, words_or_none)

        # Departures: strict phrases, and bare verbs followed by nothing, a date or the company.
        follows = {f.start for f in inside("follow")}
        for cue in inside("departure") + inside("departure_bare"):
            if cue.label == "departure_bare" and not _ends_clause(doc, cue.end, e, follows):
                continue
            subject = subject_of(cue)
            if subject is None or denied(subject, cue):
                continue
            add("departure", subject, "champion" if subject.label == "champion" else None)

        # Roles and stances of the person named just before the phrase.
        roles_read: dict[int, str | None] = {}
        for kind in ("role", "stance"):
            for cue in inside(kind):
                subject = subject_of(cue)
                if subject is None or subject.label != "person" or denied(subject, cue):
                    continue
                if kind == "role":
                    roles_read[subject.start] = cue.value
                else:
                    add("stance", subject, cue.value)

        # People named with a title or a role: a new contact, or a known contact's role.
        for p in people:
            if p.start in arrived:
                continue
            their_title = title_of.get(p.start)
            role = roles_read.get(p.start) or (their_title.value if their_title else None)
            if their_title is None and role is None:
                continue
            _name, contact, written = about(p)
            if contact is None:
                add("contact", p, role, written)
            elif role and role != _role_of(contact):
                add("role", p, role, written)
        return [p for p in proposals if _new(p, contacts)]


def _overlap(a: _Span, b: _Span) -> bool:
    return a.start < b.end and b.start < a.end


def _longest(spans: list[_Span]) -> list[_Span]:
    """Non-overlapping spans, the longest first at each place."""
    out: list[_Span] = []
    for span in sorted(spans, key=lambda x: (x.start, -(x.end - x.start))):
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out


def _ends_clause(doc: Doc, end: int, sent_end: int, follows: set[int]) -> bool:
    """After a bare "left": nothing, punctuation, a conjunction, a date or the company."""
    if end >= sent_end:
        return True
    tok = doc[end]
    if tok.is_punct or tok.lower_ in CONJUNCTIONS or end in follows:
        return True
    rest = doc[end:sent_end].text
    limit = doc[min(end + 2, sent_end - 1)].idx - tok.idx
    return any(
        label in ("DATE", "TIME") and start <= limit for label, start, _ in find_entities(rest)
    )


def _role_of(contact: dict[str, Any]) -> str | None:
    role = contact.get("role") or contact.get("buying_role")
    return None if role in (None, "", "unknown") else str(role)


def _holder(contacts: Sequence[dict[str, Any]], role: str) -> dict[str, Any] | None:
    """The one contact on the deal holding ``role`` (None when none or several)."""
    holders = [
        c
        for c in contacts
        if _role_of(c) == role and c.get("on_deal", True) and not c.get("left_company")
    ]
    return holders[0] if len(holders) == 1 else None


def _titled(
    contacts: Sequence[dict[str, Any]], title: str, role: str | None
) -> dict[str, Any] | None:
    """The one contact whose title is ``title`` ("the CFO left"), else the role's holder."""
    wanted = norm_name(title)
    same = [c for c in contacts if norm_name(str(c.get("title") or "")) == wanted]
    if len(same) == 1:
        return same[0]
    return _holder(contacts, role) if role and not same else None


def _new(proposal: PersonProposal, contacts: Sequence[dict[str, Any]]) -> bool:
    """False when the proposal says what the contact record already says."""
    if proposal.contact_id is None:
        # "Our champion left" on a deal without a known champion still says something.
        return proposal.kind != "departure" or bool(proposal.name or proposal.title)
    contact = next((c for c in contacts if c.get("id") == proposal.contact_id), None)
    if contact is None:
        return True
    if proposal.kind == "departure":
        return not contact.get("left_company")
    if proposal.kind == "stance":
        return contact.get("stance") != proposal.value
    # An arrival of someone who is a contact already brings nothing new.
    return proposal.kind != "arrival"


@Language.factory(COMPONENT, default_config={"rules": ""})
def make_people_extractor(nlp: Language, name: str, rules: str) -> PeopleExtractor:
    """``rules``: a people rules file; empty = the bundled one (or the team's override)."""
    loaded = read_people_rules(Path(rules)) if rules else load_people_rules(str(nlp.lang))
    if loaded.lang != nlp.lang:
        raise PlaybookError(
            loaded.source, "lang", f"rules for {loaded.lang!r} on a {nlp.lang!r} pipeline"
        )
    return PeopleExtractor(nlp, name, loaded)
