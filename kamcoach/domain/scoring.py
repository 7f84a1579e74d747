"""Pure scoring rules shared by the analyser, the reviews and the interfaces.

Kept free of spaCy and SQLite so that a manager's override, an analyser
result and a pipeline report all compute the overall score and the stage
gate the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kamcoach.domain.models import CriterionScore
from kamcoach.playbooks.model import Playbook

#: Status implied by a score when there is no explicit gap.
STATUS_BY_SCORE = {0: "missing", 1: "mentioned", 2: "specific", 3: "validated"}


def status_for(score: int, *, gap: bool = False) -> str:
    if gap and score == 0:
        return "gap"
    return STATUS_BY_SCORE[max(0, min(3, score))]


def overall_score(playbook: Playbook, scores: Mapping[str, CriterionScore | int]) -> float:
    """Weighted 0-100 score over the playbook's criteria (missing criteria count 0)."""
    total_weight = sum(playbook.weights.values())
    if total_weight <= 0:
        return 0.0
    got = 0.0
    for cid, weight in playbook.weights.items():
        value = scores.get(cid)
        score = value.score if isinstance(value, CriterionScore) else int(value or 0)
        got += weight * score / 3
    return round(100 * got / total_weight, 1)


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """Which criteria are below the playbook's minimum for the deal's stage."""

    stage: str
    below: dict[str, tuple[int, int]] = field(default_factory=dict)
    """criterion id -> (score, minimum required)"""

    @property
    def passed(self) -> bool:
        return not self.below


def gate_verdict(
    playbook: Playbook, stage: str, scores: Mapping[str, CriterionScore | int]
) -> GateVerdict:
    below: dict[str, tuple[int, int]] = {}
    for cid, minimum in playbook.gate(stage).items():
        value = scores.get(cid)
        score = value.score if isinstance(value, CriterionScore) else int(value or 0)
        if score < minimum:
            below[cid] = (score, minimum)
    return GateVerdict(stage=stage, below=below)
