"""Deal and account owners of one import pass, resolved to reps once per distinct name.

An export repeats a handful of owner names on thousands of rows. Each name is
looked up once (a dict loaded with every stored rep at the start of the pass)
and a missing rep is created in the pass's own transaction, so the deal rows
are written with their ``rep_id`` and the m010 triggers, which turn a bare
owner text into a rep, have nothing to do per row. Names compare without case
("camille martin" is "Camille Martin"); the first spelling stored is the rep's
name, and the one the deals display.
"""

from __future__ import annotations

from sqlite_utils import Database

from kamcoach.io.import_plan import ImportPlan
from kamcoach.io.import_writer import ImportWriter


def rep_key(name: str) -> str:
    """How owner names compare: case and runs of spaces do not tell two reps apart."""
    return " ".join(name.split()).casefold()


class RepIndex:
    """Owner name -> (rep id, rep name), creating missing reps through the pass's writer."""

    def __init__(self, db: Database, plan: ImportPlan, writer: ImportWriter, now: str) -> None:
        self.plan = plan
        self.writer = writer
        self.now = now
        self.by_key: dict[str, tuple[int, str]] = {}
        self.seen: dict[str, tuple[int, str]] = {}
        next_id = 1
        for rep_id, name in db.execute("SELECT id, name FROM reps ORDER BY id"):
            self.by_key.setdefault(rep_key(name), (int(rep_id), name))
            next_id = max(next_id, int(rep_id) + 1)
        self.next_id = next_id

    def resolve(self, name: str) -> tuple[int, str] | None:
        """The rep called ``name`` (created when new); None for an empty name."""
        hit = self.seen.get(name)  # the same spelling on row after row: one dict lookup
        if hit is not None:
            return hit
        key = rep_key(name)
        if not key:
            return None
        found = self.by_key.get(key)
        if found is None:
            found = (self.next_id, " ".join(name.split()))
            self.next_id += 1
            self.plan.new_reps += 1
            self.writer.insert("reps", {"id": found[0], "name": found[1], "created_at": self.now})
            self.by_key[key] = found
        self.seen[name] = found
        return found


class MajorityReps:
    """The rep owning most of each new account's deals (ties: the lowest rep id, the
    oldest), as m010 back-filled the accounts: for accounts no owner column names.

    Counted as the rows go by (one dict update per new deal), so no query runs
    per account at the end of the pass.
    """

    def __init__(self) -> None:
        self.counts: dict[int, dict[int, int]] = {}

    def add(self, account_id: int, rep_id: int) -> None:
        reps = self.counts.setdefault(account_id, {})
        reps[rep_id] = reps.get(rep_id, 0) + 1

    def winners(self) -> dict[int, int]:
        """Account id -> its majority rep id."""
        return {
            account_id: min(reps, key=lambda rep_id: (-reps[rep_id], rep_id))
            for account_id, reps in self.counts.items()
        }
