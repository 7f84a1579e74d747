"""One streaming pass over a notes (activities, tasks) export: link each note to its deal.

A note is the same when (CRM, CRM id) match, else when (deal, time, content
hash) match; a note whose CRM id is known but whose text changed updates the
stored note. Deals are found by CRM deal id, else by name (narrowed by account
when several deals share it).

An activity's subject is stored as the note's ``title`` and its body as the
``text``, the only part the analyser and the red-flag search read: a subject
is a label the rep picks from a list or types before the call ("Call with CFO
re budget"), not what happened, so gluing it onto the body made a planned
meeting count as evidence that the CFO was met. A row with a subject and no
body (a logged call with nothing written) keeps the subject as its text too:
the note must have a text (the column is NOT NULL and the list shows it), and
such a row says no more than its subject either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_datetime
from kamcoach.io.import_accounts import Accounts
from kamcoach.io.import_index import TempIndex
from kamcoach.io.import_plan import BadRow, ImportPlan, Row, RowError
from kamcoach.io.import_writer import ImportWriter
from kamcoach.io.mapping import normalise
from kamcoach.storage.repo import content_hash


class _Deals:
    """Deals a note can belong to: by the CRM's deal id, or by normalised name."""

    def __init__(self, db: Database, source: str) -> None:
        self.conn = db.conn
        self.source = source
        self.accounts = Accounts(db, source)
        conn = self.conn
        conn.execute("DROP TABLE IF EXISTS temp.kc_import_deal_names")
        conn.execute("CREATE TEMP TABLE kc_import_deal_names (norm, deal_id, account_id)")
        conn.executemany(
            "INSERT INTO temp.kc_import_deal_names VALUES (?, ?, ?)",
            (
                (normalise(name), deal_id, acc_id)
                for deal_id, acc_id, name in conn.execute(
                    "SELECT id, account_id, name FROM opportunities ORDER BY id"
                )
            ),
        )
        conn.execute("CREATE INDEX temp.kc_import_deal_names_norm ON kc_import_deal_names(norm)")

    def by_ext(self, ext: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM opportunities WHERE source = ? AND external_id = ?",
            (self.source, ext),
        ).fetchone()
        return None if row is None else int(row[0])

    def by_name(self, name: str) -> list[tuple[int, int]]:
        return [
            (int(d), int(a))
            for d, a in self.conn.execute(
                "SELECT deal_id, account_id FROM temp.kc_import_deal_names WHERE norm = ? "
                "ORDER BY deal_id",
                (normalise(name),),
            )
        ]

    def drop(self) -> None:
        self.conn.execute("DROP TABLE IF EXISTS temp.kc_import_deal_names")

    def find(self, row: Row, label: str) -> int:
        ext = row.get("deal_id")
        if ext:
            found = self.by_ext(ext)
            if found is not None:
                return found
            if not row.get("deal_name"):
                raise RowError(
                    f"no {label} deal with id {ext!r} in kamcoach (import the deals export first)"
                )
        name = row.get("deal_name")
        if not name:
            raise RowError("the note is linked to no deal (deal id and deal name are empty)")
        candidates = self.by_name(name)
        account = row.get("account")
        if len(candidates) > 1 and account:
            found_account = self.accounts.find(account)
            if found_account is not None:
                candidates = [c for c in candidates if c[1] == found_account[0]]
        if not candidates:
            raise RowError(f"no deal named {name!r} in kamcoach (import the deals export first)")
        if len(candidates) > 1:
            ids = ", ".join(str(c[0]) for c in candidates)
            raise RowError(f"deal name {name!r} is ambiguous (deals {ids}); add a deal id column")
        return candidates[0][0]


def plan_notes(
    db: Database, plan: ImportPlan, rows: Iterator[Row | BadRow], writer: ImportWriter
) -> None:
    """Read every row, count what changes into ``plan`` and hand the writes to ``writer``."""
    conn = db.conn
    source = plan.crm.name
    deals = _Deals(db, source)
    # "x<CRM id>" / "h<deal, time, hash>" identities seen in this file -> their row;
    # "s<deal, time, hash>" notes this file adds.
    seen = TempIndex(conn, "kc_import_note_keys")
    by_ext_sql = "SELECT id, content_hash, title FROM notes WHERE source = ? AND external_id = ?"
    stored_sql = (
        "SELECT 1 FROM notes WHERE opportunity_id = ? AND created_at = ? AND content_hash = ?"
    )
    glued_sql = (
        "SELECT id FROM notes WHERE opportunity_id = ? AND created_at = ? AND content_hash = ?"
        " AND title IS NULL"
    )
    bad = plan.bad_rows
    for row in rows:
        if isinstance(row, BadRow):
            bad.add(row.row, row.reason)
            continue
        number = row.number
        try:
            deal_id = deals.find(row, plan.crm.label)
            subject, body = row.get("subject"), row.get("text")
            title = " ".join(subject.split()) if subject else None
            text = body or subject
            if not text:
                raise RowError("the note is empty (no subject and no body)")
            moment = row.moment("created_at")
            if moment is None:
                raise RowError(f"no date (column {row.header('created_at')!r} is empty)")
        except RowError as exc:
            bad.add(number, str(exc))
            continue
        created = iso_datetime(moment)
        digest = content_hash(text)
        ext = row.get("external_id")
        triple = f"{deal_id}\x1f{created}\x1f{digest}"
        identity = "x\x1f" + ext if ext else "h\x1f" + triple
        first = seen.get(identity)
        if first is not None:
            bad.add(number, f"same note as row {first[0]}")
            continue
        seen.put(identity, number)
        if ext:
            stored = conn.execute(by_ext_sql, (source, ext)).fetchone()
            if stored is not None:
                note_id, old_digest, old_title = stored
                if old_digest == digest and old_title == title:
                    plan.unchanged += 1
                else:
                    plan.note_updates += 1
                    writer.update_note(note_id, text, digest, title)
                continue
        if (
            seen.get("s\x1f" + triple) is not None
            or conn.execute(stored_sql, (deal_id, created, digest)).fetchone() is not None
        ):
            plan.unchanged += 1
            continue
        if subject and body and not body.startswith(subject):
            # Imported before titles: its text is "subject\n\nbody". Split it in
            # place rather than add the same activity a second time.
            glued = content_hash(f"{subject}\n\n{body}")
            old = conn.execute(glued_sql, (deal_id, created, glued)).fetchone()
            if old is not None:
                plan.note_updates += 1
                writer.update_note(old[0], text, digest, title)
                continue
        seen.put("s\x1f" + triple, number)
        plan.new_notes += 1
        record: dict[str, Any] = {
            "opportunity_id": deal_id,
            "created_at": created,
            "author": row.get("author") or None,
            "lang": None,
            "text": text,
            "content_hash": digest,
            "external_id": ext or None,
            "source": source,
            "title": title,
        }
        writer.insert("notes", record)
    seen.drop()
    deals.drop()
