"""One sentence read by the people extractor: who it names and what it says about them.

:class:`Sentence` gets the matches of one sentence by kind (persons, titles,
role, stance, departure and arrival phrases, negations, doubts) and turns them
into :class:`PersonProposal` objects. A title belongs to the person next to it
("Sarah Chen, our CFO"; "CFO Sarah Chen"); a phrase belongs to the person, the
role word ("our champion") or the lone title ("the CFO") just before it. A
doubt or a guess anywhere before the phrase, or a negation between its subject
and it, drops it. Only what is new against the contacts is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc

from kamcoach.analysis.entities import find_entities
from kamcoach.analysis.people import link_contact, norm_name
from kamcoach.analysis.result import PersonProposal

#: Tokens allowed between a person and the phrase they are the subject of.
MAX_GAP = 8
#: Tokens allowed between a name and a title after it ("Sarah Chen, our new CFO").
MAX_LINK = 4
QUOTE_MAX = 300
#: Tokens that may stand between a title and the name after it ("CFO: Sarah").
PRE_LINKS = frozenset({",", ":", "(", "-", "–", "—"})
CONJUNCTIONS = frozenset({"and", "et", "but", "mais", "so", "donc", "then", "puis"})


@dataclass(slots=True)
class Span:
    """A match in the Doc (token offsets) with its kind and value (a role, a stance)."""

    start: int
    end: int
    label: str
    value: str | None


def overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


class Sentence:
    """The proposals of the sentence ``doc[s:e]``, from its matches by kind."""

    def __init__(
        self,
        doc: Doc,
        s: int,
        e: int,
        spans: dict[str, list[Span]],
        contacts: Sequence[dict[str, Any]],
        *,
        lang: str,
        links: frozenset[str],
    ) -> None:
        self.doc, self.s, self.e = doc, s, e
        self.spans = spans
        self.contacts = contacts
        self.lang = lang
        self.links = links
        self.people = spans.get("person", [])
        self.titles = spans.get("title", [])
        self.news = spans.get("new", [])
        self.champions = [
            c for c in spans.get("champion", []) if not any(overlap(c, p) for p in self.people)
        ]
        # A doubt or a guess anywhere before the phrase ("need to find out if", "maybe");
        # a negation only between the person and the phrase ("has not left").
        self.doubted = [u.start for u in self.inside("uncertain") + self.inside("hypothetical")]
        self.blockers = self.inside("negation")
        self.title_of: dict[int, Span] = {}
        self.free_titles: list[Span] = []
        self.known: dict[int, dict[str, Any] | None] = {}
        self.proposals: list[PersonProposal] = []
        sent = doc[s:e]
        self.quote = sent.text.rstrip()[:QUOTE_MAX]
        self.start = sent.start_char

    def inside(self, kind: str) -> list[Span]:
        return self.spans.get(kind, [])

    def read(self) -> list[PersonProposal]:
        if not (self.people or self.titles or self.champions):
            return []
        if self.doc[self.s : self.e].text.rstrip().endswith("?"):
            return []  # a question, not a fact
        self._attach_titles()
        arrived = self._arrivals()
        self._departures()
        roles = self._roles_and_stances()
        self._named(arrived, roles)
        return [p for p in self.proposals if _new(p, self.contacts)]

    # ------------------------------------------------------------ who is who

    def _attach_titles(self) -> None:
        """A title belongs to the person next to it, if any."""
        doc = self.doc
        new_tokens = {i for n in self.news for i in range(n.start, n.end)}
        attached: set[int] = set()
        for t in self.titles:
            best: tuple[int, Span] | None = None
            for p in self.people:
                if p.end <= t.start:
                    between = doc[p.end : t.start]
                    fits = len(between) <= MAX_LINK and all(
                        tok.lower_ in self.links or tok.i in new_tokens for tok in between
                    )
                elif t.end <= p.start:
                    between = doc[t.end : p.start]
                    fits = len(between) <= 1 and all(tok.text in PRE_LINKS for tok in between)
                else:
                    continue
                if fits and (best is None or len(between) < best[0]):
                    best = (len(between), p)
            if best is not None:
                self.title_of.setdefault(best[1].start, t)
                attached.add(t.start)
        self.free_titles = [t for t in self.titles if t.start not in attached]

    def _denied(self, subject: Span, cue: Span) -> bool:
        if any(u < cue.start for u in self.doubted):
            return True
        return any(
            subject.end <= b.start < cue.start and not overlap(b, cue) for b in self.blockers
        )

    def _subject_of(self, cue: Span) -> Span | None:
        """The person, role word or lone title just before the phrase."""
        candidates = [
            x
            for x in (*self.people, *self.champions, *self.free_titles)
            if x.end <= cue.start and cue.start - x.end <= MAX_GAP
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda x: x.end)

    def _title_after(self, cue: Span) -> Span | None:
        return next((t for t in self.titles if cue.end <= t.start <= cue.end + 2), None)

    def _about(self, subject: Span) -> tuple[str | None, dict[str, Any] | None, str | None]:
        """(name as written, linked contact, title) of a subject."""
        doc = self.doc
        if subject.label == "person":
            name = doc[subject.start : subject.end].text
            if subject.start not in self.known:
                self.known[subject.start] = link_contact(name, self.contacts)
            title = self.title_of.get(subject.start)
            written = doc[title.start : title.end].text if title else None
            return name, self.known[subject.start], written
        words = doc[subject.start : subject.end].text
        if subject.label == "champion":
            return None, _holder(self.contacts, "champion"), "champion"
        return None, _titled(self.contacts, words, subject.value), words

    def _add(self, kind: str, subject: Span, value: str | None, title: str | None = None) -> None:
        name, contact, written_title = self._about(subject)
        if kind == "arrival" and subject.label != "person":
            contact = None  # "a new CFO" is not the CFO we know
        self.proposals.append(
            PersonProposal(
                kind=kind,
                quote=self.quote,
                start=self.start,
                end=self.start + len(self.quote),
                lang=self.lang,
                name=name,
                title=title or written_title,
                value=value,
                contact_id=None if contact is None else contact.get("id"),
            )
        )

    # ------------------------------------------------------------ what the sentence says

    def _arrivals(self) -> set[int]:
        """ "A new CFO", "Sarah Chen, the new CFO", "Julia joined as VP Sales"."""
        doc = self.doc
        arrived: set[int] = set()
        for n in self.news:
            new_title = next((t for t in self.titles if n.end <= t.start <= n.end + 1), None)
            if new_title is None or any(n.start - 2 <= b.start < n.start for b in self.blockers):
                continue
            if any(u < n.start for u in self.doubted):
                continue
            holder = next((p for p in self.people if self.title_of.get(p.start) is new_title), None)
            newcomer = holder or new_title
            arrived.add(newcomer.start)
            words = doc[new_title.start : new_title.end].text
            self._add("arrival", newcomer, words, words)
        for cue in self.inside("arrival"):
            subject = self._subject_of(cue)
            if subject is None or subject.label != "person" or self._denied(subject, cue):
                continue
            as_title = self._title_after(cue) or self.title_of.get(subject.start)
            words_or_none = doc[as_title.start : as_title.end].text if as_title else None
            arrived.add(subject.start)
            self._add("arrival", subject, words_or_none, words_or_none)
        return arrived

    def _departures(self) -> None:
        """Strict phrases, and bare verbs followed by nothing, a date or the company."""
        follows = {f.start for f in self.inside("follow")}
        for cue in self.inside("departure") + self.inside("departure_bare"):
            if cue.label == "departure_bare" and not _ends_clause(
                self.doc, cue.end, self.e, follows
            ):
                continue
            subject = self._subject_of(cue)
            if subject is None or self._denied(subject, cue):
                continue
            self._add("departure", subject, "champion" if subject.label == "champion" else None)

    def _roles_and_stances(self) -> dict[int, str | None]:
        """Stances become proposals here; roles are returned per person for :meth:`_named`."""
        roles: dict[int, str | None] = {}
        for kind in ("role", "stance"):
            for cue in self.inside(kind):
                subject = self._subject_of(cue)
                if subject is None or subject.label != "person" or self._denied(subject, cue):
                    continue
                if kind == "role":
                    roles[subject.start] = cue.value
                else:
                    self._add("stance", subject, cue.value)
        return roles

    def _named(self, arrived: set[int], roles: dict[int, str | None]) -> None:
        """People named with a title or a role: a new contact, or a known contact's role."""
        for p in self.people:
            if p.start in arrived:
                continue
            their_title = self.title_of.get(p.start)
            role = roles.get(p.start) or (their_title.value if their_title else None)
            if their_title is None and role is None:
                continue
            _name, contact, written = self._about(p)
            if contact is None:
                self._add("contact", p, role, written)
            elif role and role != _role_of(contact):
                self._add("role", p, role, written)


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
