"""The default sales stages and the facts attached to them.

Stage ids are stable identifiers stored in the database; playbooks attach gates
to them and importers map CRM stage names onto them.
"""

from __future__ import annotations

STAGES: tuple[str, ...] = (
    "discovery",
    "qualification",
    "proposal",
    "negotiation",
    "commit",
    "closed_won",
    "closed_lost",
)

OPEN_STAGES: tuple[str, ...] = STAGES[:5]
CLOSED_STAGES: tuple[str, ...] = ("closed_won", "closed_lost")

#: Default win probability used for the weighted pipeline when a playbook
#: does not override it.
DEFAULT_PROBABILITY: dict[str, float] = {
    "discovery": 0.10,
    "qualification": 0.20,
    "proposal": 0.40,
    "negotiation": 0.60,
    "commit": 0.80,
    "closed_won": 1.0,
    "closed_lost": 0.0,
}

DEAL_TYPES: tuple[str, ...] = ("new", "upsell", "renewal")

#: A contact's role in the buying group (``contacts.buying_role``, which rules) or,
#: on one deal only, an override of it (``opportunity_contacts.role``; NULL there means
#: "as the contact's role"). "coach" was folded into "influencer" by m011.
BUYING_ROLES: tuple[str, ...] = (
    "economic_buyer",
    "executive_sponsor",
    "champion",
    "technical_evaluator",
    "influencer",
    "user",
    "procurement",
    "blocker",
    "unknown",
)

#: A contact's stance towards us, from warmest to coldest (NULL: not known).
STANCES: tuple[str, ...] = ("advocate", "supporter", "neutral", "sceptic", "opponent")

#: How much weight a contact carries in the decision (NULL: not known).
INFLUENCE: tuple[str, ...] = ("high", "medium", "low")

#: A manager's forecast category for a deal (reviews.forecast).
FORECAST_CATEGORIES: tuple[str, ...] = ("commit", "best_case", "pipeline", "omitted")

#: Where a deal's next step was set (next_steps.source).
NEXT_STEP_SOURCES: tuple[str, ...] = ("deal", "review", "call", "import")

#: What a proposal read from a note is about (proposals.kind).
PROPOSAL_KINDS: tuple[str, ...] = ("contact", "role", "stance", "departure", "arrival")

REVIEW_AUTHORS: tuple[str, ...] = ("analyser", "rep", "manager")

STATUSES: tuple[str, ...] = ("missing", "mentioned", "specific", "validated", "gap")


def stage_index(stage: str) -> int:
    """Position of a stage in the funnel; unknown stages sort first."""
    try:
        return STAGES.index(stage)
    except ValueError:
        return -1


def at_or_after(stage: str, threshold: str) -> bool:
    """True when ``stage`` is an open stage at or beyond ``threshold``."""
    return stage in OPEN_STAGES and stage_index(stage) >= stage_index(threshold)
