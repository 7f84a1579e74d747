"""Methodology playbooks (MEDDIC, MEDDPICC, BANT, Natural Selling) kept as data."""

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import (
    Criterion,
    Phase,
    Playbook,
    PlaybookSet,
    Question,
    Stage,
)

__all__ = [
    "Criterion",
    "Phase",
    "Playbook",
    "PlaybookSet",
    "Question",
    "Stage",
    "load_playbooks",
]
