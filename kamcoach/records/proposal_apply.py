"""What accepting a proposal changes: the contact, its link to the deal, the scorecard.

Called by :func:`kamcoach.records.proposals.accept` inside its write
transaction; nothing here commits. A new contact is created on the account
(``source = 'note'``) and linked to the deal with a NULL per-deal role unless
the rep gave one that differs (the m011 rule); a role, a stance or a
departure updates the contact; an unnamed arrival changes nothing but its own
status. An accepted economic buyer or champion raises that criterion to
"specific" through a rep review that quotes the note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from kamcoach.clock import iso_now, now
from kamcoach.domain.models import CriterionScore, Evidence, Review
from kamcoach.domain.scoring import overall_score
from kamcoach.domain.stages import PROPOSAL_KINDS
from kamcoach.errors import InputError
from kamcoach.records import contact_checks as check
from kamcoach.records import contacts as records
from kamcoach.storage import repo

if TYPE_CHECKING:
    from kamcoach.records.proposals import Proposal

#: The criterion an accepted role stands for, first one the deal's playbook has.
ROLE_CRITERIA: dict[str, tuple[str, ...]] = {
    "economic_buyer": ("economic_buyer", "authority"),
    "champion": ("champion",),
}
#: A named person is specific evidence (level 2), never "validated" on its own.
ACCEPTED_LEVEL = 2


@dataclass(slots=True)
class Applied:
    """The contact an accepted proposal made or changed, and what changed, in words."""

    contact_id: int | None = None
    created: bool = False
    changes: tuple[str, ...] = ()


def _account_contacts(db: Database, account_id: int) -> list[dict[str, Any]]:
    return repo._rows(
        db,
        "SELECT id, name, title, buying_role, stance, left_company FROM contacts "
        "WHERE account_id = ? ORDER BY id",
        [account_id],
    )


def _find_contact(db: Database, proposal: Proposal, name: str | None) -> dict[str, Any] | None:
    """The contact the proposal is about: its link, else the (edited) name on the account.

    Fuzzy (rapidfuzz, first name only, typos) like the extractor, then exact
    as the contact records compare names, so accepting never makes a duplicate.
    """
    from kamcoach.analysis.people import link_contact

    contacts = _account_contacts(db, proposal.account_id)
    if proposal.contact_id is not None and name is None:
        return next((c for c in contacts if c["id"] == proposal.contact_id), None)
    wanted = name or proposal.name
    if not wanted:
        return None
    key = check.same_person_key(wanted)
    same = next((c for c in contacts if check.same_person_key(str(c["name"])) == key), None)
    return same or link_contact(wanted, contacts)


def _create_contact(db: Database, proposal: Proposal, name: str, **fields: Any) -> int:
    """A new contact on the account through the contact records (same checks as by hand)."""
    left = fields.pop("left_company", False)
    contact = records.add_contact(db, proposal.account_id, name, force=True, **fields)
    db.execute("UPDATE contacts SET source = 'note' WHERE id = ?", [contact.id])
    if left:
        records.mark_left(db, contact.id)
    return contact.id


def _link(db: Database, deal_id: int, contact_id: int, deal_role: str | None) -> None:
    """Put the contact on the deal (engaged); a per-deal role only when the rep gave one.

    An existing link keeps its role and engagement unless a deal role is given.
    """
    linked = db.execute(
        "SELECT 1 FROM opportunity_contacts WHERE opportunity_id = ? AND contact_id = ?",
        [deal_id, contact_id],
    ).fetchone()
    if linked is None or deal_role:
        records.link_contact(db, deal_id, contact_id, role=deal_role, engaged=None)


def _update(db: Database, contact_id: int, **fields: Any) -> None:
    records.edit_contact(db, contact_id, fields)


def _title_role(title: str | None, lang: str | None) -> str | None:
    """The buying role a title suggests in the note's language ("CFO" -> economic buyer)."""
    if not title:
        return None
    from kamcoach.analysis.language import unaccent
    from kamcoach.analysis.people_rules import load_people_rules

    wanted = unaccent(title.lower())
    rules = load_people_rules(lang if lang in ("en", "fr") else "en")
    for role, titles in rules.titles.items():
        if role != "none" and any(unaccent(t.lower()) == wanted for t in titles):
            return role
    return None


def apply(
    db: Database,
    proposal: Proposal,
    name: str | None,
    role: str | None,
    deal_role: str | None,
) -> Applied:
    """Make the change the proposal says, with the rep's edits (inside accept's transaction)."""
    kind = proposal.kind
    if kind not in PROPOSAL_KINDS:
        raise InputError(f"proposal {proposal.id}: unknown kind {kind!r}")
    applied = Applied()
    contact = _find_contact(db, proposal, name)
    person = name or proposal.name
    wanted_role = role or (proposal.value if kind in ("contact", "role") else None)
    if kind == "arrival":
        wanted_role = role or _title_role(proposal.value, proposal.lang)
    changes: list[str] = []

    if kind == "departure":
        if contact is None and not person:
            raise InputError(
                f"proposal {proposal.id}: the note does not say who left; "
                "give --name with the contact's name"
            )
        if contact is None:
            cid = _create_contact(
                db, proposal, str(person), title=proposal.title, left_company=True
            )
            applied.created = True
            changes.append(f"{person} recorded as a former contact")
        else:
            cid = int(contact["id"])
            _update(db, cid, left_company=True)
            changes.append(f"{contact['name']} marked as having left the company")
        applied.contact_id = cid
        applied.changes = tuple(changes)
        return applied

    if kind == "arrival" and contact is None and not person:
        applied.changes = (f"arrival of a new {proposal.value or 'person'} recorded",)
        return applied

    if contact is None:
        if not person:
            raise InputError(f"proposal {proposal.id}: no name; give --name")
        title = proposal.value if kind == "arrival" else proposal.title
        cid = _create_contact(
            db,
            proposal,
            person,
            title=title,
            buying_role=wanted_role if not deal_role else None,
            stance=proposal.value if kind == "stance" else None,
        )
        applied.created = True
        changes.append(f"contact {person} created on the account")
    else:
        cid = int(contact["id"])
        fields: dict[str, Any] = {}
        if kind == "stance" and proposal.value != contact.get("stance"):
            fields["stance"] = proposal.value
        if wanted_role and not deal_role and wanted_role != contact.get("buying_role"):
            fields["buying_role"] = wanted_role
        title = proposal.value if kind == "arrival" else proposal.title
        if title and not contact.get("title"):
            fields["title"] = title
        if fields:
            _update(db, cid, **fields)
        changes.extend(f"{contact['name']}: {k.replace('_', ' ')} {v}" for k, v in fields.items())
    _link(db, proposal.opportunity_id, cid, deal_role)
    if deal_role:
        changes.append(f"role on this deal: {deal_role}")
    applied.contact_id = cid
    applied.changes = tuple(changes)
    return applied


def same_person(db: Database, proposal: Proposal, contact_id: int, by: str) -> None:
    """Other open proposals naming the same person now point at the contact.

    A second "new contact" or "arrival" for the same name is the same applied:
    it is accepted with this one (result_contact_id says so). Roles, stances and
    departures stay open, linked to the contact, for the rep to decide.
    """
    name = db.execute("SELECT name FROM contacts WHERE id = ?", [contact_id]).fetchone()[0]
    names = {n.lower() for n in (proposal.name, name) if n}
    if not names:
        return
    marks = ", ".join("?" * len(names))
    db.execute(
        f"""
        UPDATE proposals SET status = 'accepted', decided_at = ?, decided_by = ?,
               result_contact_id = ?
        WHERE account_id = ? AND status = 'open' AND id != ? AND contact_id IS NULL
          AND kind IN ('contact', 'arrival') AND lower(name) IN ({marks})
        """,
        [iso_now(), by, contact_id, proposal.account_id, proposal.id, *names],
    )
    db.execute(
        f"""
        UPDATE OR IGNORE proposals SET contact_id = ?
        WHERE account_id = ? AND status = 'open' AND contact_id IS NULL
          AND lower(name) IN ({marks})
        """,
        [contact_id, proposal.account_id, *names],
    )


def raise_criterion(
    db: Database, proposal: Proposal, contact_id: int, by: str, playbooks: Any
) -> tuple[str, ...]:
    """An accepted economic buyer or champion on the deal raises that criterion to specific.

    Written as a rep score quoting the note, so the scorecard, the flags and
    the deal's contacts agree; a score already at "specific" or above stays.
    """
    from kamcoach.review.deal_analysis import effective_scores

    row = db.execute(
        "SELECT COALESCE(oc.role, c.buying_role), c.left_company, c.name "
        "FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id "
        "WHERE oc.opportunity_id = ? AND oc.contact_id = ?",
        [proposal.opportunity_id, contact_id],
    ).fetchone()
    if row is None or row[1] or row[0] not in ROLE_CRITERIA:
        return ()
    if playbooks is None:
        from kamcoach.playbooks.loader import load_playbooks

        playbooks = load_playbooks()
    deal = repo.get_deal(db, proposal.opportunity_id)
    pb = playbooks.playbook(deal["playbook"])
    criterion = next((c for c in ROLE_CRITERIA[row[0]] if c in pb.criteria_ids), None)
    if criterion is None:
        return ()
    label = playbooks.criteria[criterion].name.get("en")
    manager = db.execute(
        "SELECT s.score FROM reviews r JOIN review_scores s ON s.review_id = r.id "
        "WHERE r.opportunity_id = ? AND r.author_kind = 'manager' AND s.criterion = ? "
        "AND (s.verdict IS NULL OR s.verdict = 'corrected') "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
        [deal["id"], criterion],
    ).fetchone()
    if manager is not None:
        # A manager's correction is in force (m014): a rep score would not replace it.
        return (f"{label} stays at the manager's {manager[0]}/3",)
    scores = effective_scores(db, deal["id"], playbooks)
    current = scores.get(criterion)
    if current is not None and current.score >= ACCEPTED_LEVEL:
        return ()
    evidence = Evidence(
        proposal.quote,
        proposal.span_start or 0,
        proposal.span_end or len(proposal.quote),
        False,
        proposal.note_id,
    )
    scores[criterion] = CriterionScore(criterion, ACCEPTED_LEVEL, "specific", [evidence])
    repo.save_review(
        db,
        Review(
            opportunity_id=deal["id"],
            playbook=pb.id,
            author_kind="rep",
            scores={criterion: scores[criterion]},
            overall=overall_score(pb, scores),
            created_at=now(),
            author=by,
            stage=deal["stage"],
            comment=f"{row[2]} accepted as {row[0].replace('_', ' ')} (proposal {proposal.id})",
        ),
    )
    return (f"{label} raised to {ACCEPTED_LEVEL}/3 (specific), quoting the note",)
