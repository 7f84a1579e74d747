"""The checklist's attendees agree with the scorecard and with what the notes propose.

A deal whose notes evidence a champion (Champion 2/3) used to get "no champion
identified" in its checklist because no contact held the role; a person a
note names as the economic buyer waited as a proposal the checklist ignored.
"""

from __future__ import annotations

from sqlite_utils import Database

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review.prep import build_checklist
from tests.test_review_support import add_deal, add_review, full_scores


def _notes(db: Database, deal: int = 1, lang: str = "en") -> dict[str, str | None]:
    checklist = build_checklist(db, deal, load_playbooks(), lang=lang)
    return {a.role: a.note for a in checklist.attendees if a.name is None}


def test_a_champion_the_notes_evidence_is_not_called_unidentified(db: Database) -> None:
    add_deal(db, 1, stage="proposal")
    add_review(db, 1, {**full_scores(0), "champion": 2})
    notes = _notes(db)
    assert notes["champion"] is not None
    assert notes["champion"].startswith("the notes show a champion (2/3)")
    assert "no champion identified" not in notes["champion"]
    assert notes["economic_buyer"] is not None and "no economic buyer" in notes["economic_buyer"]
    fr = _notes(db, lang="fr")
    assert fr["champion"] is not None and fr["champion"].startswith("les notes attestent")


def test_a_person_a_note_names_in_the_role_is_pointed_to(db: Database) -> None:
    add_deal(db, 1, stage="proposal")
    add_review(db, 1, full_scores(0))
    db["notes"].insert(
        {
            "id": 7,
            "opportunity_id": 1,
            "created_at": "2026-11-20T10:00:00",
            "text": "x",
            "content_hash": "h",
        }
    )
    db.execute(
        "INSERT INTO proposals (note_id, opportunity_id, account_id, kind, name, title, value,"
        " quote, created_at) VALUES (7, 1, 1, 'contact', 'Hélène Dubois', 'CFO',"
        " 'economic_buyer', 'Hélène Dubois, the CFO, signs.', '2026-11-20T10:00:00')"
    )
    note = _notes(db)["economic_buyer"]
    assert note is not None
    assert note.startswith("a note names Hélène Dubois as economic buyer (proposal 1)")
    assert "kamcoach proposals accept 1" in note
    db.execute("UPDATE proposals SET status = 'dismissed'")
    assert "no economic buyer identified" in str(_notes(db)["economic_buyer"])
