"""Call notes written by hand: check the text, date and author, store, list.

The CLI (``kamcoach notes``) and the TUI's note dialog both come here, and
both store through :func:`kamcoach.storage.repo.add_note`, the one writer of
a note row (the importer streams its own rows for speed). A note's ``title``
(an activity's subject, or one the rep types) is shown with the note but never
analysed: the analyser and the red-flag search read ``text`` only, so a
subject line such as "Call with CFO re budget" is not evidence that the CFO
was met.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_datetime, iso_now
from kamcoach.errors import InputError
from kamcoach.storage import repo

#: Languages a note may be declared in (``auto`` = detected when analysed).
NOTE_LANGS = ("auto", "en", "fr")

#: Longest title kept: a subject line, not a second note.
MAX_TITLE_CHARS = 500


@dataclass(frozen=True, slots=True)
class Note:
    """A stored note as the lists show it."""

    id: int
    deal_id: int
    created_at: str
    author: str | None
    title: str | None
    lang: str | None
    text: str
    source: str | None = None

    @property
    def first_line(self) -> str:
        """The first non-blank line of the text (the list's one-line summary)."""
        for line in self.text.splitlines():
            if line.strip():
                return line.strip()
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deal_id": self.deal_id,
            "created_at": self.created_at,
            "author": self.author,
            "title": self.title,
            "lang": self.lang,
            "source": self.source,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Added:
    """What :func:`add_note` stored, and what the user should hear about it."""

    note_id: int
    deal_id: int
    warning: str | None = None
    """A long note's warning (read whole, but slowly), None for an ordinary note."""


def decode_note(raw: bytes, where: str) -> str:
    """Bytes read from a file or stdin as note text; InputError naming ``where`` otherwise.

    A NUL byte in the first 64 KiB means a binary file (an image, a .docx)
    given by mistake; storing it would put garbage in front of the analyser.
    """
    if b"\x00" in raw[:65536]:
        raise InputError(f"{where}: looks like binary data, not a text note")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text (byte {exc.start})") from None


def check_text(text: str, where: str = "note") -> str:
    """The note text, or InputError when it is empty, binary or cannot be stored as UTF-8."""
    if not text.strip():
        raise InputError(f"{where}: the note is empty")
    if "\x00" in text:
        raise InputError(f"{where}: looks like binary data (NUL character), not a text note")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{where}: not valid text (undecodable character at {exc.start})"
        ) from None
    return text


def parse_when(value: str | None) -> str:
    """``--date`` as the stored ``created_at``: an ISO date (midnight) or datetime; now if None.

    A datetime with a UTC offset is turned into UTC, as :func:`iso_now` stores
    it, so notes sort in the order they were written whatever the offset.
    """
    if value is None or not value.strip():
        return iso_now()
    raw = value.strip()
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw).isoformat() + "T00:00:00"
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"date {value!r} is not an ISO date or datetime (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return iso_datetime(moment)


def _clean_title(title: str | None) -> str | None:
    if title is None or not title.strip():
        return None
    title = " ".join(title.split())  # one line: it is shown as the note's heading
    if len(title) > MAX_TITLE_CHARS:
        raise InputError(f"title: {len(title):,} characters, at most {MAX_TITLE_CHARS}")
    check_text(title, "title")
    return title


def add_note(
    db: Database,
    deal: str | int,
    text: str,
    *,
    author: str | None = None,
    when: str | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> Added:
    """Check and store one note on a deal (by id or exact name).

    Every check runs before the write, so a refused note leaves the file as it
    was. A note past the analyser's 2,000,000 characters is stored whole, as
    ``kamcoach analyze`` reads it, with the same warning.
    """
    row = repo.get_deal(db, deal)
    check_text(text)
    if lang is not None and lang not in NOTE_LANGS:
        raise InputError(f"unsupported language {lang!r} (allowed: {', '.join(NOTE_LANGS)})")
    created_at = parse_when(when)
    clean_title = _clean_title(title)
    clean_author = " ".join(author.split()) if author and author.strip() else None
    note_id = repo.add_note(
        db,
        int(row["id"]),
        text,
        author=clean_author,
        created_at=created_at,
        lang=None if lang in (None, "auto") else lang,
        title=clean_title,
    )
    from kamcoach.analysis.engine import long_note_warning  # light, but not at CLI start-up

    return Added(note_id, int(row["id"]), long_note_warning(text, note_id))


def _note(row: dict[str, Any]) -> Note:
    return Note(
        id=int(row["id"]),
        deal_id=int(row["opportunity_id"]),
        created_at=str(row["created_at"]),
        author=row.get("author"),
        title=row.get("title"),
        lang=row.get("lang"),
        text=str(row["text"]),
        source=row.get("source"),
    )


def list_notes(db: Database, deal: str | int, *, newest_first: bool = True) -> list[Note]:
    """A deal's notes (by id or exact name), newest first unless asked otherwise."""
    row = repo.get_deal(db, deal)
    return [_note(n) for n in repo.deal_notes(db, int(row["id"]), newest_first=newest_first)]
