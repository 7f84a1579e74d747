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
class NoteAnalysis:
    """Per-criterion scores and evidence for one note."""

    lang: str
    playbook: str
    scores: dict[str, CriterionScore]
    overall: float
    people: list[Person] = field(default_factory=list)
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
            warnings=list(data.get("warnings", [])),
        )


def person_dict(person: Person) -> dict[str, Any]:
    return asdict(person)
