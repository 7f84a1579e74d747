"""A contact's buying role, stance and influence as CRMs and people write them.

CRM exports carry these as free text or picklist labels, in English or French
("Decision Maker", "Décideur", "Sponsor exécutif", "Prescripteur"). Each maps
onto one value of the vocabularies in :mod:`kamcoach.domain.stages`; anything
else is refused with the list of accepted values, so a typo never silently
becomes "unknown". Values are compared after :func:`normalise` (case, accents,
punctuation), so "DÉCIDEUR" and "decideur" are the same word.
"""

from __future__ import annotations

from kamcoach.domain.stages import BUYING_ROLES, INFLUENCE, STANCES
from kamcoach.io.mapping import normalise

#: Label (English or French, as CRMs and teams write it) -> buying role.
ROLE_SYNONYMS: dict[str, str] = {
    # economic buyer: who signs and owns the budget
    "economic buyer": "economic_buyer",
    "economic decision maker": "economic_buyer",
    "decision maker": "economic_buyer",
    "budget holder": "economic_buyer",
    "acheteur economique": "economic_buyer",
    "decideur": "economic_buyer",
    "decideur economique": "economic_buyer",
    "decisionnaire": "economic_buyer",
    "detenteur du budget": "economic_buyer",
    # executive sponsor
    "executive sponsor": "executive_sponsor",
    "sponsor": "executive_sponsor",
    "sponsor executif": "executive_sponsor",
    # champion
    "champion": "champion",
    "coach": "influencer",  # folded into influencer by m011
    # technical evaluator
    "technical evaluator": "technical_evaluator",
    "technical buyer": "technical_evaluator",
    "evaluator": "technical_evaluator",
    "evaluateur": "technical_evaluator",
    "evaluateur technique": "technical_evaluator",
    "acheteur technique": "technical_evaluator",
    "expert technique": "technical_evaluator",
    # influencer
    "influencer": "influencer",
    "influenceur": "influencer",
    "prescripteur": "influencer",
    "prescriptrice": "influencer",
    # user
    "user": "user",
    "end user": "user",
    "business user": "user",
    "utilisateur": "user",
    "utilisateur final": "user",
    "utilisateur metier": "user",
    "utilisateur commercial": "user",
    # procurement (the paper process)
    "procurement": "procurement",
    "purchasing": "procurement",
    "legal compliance": "procurement",
    "legal and compliance": "procurement",
    "achats": "procurement",
    "acheteur": "procurement",
    "juridique et conformite": "procurement",
    # blocker
    "blocker": "blocker",
    "bloqueur": "blocker",
    "opposant": "blocker",
    # not known
    "unknown": "unknown",
    "other": "unknown",
    "autre": "unknown",
    "inconnu": "unknown",
}

STANCE_SYNONYMS: dict[str, str] = {
    "advocate": "advocate",
    "promoter": "advocate",
    "ambassadeur": "advocate",
    "ambassadrice": "advocate",
    "promoteur": "advocate",
    "defenseur": "advocate",
    "supporter": "supporter",
    "supportive": "supporter",
    "positive": "supporter",
    "favorable": "supporter",
    "soutien": "supporter",
    "positif": "supporter",
    "neutral": "neutral",
    "neutre": "neutral",
    "sceptic": "sceptic",
    "skeptic": "sceptic",
    "sceptical": "sceptic",
    "skeptical": "sceptic",
    "sceptique": "sceptic",
    "reserve": "sceptic",
    "opponent": "opponent",
    "against": "opponent",
    "hostile": "opponent",
    "negative": "opponent",
    "opposant": "opponent",
    "detracteur": "opponent",
    "contre": "opponent",
}

INFLUENCE_SYNONYMS: dict[str, str] = {
    "high": "high",
    "strong": "high",
    "haute": "high",
    "haut": "high",
    "elevee": "high",
    "eleve": "high",
    "forte": "high",
    "fort": "high",
    "medium": "medium",
    "moderate": "medium",
    "moyenne": "medium",
    "moyen": "medium",
    "low": "low",
    "weak": "low",
    "faible": "low",
    "basse": "low",
    "bas": "low",
}


def _lookup(value: str, synonyms: dict[str, str], allowed: tuple[str, ...], what: str) -> str:
    key = normalise(value)
    found = synonyms.get(key)
    if found is None and key.replace(" ", "_") in allowed:
        found = key.replace(" ", "_")
    if found is None:
        raise ValueError(f"unknown {what} {value!r} (allowed: {', '.join(allowed)})")
    return found


def buying_role(value: str) -> str:
    """The buying role ``value`` names; ValueError naming the allowed roles."""
    return _lookup(value, ROLE_SYNONYMS, BUYING_ROLES, "buying role")


def stance(value: str) -> str:
    """The stance ``value`` names; ValueError naming the allowed stances."""
    return _lookup(value, STANCE_SYNONYMS, STANCES, "stance")


def influence(value: str) -> str:
    """The influence level ``value`` names; ValueError naming the allowed levels."""
    return _lookup(value, INFLUENCE_SYNONYMS, INFLUENCE, "influence")
