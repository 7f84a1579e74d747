"""Messages posted by workers back to the event loop.

Slow work (loading spaCy, reviewing the pipeline, analysing notes, building a
checklist) runs in thread workers; each posts one of these small dataclasses
when done, so screens update from the main thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class ModelReady(Message):
    """The spaCy pipelines are loaded: analysis is now fast."""

    seconds: float
    """Time from app start until the model was ready."""


@dataclass
class ModelFailed(Message):
    """Loading the language model failed; analysis falls back or is unavailable."""

    error: str


@dataclass
class PipelineLoaded(Message):
    """A pipeline review finished (for the filters in ``filters``)."""

    report: Any
    """A :class:`kamcoach.review.pipeline.PipelineReport`."""
    filters: dict[str, str | None]


@dataclass
class DealLoaded(Message):
    """Everything the deal screen shows, read in one go."""

    view: Any
    """A :class:`kamcoach.tui.data.DealView`."""


@dataclass
class DealAnalysed(Message):
    """The deal's notes were (re-)analysed and an analyser review saved."""

    deal_id: int
    review_id: int | None


@dataclass
class NotesAnalysed(Message):
    """Every deal's notes were analysed in the background (a fresh demo database)."""

    deals: int
    error: str | None = None


@dataclass
class WorkFailed(Message):
    """A worker failed with a user-facing message."""

    what: str
    error: str


@dataclass
class SuggestionReady(Message):
    """The analyser's reading of what the customer said, for one criterion."""

    criterion: str
    text: str
    """The text analysed (stale suggestions are ignored when it changed)."""
    score: int
    status: str
    evidence: list[str]


@dataclass
class ChecklistReady(Message):
    """A pre-call checklist was built for a deal."""

    checklist: Any
    """A :class:`kamcoach.review.prep.Checklist`."""
