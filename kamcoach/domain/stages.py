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

BUYING_ROLES: tuple[str, ...] = (
    "economic_buyer",
    "champion",
    "technical_evaluator",
    "user",
    "influencer",
    "coach",
    "blocker",
    "procurement",
    "unknown",
)

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
