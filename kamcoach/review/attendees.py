"""Who should be in the room: the deal's key buying roles, filled from its contacts.

The checklist lists, per key role, the contact who holds it on the deal (the
role in force, m011) or what to do when nobody does, and never contradicts the
scorecard or the proposals: a role no contact holds points to the person a
note names in it, or says the notes evidence it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kamcoach.domain.models import CriterionScore

#: Roles a deal needs in the room sooner or later, most important first.
KEY_ROLES: tuple[str, ...] = ("economic_buyer", "champion", "technical_evaluator")

ROLE_LABEL = {
    "en": {
        "economic_buyer": "economic buyer",
        "champion": "champion",
        "technical_evaluator": "technical evaluator",
    },
    "fr": {
        "economic_buyer": "décideur économique",
        "champion": "champion",
        "technical_evaluator": "évaluateur technique",
    },
}

MISSING_ROLE_ADVICE = {
    "en": {
        "economic_buyer": "no economic buyer identified: ask your champion to introduce them",
        "champion": "no champion identified: notice who gains most from the project and test them",
        "technical_evaluator": "no technical evaluator identified: ask who will assess "
        "the integration and invite them",
    },
    "fr": {
        "economic_buyer": "aucun décideur économique identifié : demandez à votre champion "
        "de vous le présenter",
        "champion": "aucun champion identifié : repérez qui gagne le plus au projet et testez-le",
        "technical_evaluator": "aucun évaluateur technique identifié : demandez qui évaluera "
        "l'intégration et invitez-le",
    },
}


@dataclass(slots=True)
class Attendee:
    """A buying role for the next meeting: who fills it, or what to do when nobody does."""

    role: str
    label: str
    name: str | None = None
    title: str | None = None
    note: str | None = None
    """Advice when the role is missing, or a warning (left the company, not engaged)."""

    @property
    def missing(self) -> bool:
        return self.name is None


#: The qualification criterion that evidences each key buying role.
ROLE_CRITERION = {"economic_buyer": "economic_buyer", "champion": "champion"}


def attendees_for(
    contacts: list[dict[str, Any]],
    lang: str,
    scores: Mapping[str, CriterionScore] | None = None,
    proposals: Sequence[Any] = (),
) -> list[Attendee]:
    """Who should attend, per key role, from the deal's contacts (the role in force).

    When no contact holds a role, the note says what the rest of kamcoach
    knows, so the checklist never contradicts the scorecard: a person a note
    names in that role waits as a proposal (accept it to add them), or the
    notes evidence the role (Champion 2/3) without anyone being linked to it.
    """
    labels = ROLE_LABEL.get(lang, ROLE_LABEL["en"])
    advice = MISSING_ROLE_ADVICE.get(lang, MISSING_ROLE_ADVICE["en"])
    fr = lang == "fr"
    out: list[Attendee] = []
    for role in KEY_ROLES:
        holders = [c for c in contacts if c.get("role") == role]  # effective role on the deal
        present = [c for c in holders if not c.get("left_company")]
        note: str | None
        if not present:
            note = _missing_role_note(role, labels[role], advice[role], scores, proposals, fr)
            if holders:
                gone = holders[0]["name"]
                note = (
                    f"{gone} a quitté l'entreprise ; " if fr else f"{gone} has left the company; "
                ) + note
            out.append(Attendee(role=role, label=labels[role], note=note))
            continue
        for c in present:
            note = None
            if not c.get("engaged", 1):
                note = (
                    f"{c['name']} n'est pas encore impliqué(e) : invitez-le/la"
                    if fr
                    else f"{c['name']} is not engaged yet: invite them"
                )
            out.append(
                Attendee(role=role, label=labels[role], name=c["name"], title=c["title"], note=note)
            )
    return out


def _missing_role_note(
    role: str,
    label: str,
    advice: str,
    scores: Mapping[str, CriterionScore] | None,
    proposals: Sequence[Any],
    fr: bool,
) -> str:
    named = next(
        (
            p
            for p in proposals
            if p.status == "open"
            and p.kind in ("contact", "role")
            and p.value == role
            and (p.name or p.contact_name)
        ),
        None,
    )
    if named is not None:
        who = named.contact_name or named.name
        if fr:
            return (
                f"une note nomme {who} {label} (proposition {named.id}) : acceptez-la pour "
                f"l'ajouter (w sur l'affaire, ou kamcoach proposals accept {named.id})"
            )
        return (
            f"a note names {who} as {label} (proposal {named.id}): accept it to add them "
            f"(w on the deal, or kamcoach proposals accept {named.id})"
        )
    criterion = ROLE_CRITERION.get(role)
    score = (scores or {}).get(criterion) if criterion else None
    if score is not None and score.score >= 2:
        if fr:
            return (
                f"les notes attestent un {label} ({score.score}/3) mais aucun contact n'a ce "
                "rôle sur l'affaire : ajoutez-le ou liez-le (k sur l'affaire)"
            )
        return (
            f"the notes show a {label} ({score.score}/3) but no contact holds the role on "
            "this deal: add or link them (k on the deal)"
        )
    return advice
