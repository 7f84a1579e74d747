"""A tiny hand-made pipeline for the checklist and TUI tests (independent of the demo data)."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from kamcoach.domain.models import CriterionScore, Evidence, Review

STAMP = "2026-11-01T10:00:00"


def seed_small(db: Database) -> dict[str, int]:
    """Two accounts, three open deals, contacts with buying roles, notes and analyser reviews."""
    with db.atomic():
        db["accounts"].insert_all(
            [
                {"id": 1, "name": "Acme Industrie", "country": "FR", "created_at": STAMP},
                {"id": 2, "name": "Northwind Logistics", "country": "UK", "created_at": STAMP},
            ]
        )
        db["contacts"].insert_all(
            [
                {
                    "id": 1,
                    "account_id": 1,
                    "name": "Claire Dubois",
                    "title": "DSI",
                    "buying_role": "champion",
                    "created_at": STAMP,
                },
                {
                    "id": 2,
                    "account_id": 1,
                    "name": "Marc Petit",
                    "title": "Architecte",
                    "buying_role": "technical_evaluator",
                    "created_at": STAMP,
                },
                {
                    "id": 3,
                    "account_id": 2,
                    "name": "John Baker",
                    "title": "CFO",
                    "buying_role": "economic_buyer",
                    "created_at": STAMP,
                },
            ]
        )
        deals = [
            (1, 1, "Acme ERP rollout", 120000, "proposal", "2026-12-15", "Camille Martin"),
            (2, 2, "Northwind WMS", 80000, "qualification", "2027-01-31", "Sam Green"),
            (3, 1, "Acme support renewal", 30000, "negotiation", "2026-12-01", "Camille Martin"),
        ]
        for did, acc, name, amount, stage, close, owner in deals:
            db["opportunities"].insert(
                {
                    "id": did,
                    "account_id": acc,
                    "name": name,
                    "amount": amount,
                    "currency": "EUR",
                    "stage": stage,
                    "close_date": close,
                    "owner": owner,
                    "playbook": "meddic",
                    "created_at": STAMP,
                    "stage_changed_at": STAMP,
                }
            )
        db["opportunity_contacts"].insert_all(
            [
                {"opportunity_id": 1, "contact_id": 1, "role": "champion", "engaged": 1},
                {"opportunity_id": 1, "contact_id": 2, "role": "technical_evaluator", "engaged": 0},
                {"opportunity_id": 2, "contact_id": 3, "role": "economic_buyer", "engaged": 1},
            ]
        )
        notes = [
            (
                1,
                1,
                "Claire Dubois nous soutient et porte le projet en interne. Les ruptures de stock "
                "coûtent 200 k€ par an. Nous n'avons pas encore rencontré le DAF.",
                "fr",
            ),
            (2, 1, "Appel avec Marc Petit sur l'intégration avec SAP.", "fr"),
            (3, 2, "Call with John Baker, the CFO. Budget approved for Q1.", "en"),
            (4, 3, "Renewal discussion, procurement involved.", "en"),
        ]
        for nid, did, text, lang in notes:
            db["notes"].insert(
                {
                    "id": nid,
                    "opportunity_id": did,
                    "created_at": f"2026-11-0{nid}T11:00:00",
                    "author": "Camille Martin",
                    "lang": lang,
                    "text": text,
                    "content_hash": f"h{nid}",
                }
            )
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('contents', 'demo')")
    from kamcoach.storage.repo import save_review

    pain = "Les ruptures de stock coûtent 200 k€ par an"
    save_review(
        db,
        Review(
            opportunity_id=1,
            playbook="meddic",
            author_kind="analyser",
            created_at=datetime(2026, 11, 10, 12, 0),
            overall=40.0,
            scores={
                "identify_pain": CriterionScore(
                    "identify_pain",
                    2,
                    "specific",
                    [Evidence(pain, 82, 82 + len(pain), note_id=1)],
                ),
                "metrics": CriterionScore("metrics", 2, "specific"),
                "champion": CriterionScore(
                    "champion",
                    2,
                    "specific",
                    [Evidence("Claire Dubois nous soutient", 0, 27, note_id=1)],
                ),
                "economic_buyer": CriterionScore(
                    "economic_buyer",
                    0,
                    "gap",
                    [Evidence("pas encore rencontré le DAF", 131, 158, negated=True, note_id=1)],
                ),
                "decision_criteria": CriterionScore("decision_criteria", 1, "mentioned"),
                "decision_process": CriterionScore("decision_process", 0, "missing"),
            },
        ),
    )
    return {"accounts": 2, "deals": 3, "notes": 4}
