"""What the analyser returns: plain dataclasses, no spaCy objects.

Results cross process boundaries (``--workers``), get cached as JSON in the
``note_analyses`` table and feed the interfaces, so they hold only text,
numbers and offsets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kamcoach.domain.models import CriterionScore, Evidence


@dataclass(slots=True)
class Person:
    """A person named in a note, with what the note says they do for the deal."""

    name: str
    title: str | None = None
    role: str | None = None
    """'economic_buyer', 'champion' or None"""
    contact_id: int | None = None
    """The deal's known contact this name was matched to (rapidfuzz), if any."""
    start: int = 0
    end: int = 0


@dataclass(slots=True)
class PersonProposal:
    """What one sentence of a note says about a person, for the rep to accept or dismiss.

    ``kind``: 'contact' (a person named with a title or a buying role who is not
    a contact yet), 'role', 'stance', 'departure' or 'arrival'. ``value`` is the
    buying role (contact, role), the stance (stance), the role the note gave the
    person who left ('champion' for "our champion left") or the title (arrival).
    Offsets are characters of the note; ``quote`` is the sentence.
    """

    kind: str
    quote: str
    start: int
    end: int
    lang: str
    name: str | None = None
    """As written in the note; None for "a new CFO arrived" or "our champion left"."""
    title: str | None = None
    value: str | None = None
    contact_id: int | None = None
    """The known contact it is about (rapidfuzz link), None when not a contact yet."""

    def key(self) -> tuple[str, int, str, str]:
        """The proposals table's unique key within one note."""
        return (
            self.kind,
            -1 if self.contact_id is None else self.contact_id,
            (self.name or "").lower(),
            self.value or "",
        )


@dataclass(slots=True)
class NoteAnalysis:
    """Per-criterion scores and evidence for one note."""

    lang: str
    playbook: str
    scores: dict[str, CriterionScore]
    overall: float
    people: list[Person] = field(default_factory=list)
    proposals: list[PersonProposal] = field(default_factory=list)
    """What the note says about people (:mod:`kamcoach.analysis.people_extract`)."""
    id: str | int | None = None
    highlights: list[tuple[int, int, str, bool]] = field(default_factory=list)
    """Cue spans ``(start, end, criterion, negated)`` for display; not serialised."""
    warnings: list[str] = field(default_factory=list)
    """What the reader should know about how the note was read (a very long note)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lang": self.lang,
            "playbook": self.playbook,
            "criteria": {
                cid: {
                    "score": s.score,
                    "status": s.status,
                    "evidence": [
                        {"text": e.text, "start": e.start, "end": e.end, "negated": e.negated}
                        for e in s.evidence
                    ],
                    **({"reason": s.reason} if s.reason else {}),
                }
                for cid, s in self.scores.items()
            },
            "overall": self.overall,
            "people": [{"name": p.name, "title": p.title, "role": p.role} for p in self.people],
            "proposals": [asdict(p) for p in self.proposals],
            **({"warnings": list(self.warnings)} if self.warnings else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoteAnalysis:
        return cls(
            id=data.get("id"),
            lang=data["lang"],
            playbook=data["playbook"],
            overall=data["overall"],
            scores={
                cid: CriterionScore(
                    criterion=cid,
                    score=c["score"],
                    status=c["status"],
                    evidence=[Evidence(**e) for e in c["evidence"]],
                    reason=c.get("reason"),
                )
                for cid, c in data["criteria"].items()
            },
            people=[Person(**p) for p in data.get("people", [])],
            proposals=[PersonProposal(**p) for p in data.get("proposals", [])],
            warnings=list(data.get("warnings", [])),
        )


def person_dict(person: Person) -> dict[str, Any]:
    return asdict(person)
