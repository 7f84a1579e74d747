"""Typed, validated view of the playbook files.

A playbook file is data a sales team edits by hand; once loaded it becomes these
frozen dataclasses so the rest of the code never looks at raw dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LANGS: tuple[str, ...] = ("en", "fr")


@dataclass(frozen=True, slots=True)
class Text:
    """A text in each supported language."""

    en: str
    fr: str

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True, slots=True)
class Question:
    """A discovery question, phrased the Natural Selling way."""

    criterion: str
    phase: str
    text: Text
    when: Text


@dataclass(frozen=True, slots=True)
class LangPatterns:
    """Evidence patterns of one criterion for one language (consumed by the analyser)."""

    phrases: tuple[str, ...] = ()
    gap_phrases: tuple[str, ...] = ()
    token_patterns: tuple[tuple[dict[str, object], ...], ...] = ()
    entities: tuple[str, ...] = ()
    quantified_phrases: tuple[str, ...] = ()
    """Cues that count only when their sentence holds an amount, percentage, date,
    duration or count ("went from", "per week", "perdent"): vague alone, telling with a number."""


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    name: Text
    short: str
    definition: Text
    why: Text
    rubric: tuple[Text, Text, Text, Text]
    questions: tuple[Question, ...]
    patterns: dict[str, LangPatterns]
    source: Path


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    probability: float
    gate: dict[str, int]


@dataclass(frozen=True, slots=True)
class Playbook:
    """A qualification playbook: which criteria count, how much, and by when."""

    id: str
    name: Text
    description: Text
    weights: dict[str, float]
    stages: tuple[Stage, ...]
    source: Path

    @property
    def criteria_ids(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def stage(self, stage_id: str) -> Stage | None:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        return None

    def gate(self, stage_id: str) -> dict[str, int]:
        stage = self.stage(stage_id)
        return dict(stage.gate) if stage else {}


@dataclass(frozen=True, slots=True)
class Phase:
    """A phase of a Natural Selling meeting."""

    id: str
    name: Text
    goal: Text
    start_minute: int
    end_minute: int
    uncovers: tuple[str, ...]
    tips: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Method:
    """The Natural Selling conversation method."""

    id: str
    name: Text
    description: Text
    phases: tuple[Phase, ...]
    principles: dict[str, tuple[str, ...]]
    source: Path

    def phase(self, phase_id: str) -> Phase | None:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        return None


@dataclass(frozen=True, slots=True)
class PlaybookSet:
    """Everything loaded from the bundled and team playbook folders."""

    criteria: dict[str, Criterion]
    playbooks: dict[str, Playbook]
    method: Method
    sources: tuple[Path, ...] = field(default=())

    def playbook(self, playbook_id: str) -> Playbook:
        from kamcoach.errors import NotFoundError

        try:
            return self.playbooks[playbook_id]
        except KeyError:
            known = ", ".join(sorted(self.playbooks))
            raise NotFoundError(f"unknown playbook {playbook_id!r} (known: {known})") from None

    def questions_for(self, criterion_id: str) -> tuple[Question, ...]:
        return self.criteria[criterion_id].questions
