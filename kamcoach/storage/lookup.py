"""What a mistyped deal or owner probably meant: the hint of every "not found".

``repo.get_deal`` is the one resolver behind every command and screen taking a
deal (id, ``#id`` or exact name, case aside); when nothing matches, the error
offers the closest deal names with their ids. It never acts on the guess: a
command that writes (a note, a close, a manager review) must name its deal
exactly, and a read is cheap to retype, so suggesting is enough everywhere.
"""

from __future__ import annotations

from sqlite_utils import Database

from kamcoach.domain.fuzzy import close_matches, did_you_mean
from kamcoach.domain.ids import is_utf8
from kamcoach.errors import InputError


def deal_hint(db: Database, ref: str | int) -> str:
    """``"; did you mean 'Acme renewal' (#12)?"`` for a deal reference that matched nothing."""
    text = str(ref).strip()
    if not text or not is_utf8(text) or text.lstrip("#").isdigit():
        return ""
    rows = db.execute("SELECT id, name FROM opportunities ORDER BY id").fetchall()
    ids: dict[str, list[int]] = {}
    for deal_id, name in rows:
        ids.setdefault(name, []).append(deal_id)
    names = close_matches(text, ids)
    return did_you_mean([f"{name!r} (#{', #'.join(map(str, ids[name]))})" for name in names])


def owners(db: Database) -> list[str]:
    """Every owner of a deal and every rep, for checks and completion."""
    found = [
        r[0]
        for r in db.execute(
            "SELECT owner FROM opportunities UNION SELECT name FROM reps ORDER BY 1"
        ).fetchall()
        if r[0]
    ]
    return list(dict.fromkeys(found))


def check_owner(db: Database, owner: str) -> str:
    """The owner as stored (case aside), or an InputError naming the closest ones.

    An unknown rep is a typo, not an empty pipeline: ``--owner`` on a listing
    never answers "no deals" for a name nobody has.
    """
    known = owners(db)
    if is_utf8(owner):
        for name in known:
            if name.lower() == owner.lower():
                return name
    hint = did_you_mean([repr(n) for n in close_matches(owner, known)]) if is_utf8(owner) else ""
    raise InputError(f"unknown owner {owner!r}{hint} (known: {', '.join(known) or 'none'})")


def owner_for_write(db: Database, owner: str) -> str:
    """The owner to store for a deal added or edited by hand.

    A known rep (case aside) is written as stored; a name close to a known
    rep but not one ("Camile Martin") is refused with "did you mean", since
    writing it would quietly create a second rep; a name close to nobody is a
    new rep, as before.
    """
    if not is_utf8(owner):
        return owner  # the write's own checks say what is wrong with it
    known = owners(db)
    for name in known:
        if name.lower() == owner.strip().lower():
            return name
    close = close_matches(owner, known)
    if close:
        hint = did_you_mean([repr(n) for n in close])
        raise InputError(
            f"unknown owner {owner!r}{hint} (a new rep? add them first: "
            f"`kamcoach reps add {owner!r}`); nothing was written"
        )
    return owner
