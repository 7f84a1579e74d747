"""People named in a note: who they are (title) and what they do for the deal (role).

A person is an economic-buyer candidate when a role word of power sits next to
the name (CFO, DAF, DG, "directeur financier") or when the clause says they
sign or hold the budget; a champion candidate when the clause reports an
*action* for us ("pushes internally", "nous a présenté", "shared the internal
deck"), never mere enthusiasm. Names are linked to the deal's known contacts
with rapidfuzz (accents, typos, first name only); the others are proposed as
new contacts (``contact_id`` is None). The reading itself is the people
extractor's (:mod:`kamcoach.analysis.people_extract`); this module holds the
name matching it and the analyser share.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kamcoach.analysis.language import unaccent
from kamcoach.analysis.result import Person, PersonProposal

#: A first-name-only or typo'd mention links to a contact at this similarity (0-100).
LINK_THRESHOLD = 85.0


def norm_name(name: str) -> str:
    return " ".join(unaccent(name).lower().replace("-", " ").split())


def link_contact(name: str, contacts: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The contact ``name`` refers to, or None when no contact is close enough or two are."""
    if not contacts:
        return None
    from rapidfuzz import fuzz

    target = norm_name(name)
    if not target:
        return None
    scored: list[tuple[float, int]] = []
    for i, contact in enumerate(contacts):
        full = norm_name(str(contact.get("name") or ""))
        if not full:
            continue
        parts = full.split()
        if len(target.split()) == 1:
            # First name (or surname) only: compare with each part of the contact's name.
            score = max(fuzz.ratio(target, part) for part in parts)
        else:
            score = max(fuzz.ratio(target, full), fuzz.token_sort_ratio(target, full))
        scored.append((score, i))
    if not scored:
        return None
    scored.sort(reverse=True)
    best, index = scored[0]
    if best < LINK_THRESHOLD:
        return None
    if len(scored) > 1 and scored[1][0] >= best - 0.01 and best < 100:
        return None  # ambiguous: two contacts match equally well
    if len(scored) > 1 and scored[1][0] == 100 and best == 100 and len(target.split()) == 1:
        return None  # "Marie" when the deal has two Maries
    return contacts[index]


def contact_mentions(text: str, contacts: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """Character spans where a known contact's full or first name appears (accent-blind)."""
    if not contacts:
        return []
    haystack = unaccent(text).lower()
    spans: list[tuple[int, int]] = []
    for contact in contacts:
        full = norm_name(str(contact.get("name") or ""))
        if not full:
            continue
        forms = [full]
        first = full.split()[0]
        if len(first) >= 3:
            forms.append(first)
        for form in forms:
            pattern = r"(?<!\w)" + r"[\s-]+".join(map(re.escape, form.split())) + r"(?!\w)"
            for m in re.finditer(pattern, haystack):
                spans.append((m.start(), m.end()))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            continue
        merged.append((start, end))
    return merged


def people_of(proposals: Sequence[PersonProposal]) -> list[Person]:
    """The people a note names with a title or a role, one per person (for ``analyze``).

    Read from the note's proposals (:mod:`kamcoach.analysis.people_extract`), so
    the people list and the proposals never disagree. An advocate is a champion
    candidate.
    """
    out: dict[str, Person] = {}
    for p in proposals:
        if p.name is None and p.contact_id is None:
            continue
        key = (
            f"contact:{p.contact_id}"
            if p.contact_id is not None
            else "name:" + norm_name(p.name or "")
        )
        person = out.get(key)
        if person is None:
            person = out[key] = Person(
                name=p.name or "", title=p.title, contact_id=p.contact_id, start=p.start, end=p.end
            )
        person.title = person.title or p.title
        if p.kind in ("contact", "role") and p.value:
            person.role = p.value
        elif p.kind == "stance" and p.value == "advocate" and person.role is None:
            person.role = "champion"
    return list(out.values())
