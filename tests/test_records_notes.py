"""Notes written by hand: the core both the CLI and the TUI store through (real SQLite file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database
from test_review_support import add_deal

from kamcoach.errors import InputError, NotFoundError
from kamcoach.records import notes
from kamcoach.storage import repo


def dump(db: Database) -> list[str]:
    return list(db.conn.iterdump())


def test_add_note_stores_author_date_title_and_lang(db: Database) -> None:
    add_deal(db, 1, name="Acme ERP")
    added = notes.add_note(
        db,
        "Acme ERP",
        "Met the CFO.\nBudget 200k approved.",
        author="  Camille   Martin ",
        when="2026-11-18T09:30",
        title="QBR\nwith finance",
        lang="en",
    )
    assert added.deal_id == 1 and added.warning is None
    row = db.execute(
        "SELECT opportunity_id, author, created_at, title, lang, text, content_hash "
        "FROM notes WHERE id = ?",
        [added.note_id],
    ).fetchone()
    assert row[:6] == (
        1,
        "Camille Martin",
        "2026-11-18T09:30:00",
        "QBR with finance",
        "en",
        "Met the CFO.\nBudget 200k approved.",
    )
    assert row[6] == repo.content_hash("Met the CFO.\nBudget 200k approved.")


def test_dates_iso_day_datetime_offset_and_default(db: Database) -> None:
    assert notes.parse_when("2026-11-18") == "2026-11-18T00:00:00"
    assert notes.parse_when("2026-11-18 14:05:09") == "2026-11-18T14:05:09"
    assert notes.parse_when("2026-11-18T14:05+02:00") == "2026-11-18T12:05:00"
    assert notes.parse_when(None) == "2026-11-20T12:00:00"  # KAMCOACH_TODAY pinned by conftest
    with pytest.raises(InputError, match="'18/11/2026' is not an ISO date"):
        notes.parse_when("18/11/2026")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the note is empty"),
        ("  \n\t ", "the note is empty"),
        ("abc\x00def", "binary data"),
        ("bad \udc80 surrogate", "not valid text"),
    ],
)
def test_refused_text_leaves_the_file_untouched(db: Database, text: str, message: str) -> None:
    add_deal(db, 1)
    before = dump(db)
    with pytest.raises(InputError, match=message):
        notes.add_note(db, 1, text, author="Camille")
    assert dump(db) == before


def test_other_refusals_write_nothing(db: Database) -> None:
    add_deal(db, 1)
    before = dump(db)
    with pytest.raises(NotFoundError, match="no deal with id or name 'Nope'"):
        notes.add_note(db, "Nope", "text")
    with pytest.raises(InputError, match="unsupported language 'de'"):
        notes.add_note(db, 1, "text", lang="de")
    with pytest.raises(InputError, match="at most 500"):
        notes.add_note(db, 1, "text", title="x" * 501)
    with pytest.raises(InputError, match="is not an ISO date"):
        notes.add_note(db, 1, "text", when="yesterday")
    assert dump(db) == before


def test_decode_note_refuses_binary_and_non_utf8() -> None:
    assert notes.decode_note("\ufeffBonjour".encode(), "f.txt") == "Bonjour"
    with pytest.raises(InputError, match=r"^img.png: looks like binary data"):
        notes.decode_note(b"\x89PNG\r\n\x1a\n\x00\x00", "img.png")
    with pytest.raises(InputError, match=r"^old.txt: not UTF-8 text \(byte 1\)"):
        notes.decode_note("Réunion".encode("cp1252"), "old.txt")


def test_long_note_is_stored_whole_with_the_analysers_warning(db: Database) -> None:
    add_deal(db, 1)
    text = ("The CFO owns the budget. " * 80_001)[:2_000_001]
    added = notes.add_note(db, 1, text)
    assert added.warning is not None
    assert "2,000,001 characters, over 2,000,000" in added.warning
    assert added.warning.startswith(f"note {added.note_id}:")
    stored = db.execute("SELECT length(text) FROM notes WHERE id = ?", [added.note_id]).fetchone()
    assert stored == (2_000_001,)


def test_list_notes_newest_first_with_title_and_first_line(db: Database) -> None:
    add_deal(db, 1, name="Acme ERP")
    add_deal(db, 2)
    notes.add_note(db, 1, "\n\n  First call.  \nMore.", author="A", when="2026-11-01")
    notes.add_note(db, 1, "Second call.", author="B", when="2026-11-05", title="Demo")
    notes.add_note(db, 2, "Other deal.", when="2026-11-06")
    listed = notes.list_notes(db, "Acme ERP")
    assert [(n.author, n.title, n.first_line) for n in listed] == [
        ("B", "Demo", "Second call."),
        ("A", None, "First call."),
    ]
    assert [n.first_line for n in notes.list_notes(db, 1, newest_first=False)] == [
        "First call.",
        "Second call.",
    ]
    assert listed[0].to_dict()["title"] == "Demo"


def test_repo_add_note_is_the_one_writer_and_keeps_title(db: Database, db_path: Path) -> None:
    add_deal(db, 1)
    note_id = repo.add_note(db, 1, "Body.", author="Z", title="Subject")
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT title, text FROM notes WHERE id = ?", [note_id]).fetchone() == (
            "Subject",
            "Body.",
        )
    finally:
        conn.close()
