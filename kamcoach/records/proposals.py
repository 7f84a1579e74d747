"""What the notes propose about people, and the rep's decision on each (``proposals``).

The people extractor (:mod:`kamcoach.analysis.people_extract`) reads a note
when it is analysed; its proposals are stored here, in the same transaction as
the note's analysis, and wait for the rep. Nothing is applied until the rep
accepts a proposal: accepting a new contact creates it on the account and links
it to the deal, a role or a stance updates the contact, a departure marks the
contact as gone, an arrival creates the newcomer (or, unnamed, stays recorded
for the relationship map). Both decisions keep who decided and when.

Accepted people feed the flags and the checklist through the contacts they
create (``single_threaded`` counts engaged contacts, the checklist lists them),
and an accepted economic buyer or champion also raises the matching criterion
to "specific" through a rep review quoting the note, so the scorecard, the
``no_power`` / ``no_champion`` flags and the contact list say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_now, now
from kamcoach.domain.models import CriterionScore, Evidence, Review
from kamcoach.domain.scoring import overall_score
from kamcoach.domain.stages import BUYING_ROLES, PROPOSAL_KINDS
from kamcoach.errors import InputError, NotFoundError
from kamcoach.storage import repo
from kamcoach.storage.tx import write_transaction

PROPOSAL_STATUSES: tuple[str, ...] = ("open", "accepted", "dismissed")
#: Roles an accepted proposal may give (``unknown`` is what no one proposes).
ROLES: tuple[str, ...] = tuple(r for r in BUYING_ROLES if r != "unknown")
#: The criterion an accepted role stands for, first one the deal's playbook has.
ROLE_CRITERIA: dict[str, tuple[str, ...]] = {
    "economic_buyer": ("economic_buyer", "authority"),
    "champion": ("champion",),
}
#: Kinds that say the same sort of thing about a person (a decided one covers the others).
FAMILY: dict[str, str] = {
    "contact": "who",
    "role": "who",
    "arrival": "who",
    "stance": "stance",
    "departure": "departure",
}
#: A named person is specific evidence (level 2), never "validated" on its own.
ACCEPTED_LEVEL = 2


@dataclass(slots=True)
class Proposal:
    """One stored proposal with what the interfaces show next to it."""

    id: int
    note_id: int
    opportunity_id: int
    account_id: int
    kind: str
    contact_id: int | None
    name: str | None
    title: str | None
    value: str | None
    quote: str
    span_start: int | None
    span_end: int | None
    lang: str | None
    status: str
    created_at: str
    decided_at: str | None = None
    decided_by: str | None = None
    result_contact_id: int | None = None
    contact_name: str | None = None
    """The linked contact's name (when ``contact_id`` is set)."""
    deal_name: str | None = None
    note_date: str | None = None

    def who(self) -> str:
        """Who it is about, as a rep reads it."""
        if self.contact_name:
            return self.contact_name
        if self.name:
            return self.name
        return f"({self.title or self.value or 'unnamed'})"

    def says(self) -> str:
        """What it proposes, in a few words."""
        value = (self.value or "").replace("_", " ")
        if self.kind == "contact":
            extra = ", ".join(x for x in (self.title, value) if x)
            return f"new contact{f' ({extra})' if extra else ''}"
        if self.kind == "role":
            return f"role: {value}"
        if self.kind == "stance":
            return f"stance: {value}"
        if self.kind == "departure":
            return "left the company" + (f" ({value})" if value else "")
        return f"arrived{f' as {self.value}' if self.value else ''}"


@dataclass(slots=True)
class Decision:
    """What accepting or dismissing did, for the CLI and the TUI to say."""

    proposal: Proposal
    contact_id: int | None = None
    created_contact: bool = False
    changes: tuple[str, ...] = ()


_SELECT = """
    SELECT p.*, c.name AS contact_name, o.name AS deal_name, n.created_at AS note_date
    FROM proposals p
    LEFT JOIN contacts c ON c.id = p.contact_id
    JOIN opportunities o ON o.id = p.opportunity_id
    JOIN notes n ON n.id = p.note_id
"""


def _proposal(row: dict[str, Any]) -> Proposal:
    fields: dict[str, Any] = {k: row.get(k) for k in Proposal.__dataclass_fields__}
    return Proposal(**fields)


# ---------------------------------------------------------------- writing (analysis)


def store_note_proposals(
    db: Database, note_id: int, deal_id: int, account_id: int, proposals: Sequence[Any]
) -> int:
    """Store what one note proposes (call inside the analysis' write transaction).

    ``INSERT OR IGNORE`` on the table's unique key: analysing a note again never
    duplicates a proposal, and never reopens one the rep dismissed or accepted.
    Open proposals the note no longer makes (its text or the rules changed)
    are removed. Returns how many rows were new.
    """
    created = iso_now()
    keys = set()
    new = 0
    # The rep's decision on a sentence stands: once "Anna (procurement)" was accepted as
    # the economic buyer, reading the note again does not propose her role a second time.
    decided = {
        (FAMILY[kind], contact)
        for kind, a, b in db.execute(
            "SELECT kind, contact_id, result_contact_id FROM proposals "
            "WHERE note_id = ? AND status != 'open'",
            [note_id],
        ).fetchall()
        for contact in (a, b)
        if contact is not None
    }
    for p in proposals:
        if p.contact_id is not None and (FAMILY[p.kind], p.contact_id) in decided:
            continue
        keys.add(
            (
                p.kind,
                -1 if p.contact_id is None else p.contact_id,
                (p.name or "").lower(),
                p.value or "",
            )
        )
        cursor = db.execute(
            """
            INSERT OR IGNORE INTO proposals (note_id, opportunity_id, account_id, kind,
                contact_id, name, title, value, quote, span_start, span_end, lang, status,
                created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)
            """,
            [
                note_id,
                deal_id,
                account_id,
                p.kind,
                p.contact_id,
                p.name,
                p.title,
                p.value,
                p.quote,
                p.start,
                p.end,
                p.lang,
                created,
            ],
        )
        new += cursor.rowcount
    stale = [
        pid
        for pid, kind, contact_id, name, value in db.execute(
            "SELECT id, kind, contact_id, name, value FROM proposals "
            "WHERE note_id = ? AND status = 'open'",
            [note_id],
        ).fetchall()
        if (kind, -1 if contact_id is None else contact_id, (name or "").lower(), value or "")
        not in keys
    ]
    if stale:
        db.execute(f"DELETE FROM proposals WHERE id IN ({', '.join('?' * len(stale))})", stale)
    return new


def extractor_contacts(db: Database, deal_id: int, account_id: int) -> list[dict[str, Any]]:
    """The account's contacts as the extractor links names to them.

    ``role`` is the effective role on this deal (the per-deal role, else the
    contact's buying role), ``on_deal`` whether the contact is linked to it.
    """
    return repo._rows(
        db,
        """
        SELECT c.id, c.name, c.title, c.buying_role, c.stance, c.left_company,
               COALESCE(oc.role, c.buying_role) AS role,
               oc.contact_id IS NOT NULL AS on_deal
        FROM contacts c
        LEFT JOIN opportunity_contacts oc ON oc.contact_id = c.id AND oc.opportunity_id = ?
        WHERE c.account_id = ?
        ORDER BY c.id
        """,
        [deal_id, account_id],
    )


# ---------------------------------------------------------------- reading


def list_proposals(
    db: Database,
    *,
    deal_id: int | None = None,
    account_id: int | None = None,
    status: str = "open",
) -> list[Proposal]:
    """Proposals of a deal or an account (or all), by ``status`` ('all' for every one)."""
    if status != "all" and status not in PROPOSAL_STATUSES:
        raise InputError(
            f"unknown status {status!r} (allowed: {', '.join(PROPOSAL_STATUSES)}, all)"
        )
    where: list[str] = []
    params: list[Any] = []
    if deal_id is not None:
        where.append("p.opportunity_id = ?")
        params.append(deal_id)
    if account_id is not None:
        where.append("p.account_id = ?")
        params.append(account_id)
    if status != "all":
        where.append("p.status = ?")
        params.append(status)
    sql = _SELECT + (f" WHERE {' AND '.join(where)}" if where else "")
    sql += " ORDER BY n.created_at, p.note_id, p.span_start, p.id"
    return [_proposal(r) for r in repo._rows(db, sql, params)]


def get_proposal(db: Database, proposal_id: int | str) -> Proposal:
    try:
        pid = int(proposal_id)
    except (TypeError, ValueError):
        raise InputError(f"proposal id {proposal_id!r} is not a number") from None
    row = repo._one(db, _SELECT + " WHERE p.id = ?", [pid])
    if row is None:
        raise NotFoundError(f"no proposal with id {pid} (kamcoach proposals list --status all)")
    return _proposal(row)


# ---------------------------------------------------------------- deciding


def _who_decides(author: str | None) -> str:
    if author and author.strip():
        return author.strip()
    from kamcoach.preferences import load_user

    return load_user().name


def _open(db: Database, proposal_id: int | str) -> Proposal:
    proposal = get_proposal(db, proposal_id)
    if proposal.status != "open":
        raise InputError(
            f"proposal {proposal.id} is already {proposal.status}"
            f" (by {proposal.decided_by or '?'} on {(proposal.decided_at or '?')[:10]})"
        )
    return proposal


def _check_role(role: str | None, option: str) -> None:
    if role is not None and role not in ROLES:
        raise InputError(f"{option} {role!r}: unknown buying role (allowed: {', '.join(ROLES)})")


def dismiss(db: Database, proposal_id: int | str, *, author: str | None = None) -> Decision:
    """The rep says the note does not mean this; it is kept, dismissed, and never reopened."""
    by = _who_decides(author)
    with write_transaction(db):
        proposal = _open(db, proposal_id)
        db.execute(
            "UPDATE proposals SET status = 'dismissed', decided_at = ?, decided_by = ? "
            "WHERE id = ?",
            [iso_now(), by, proposal.id],
        )
        repo.mark_user_data(db)
    return Decision(get_proposal(db, proposal.id))


def accept(
    db: Database,
    proposal_id: int | str,
    *,
    name: str | None = None,
    role: str | None = None,
    deal_role: str | None = None,
    author: str | None = None,
    playbooks: Any = None,
) -> Decision:
    """Apply a proposal, with the rep's edits (``name``, ``role``, ``deal_role``).

    ``role`` replaces the proposed buying role (contact, role, arrival);
    ``deal_role`` sets the role on this deal only, leaving the contact's own.
    One transaction: the contact change, the deal link, the decision and,
    for an economic buyer or a champion, the rep score quoting the note.
    """
    _check_role(role, "--role")
    _check_role(deal_role, "--deal-role")
    if name is not None and not name.strip():
        raise InputError("--name is empty")
    by = _who_decides(author)
    with write_transaction(db):
        proposal = _open(db, proposal_id)
        decision = _apply(db, proposal, name.strip() if name else None, role, deal_role)
        db.execute(
            "UPDATE proposals SET status = 'accepted', decided_at = ?, decided_by = ?, "
            "result_contact_id = ? WHERE id = ?",
            [iso_now(), by, decision.contact_id, proposal.id],
        )
        if decision.contact_id is not None:
            _same_person(db, proposal, decision.contact_id, by)
            decision.changes += _raise_criterion(db, proposal, decision.contact_id, by, playbooks)
        repo.mark_user_data(db)
    decision.proposal = get_proposal(db, proposal.id)
    return decision


def _account_contacts(db: Database, account_id: int) -> list[dict[str, Any]]:
    return repo._rows(
        db,
        "SELECT id, name, title, buying_role, stance, left_company FROM contacts "
        "WHERE account_id = ? ORDER BY id",
        [account_id],
    )


def _find_contact(db: Database, proposal: Proposal, name: str | None) -> dict[str, Any] | None:
    """The contact the proposal is about: its link, else the (edited) name on the account."""
    from kamcoach.analysis.people import link_contact

    contacts = _account_contacts(db, proposal.account_id)
    if proposal.contact_id is not None and name is None:
        return next((c for c in contacts if c["id"] == proposal.contact_id), None)
    wanted = name or proposal.name
    if not wanted:
        return None
    return link_contact(wanted, contacts)


def _create_contact(db: Database, proposal: Proposal, name: str, **fields: Any) -> int:
    row = {
        "account_id": proposal.account_id,
        "name": name,
        "title": fields.pop("title", None),
        "buying_role": fields.pop("buying_role", None) or "unknown",
        "left_company": fields.pop("left_company", 0),
        "source": "note",
        "created_at": iso_now(),
        "updated_at": iso_now(),
        **fields,
    }
    table = db.table("contacts")
    table.insert(row)
    return int(table.last_pk or 0)


def _link(db: Database, deal_id: int, contact_id: int, deal_role: str | None) -> None:
    """Link the contact to the deal; a per-deal role only when it differs from the contact's."""
    own = db.execute("SELECT buying_role FROM contacts WHERE id = ?", [contact_id]).fetchone()[0]
    per_deal = deal_role if deal_role and deal_role != own else None
    db.execute(
        "INSERT OR IGNORE INTO opportunity_contacts (opportunity_id, contact_id, role, engaged) "
        "VALUES (?, ?, ?, 1)",
        [deal_id, contact_id, per_deal],
    )
    if deal_role:
        db.execute(
            "UPDATE opportunity_contacts SET role = ? WHERE opportunity_id = ? AND contact_id = ?",
            [per_deal, deal_id, contact_id],
        )


def _update(db: Database, contact_id: int, **fields: Any) -> None:
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(
        f"UPDATE contacts SET {sets}, updated_at = ? WHERE id = ?",
        [*fields.values(), iso_now(), contact_id],
    )


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


def _apply(
    db: Database,
    proposal: Proposal,
    name: str | None,
    role: str | None,
    deal_role: str | None,
) -> Decision:
    kind = proposal.kind
    if kind not in PROPOSAL_KINDS:
        raise InputError(f"proposal {proposal.id}: unknown kind {kind!r}")
    decision = Decision(proposal)
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
            cid = _create_contact(db, proposal, str(person), title=proposal.title, left_company=1)
            decision.created_contact = True
            changes.append(f"{person} recorded as a former contact")
        else:
            cid = int(contact["id"])
            _update(db, cid, left_company=1)
            changes.append(f"{contact['name']} marked as having left the company")
        decision.contact_id = cid
        decision.changes = tuple(changes)
        return decision

    if kind == "arrival" and contact is None and not person:
        decision.changes = (f"arrival of a new {proposal.value or 'person'} recorded",)
        return decision

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
        decision.created_contact = True
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
    decision.contact_id = cid
    decision.changes = tuple(changes)
    return decision


def _same_person(db: Database, proposal: Proposal, contact_id: int, by: str) -> None:
    """Other open proposals naming the same person now point at the contact.

    A second "new contact" or "arrival" for the same name is the same decision:
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


def _raise_criterion(
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
    label = playbooks.criteria[criterion].name.get("en")
    return (f"{label} raised to {ACCEPTED_LEVEL}/3 (specific), quoting the note",)
