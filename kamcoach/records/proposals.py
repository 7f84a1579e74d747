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

from kamcoach.clock import iso_now
from kamcoach.domain.stages import BUYING_ROLES
from kamcoach.errors import InputError, NotFoundError
from kamcoach.records import proposal_apply as applying
from kamcoach.storage import repo
from kamcoach.storage.tx import write_transaction

PROPOSAL_STATUSES: tuple[str, ...] = ("open", "accepted", "dismissed")
#: Roles an accepted proposal may give (``unknown`` is what no one proposes).
ROLES: tuple[str, ...] = tuple(r for r in BUYING_ROLES if r != "unknown")
#: Kinds that say the same sort of thing about a person (a decided one covers the others).
FAMILY: dict[str, str] = {
    "contact": "who",
    "role": "who",
    "arrival": "who",
    "stance": "stance",
    "departure": "departure",
}


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
    decided: set[tuple[str, object]] = set()
    for kind, a, b, name in db.execute(
        "SELECT kind, contact_id, result_contact_id, name FROM proposals "
        "WHERE note_id = ? AND status != 'open'",
        [note_id],
    ).fetchall():
        decided.update((FAMILY[kind], c) for c in (a, b) if c is not None)
        if name:
            decided.add((FAMILY[kind], name.lower()))
    for p in proposals:
        family = FAMILY[p.kind]
        if (p.contact_id is not None and (family, p.contact_id) in decided) or (
            p.name and (family, p.name.lower()) in decided
        ):
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
        done = applying.apply(db, proposal, name.strip() if name else None, role, deal_role)
        db.execute(
            "UPDATE proposals SET status = 'accepted', decided_at = ?, decided_by = ?, "
            "result_contact_id = ? WHERE id = ?",
            [iso_now(), by, done.contact_id, proposal.id],
        )
        changes = list(done.changes)
        if done.contact_id is not None:
            applying.same_person(db, proposal, done.contact_id, by)
            changes += applying.raise_criterion(db, proposal, done.contact_id, by, playbooks)
        repo.mark_user_data(db)
    return Decision(get_proposal(db, proposal.id), done.contact_id, done.created, tuple(changes))
