"""Rebuild the derived tables (``deal_scores``, ``deal_facts``) from the rows they summarise.

Triggers keep both tables current as reviews, notes, history and contacts are
written (migrations m007-m014). A bulk loader that drops those triggers for
speed (``benchmarks/pipeline_review.py``), or a repair after a file was edited
by hand, needs the same result computed in a few set-based statements, by the
rules in force today: per criterion a manager's correction, else the latest
rep score, else the latest analyser review (m014); facts from stage, amount
and close-date history only (m009); the lost champion by the role in force on
the deal (m011). ``tests/test_storage_derived.py`` checks that a rebuild
equals what the triggers maintained.
"""

from __future__ import annotations

from sqlite_utils import Database

from kamcoach.storage.tx import write_transaction

_DEAL_SCORES = """
DELETE FROM deal_scores;
INSERT INTO deal_scores (opportunity_id, scores)
SELECT opportunity_id,
       group_concat(criterion || char(31) || score || char(31) || status, char(30))
FROM (
    SELECT opportunity_id, criterion, score, status FROM (
        SELECT r.opportunity_id, s.criterion, s.score, s.status,
               ROW_NUMBER() OVER (
                   PARTITION BY r.opportunity_id, s.criterion
                   ORDER BY CASE r.author_kind WHEN 'manager' THEN 0 WHEN 'rep' THEN 1 ELSE 2 END,
                            r.created_at DESC, r.id DESC
               ) AS rn
        FROM reviews r JOIN review_scores s ON s.review_id = r.id
        WHERE (r.author_kind = 'manager' AND COALESCE(s.verdict, 'corrected') = 'corrected')
           OR r.author_kind = 'rep'
           OR r.id = (SELECT a.id FROM reviews a
                      WHERE a.author_kind = 'analyser' AND a.opportunity_id = r.opportunity_id
                      ORDER BY a.created_at DESC, a.id DESC LIMIT 1)
    ) WHERE rn = 1 ORDER BY opportunity_id, criterion
)
WHERE opportunity_id IN (SELECT id FROM opportunities)
GROUP BY opportunity_id;
"""

_DEAL_FACTS = """
DELETE FROM deal_facts;
INSERT INTO deal_facts (opportunity_id) SELECT id FROM opportunities;
UPDATE deal_facts SET (last_note_at, note_lang) = (
    SELECT MAX(n.created_at),
           SUM(CASE COALESCE(n.lang, a.lang) WHEN 'fr' THEN 1 WHEN 'en' THEN -1 ELSE 0 END)
    FROM notes n LEFT JOIN note_analyses a ON a.note_id = n.id
    WHERE n.opportunity_id = deal_facts.opportunity_id);
UPDATE deal_facts SET (last_change_at, pushes, push_from, push_to) = (
    SELECT MAX(changed_at),
           SUM(field = 'close_date' AND new_value > old_value),
           MIN(CASE WHEN field = 'close_date' AND new_value > old_value THEN old_value END),
           MAX(CASE WHEN field = 'close_date' AND new_value > old_value THEN new_value END)
    FROM opportunity_history
    WHERE opportunity_id = deal_facts.opportunity_id
      AND field IN ('stage', 'amount', 'close_date'));
UPDATE deal_facts SET (cut_at, cut_old, cut_new) = (
    SELECT changed_at, old_value, new_value FROM opportunity_history
    WHERE opportunity_id = deal_facts.opportunity_id AND field = 'amount'
      AND CAST(new_value AS REAL) < CAST(old_value AS REAL)
    ORDER BY changed_at DESC, id DESC LIMIT 1);
UPDATE deal_facts SET (engaged, lost_champion) = (
    SELECT SUM(oc.engaged = 1 AND c.left_company = 0),
           MAX(CASE WHEN c.left_company = 1 AND COALESCE(oc.role, c.buying_role) = 'champion'
                    THEN c.name END)
    FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
    WHERE oc.opportunity_id = deal_facts.opportunity_id);
"""


def rebuild_derived(db: Database) -> None:
    """Recompute ``deal_scores`` and ``deal_facts`` for every deal, in one transaction."""
    with write_transaction(db):
        for script in (_DEAL_SCORES, _DEAL_FACTS):
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)
