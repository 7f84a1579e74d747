"""Dataclasses for the objects kamcoach stores and reasons about.

They mirror the database rows but carry no storage logic, so the analyser,
the review rules and the interfaces can share them without importing SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(slots=True)
class Account:
    id: int
    name: str
    industry: str | None = None
    country: str | None = None
    key_account: bool = False
    annual_value: float | None = None


@dataclass(slots=True)
class Contact:
    """A person at an account: one record, whatever deals they sit on.

    ``buying_role`` is their role in the account's buying group and rules; a deal
    link may override it for that deal only (``opportunity_contacts.role``).
    ``stance`` and ``influence`` are None when not known.
    """

    id: int
    account_id: int
    name: str
    title: str | None = None
    buying_role: str = "unknown"
    email: str | None = None
    left_company: bool = False
    reports_to_id: int | None = None
    stance: str | None = None
    influence: str | None = None
    last_contact_at: date | None = None


@dataclass(slots=True)
class Opportunity:
    id: int
    account_id: int
    name: str
    amount: float
    currency: str
    stage: str
    close_date: date | None
    owner: str
    type: str = "new"
    playbook: str = "meddic"
    created_at: datetime | None = None
    stage_changed_at: datetime | None = None
    pause_reason: str | None = None
    paused_until: date | None = None


@dataclass(slots=True)
class Note:
    id: int
    opportunity_id: int
    text: str
    created_at: datetime
    author: str | None = None
    lang: str | None = None


@dataclass(slots=True)
class Evidence:
    """A quoted span of a note supporting (or, when ``negated``, denying) a criterion."""

    text: str
    start: int
    end: int
    negated: bool = False
    note_id: int | None = None


@dataclass(slots=True)
class CriterionScore:
    criterion: str
    score: int
    status: str
    evidence: list[Evidence] = field(default_factory=list)
    reason: str | None = None
    verdict: str | None = None
    """A manager's row only: 'agreed' (the score in force confirmed, history) or
    'corrected' (a new score, in force until a manager reviews again); NULL otherwise."""


@dataclass(slots=True)
class Review:
    """One qualification review of a deal: by the analyser, the rep or a manager."""

    opportunity_id: int
    playbook: str
    author_kind: str
    scores: dict[str, CriterionScore]
    overall: float
    created_at: datetime
    author: str | None = None
    stage: str | None = None
    id: int | None = None
    comment: str | None = None
    forecast: str | None = None
    """A manager's forecast category (domain.stages.FORECAST_CATEGORIES)."""
