"""A rebuild of the derived tables equals what the triggers maintained.

``rebuild_derived`` (used by bulk loaders that drop the triggers, and for
repairs) must follow the rules in force: m014's precedence for scores, m009's
history fields and m011's role in force for the facts.
"""

from __future__ import annotations

import random

from sqlite_utils import Database

from kamcoach.io.demo import load_demo
from kamcoach.storage.derived import rebuild_derived
from tests.test_review_support import add_history, add_review, full_scores


def _dump(db: Database) -> tuple[list[tuple], list[tuple]]:
    scores = db.execute("SELECT * FROM deal_scores ORDER BY opportunity_id").fetchall()
    facts = db.execute("SELECT * FROM deal_facts ORDER BY opportunity_id").fetchall()
    return scores, facts


def test_rebuild_equals_the_trigger_maintained_tables(db: Database) -> None:
    load_demo(db)
    rnd = random.Random(3)
    deals = [r[0] for r in db.execute("SELECT id FROM opportunities ORDER BY id")]
    for deal in deals:
        if rnd.random() < 0.6:
            add_review(db, deal, {c: rnd.randint(0, 3) for c in full_scores()}, when=-9)
        if rnd.random() < 0.3:
            add_review(db, deal, {"champion": rnd.randint(0, 3)}, kind="rep", when=-5)
        if rnd.random() < 0.3:
            review = add_review(db, deal, {"metrics": rnd.randint(0, 3)}, kind="manager", when=-4)
            verdict = rnd.choice(["agreed", "corrected", None])
            db.execute(
                "UPDATE review_scores SET verdict = ? WHERE review_id = ?", [verdict, review]
            )
        if rnd.random() < 0.3:
            add_history(db, deal, "owner", "Alice", "Bob", when=-2)
        if rnd.random() < 0.3:
            add_history(db, deal, "amount", "1000", "800", when=-3)
    # A champion on one deal only, who then leaves.
    contact = db.execute("SELECT contact_id, opportunity_id FROM opportunity_contacts").fetchone()
    db.execute(
        "UPDATE opportunity_contacts SET role = 'champion' WHERE contact_id = ? AND "
        "opportunity_id = ?",
        contact,
    )
    db.execute("UPDATE contacts SET left_company = 1 WHERE id = ?", [contact[0]])
    maintained = _dump(db)
    db.execute("DELETE FROM deal_scores")
    db.execute("DELETE FROM deal_facts")
    rebuild_derived(db)
    assert _dump(db) == maintained
    assert any(row[-1] for row in maintained[1])  # the lost champion is in the facts
