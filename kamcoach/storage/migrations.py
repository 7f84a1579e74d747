"""Named, forward-only schema migrations.

Each migration runs in its own transaction (sqlite-utils ``Migrations``), so an
interrupted upgrade leaves the previous schema intact. Never edit a migration
that has shipped: add a new one below it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database, Migrations

migrations = Migrations("kamcoach")

#: The schema version is the number of kamcoach migrations applied.
SCHEMA_VERSION_NAMES: list[str] = []


def _register(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    SCHEMA_VERSION_NAMES.append(fn.__name__)
    return migrations()(fn)


@_register
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            industry TEXT,
            country TEXT,
            key_account INTEGER NOT NULL DEFAULT 0,
            annual_value REAL,
            external_id TEXT,
            source TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            title TEXT,
            buying_role TEXT NOT NULL DEFAULT 'unknown',
            email TEXT,
            left_company INTEGER NOT NULL DEFAULT 0,
            external_id TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_contacts_account ON contacts(account_id);
        CREATE TABLE opportunities (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            amount REAL NOT NULL DEFAULT 0,
            currency TEXT NOT NULL DEFAULT 'EUR',
            stage TEXT NOT NULL,
            close_date TEXT,
            owner TEXT NOT NULL DEFAULT '',
            type TEXT NOT NULL DEFAULT 'new' CHECK (type IN ('new', 'upsell', 'renewal')),
            playbook TEXT NOT NULL DEFAULT 'meddic',
            created_at TEXT NOT NULL,
            stage_changed_at TEXT NOT NULL,
            pause_reason TEXT,
            paused_until TEXT,
            external_id TEXT,
            source TEXT
        );
        CREATE INDEX idx_opps_account ON opportunities(account_id);
        CREATE INDEX idx_opps_owner_stage ON opportunities(owner, stage);
        CREATE INDEX idx_opps_stage_close ON opportunities(stage, close_date);
        CREATE UNIQUE INDEX idx_opps_external ON opportunities(source, external_id)
            WHERE external_id IS NOT NULL;
        CREATE TABLE opportunity_contacts (
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            role TEXT NOT NULL DEFAULT 'unknown',
            engaged INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (opportunity_id, contact_id)
        );
        CREATE INDEX idx_oppcontacts_contact ON opportunity_contacts(contact_id);
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            author TEXT,
            lang TEXT,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            external_id TEXT,
            source TEXT
        );
        CREATE INDEX idx_notes_opp_created ON notes(opportunity_id, created_at);
        CREATE TABLE note_analyses (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            playbook TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            analyser_version TEXT NOT NULL,
            lang TEXT NOT NULL,
            result TEXT NOT NULL,
            analysed_at TEXT NOT NULL,
            PRIMARY KEY (note_id, playbook)
        );
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            author TEXT,
            author_kind TEXT NOT NULL CHECK (author_kind IN ('analyser', 'rep', 'manager')),
            playbook TEXT NOT NULL,
            stage TEXT,
            overall REAL NOT NULL,
            gate_passed INTEGER,
            comment TEXT
        );
        CREATE INDEX idx_reviews_opp_created ON reviews(opportunity_id, created_at);
        CREATE TABLE review_scores (
            review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
            criterion TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 3),
            status TEXT NOT NULL
                CHECK (status IN ('missing', 'mentioned', 'specific', 'validated', 'gap')),
            reason TEXT,
            evidence TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (review_id, criterion)
        );
        CREATE TABLE opportunity_history (
            id INTEGER PRIMARY KEY,
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
            changed_at TEXT NOT NULL,
            field TEXT NOT NULL CHECK (field IN ('stage', 'amount', 'close_date')),
            old_value TEXT,
            new_value TEXT,
            source TEXT
        );
        CREATE INDEX idx_history_opp_field ON opportunity_history(opportunity_id, field);
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        """
    )


@_register
def m004_import_identity(db: Database) -> None:
    """CRM imports match notes and accounts on (source, external id): index and guard them."""
    db.executescript(
        """
        CREATE UNIQUE INDEX IF NOT EXISTS idx_notes_external ON notes(source, external_id)
            WHERE external_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS idx_accounts_external ON accounts(source, external_id)
            WHERE external_id IS NOT NULL;
        """
    )


@_register
def m003_pipeline_review(db: Database) -> None:
    """Indexes for the bulk pipeline review, and a full-text index of note texts.

    The review reads the latest analyser review per deal (covering index on
    reviews), its scores (covering index on review_scores), and looks for
    red-flag phrases in every note: an FTS5 index (accents and case folded)
    turns that scan into an index lookup. Triggers keep it in step with notes.
    """
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS idx_reviews_kind_opp
            ON reviews(author_kind, opportunity_id, created_at, id);
        CREATE INDEX IF NOT EXISTS idx_review_scores_cover
            ON review_scores(review_id, criterion, score, status);
        CREATE VIRTUAL TABLE IF NOT EXISTS notes_fts USING fts5(
            text, content='notes', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER IF NOT EXISTS notes_fts_insert AFTER INSERT ON notes BEGIN
            INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER IF NOT EXISTS notes_fts_delete AFTER DELETE ON notes BEGIN
            INSERT INTO notes_fts(notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER IF NOT EXISTS notes_fts_update AFTER UPDATE OF text ON notes BEGIN
            INSERT INTO notes_fts(notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text);
        END;
        INSERT INTO notes_fts(notes_fts) VALUES ('rebuild');
        """
    )


@_register
def m006_pipeline_review_cover(db: Database) -> None:
    """Covering index for the pipeline review's "last note per deal" aggregate.

    The review reads each deal's latest note date and that note's language;
    with ``lang`` in the index the aggregate is an index-only scan instead of
    a table lookup per note (about twice as fast at 100k deals).
    """
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS idx_notes_opp_created_lang
            ON notes(opportunity_id, created_at, lang);
        """
    )


@_register
def m007_deal_scores(db: Database) -> None:
    """Each deal's effective scores, kept up to date as reviews are written.

    The pipeline review needs, per deal, the latest analyser review's scores
    with each criterion overridden by the latest rep or manager score (the
    rule of ``pipeline.load_effective_scores``). Aggregating that over every
    review at read time was the review's largest query; ``deal_scores`` holds
    the result, one narrow row per analysed deal (``scores`` packed as
    ``criterion US score US status`` items joined by RS, the ASCII unit and
    record separators), so the review reads one table in primary-key order.

    Triggers on reviews and review_scores recompute the touched deal's row
    inside the writer's transaction (whoever writes: ``save_review``, an
    import, a test helper), so a failed write rolls the row back with the
    rest; deleting a deal deletes its row. The back-fill computes every row
    from the reviews already stored. The SQL is spelled out here, not
    shared, so this migration never changes once shipped.
    """
    recompute = """
        DELETE FROM deal_scores WHERE opportunity_id = {opp};
        INSERT INTO deal_scores (opportunity_id, scores)
        SELECT o.id, x.packed FROM opportunities o, (
            SELECT group_concat(criterion || char(31) || score || char(31) || status,
                                char(30)) AS packed
            FROM (
                SELECT criterion, score, status FROM (
                    SELECT s.criterion, s.score, s.status,
                           ROW_NUMBER() OVER (
                               PARTITION BY s.criterion
                               ORDER BY r.author_kind = 'analyser', r.created_at DESC, r.id DESC
                           ) AS rn
                    FROM reviews r JOIN review_scores s ON s.review_id = r.id
                    WHERE r.opportunity_id = {opp}
                      AND (r.author_kind IN ('rep', 'manager') OR r.id = (
                          SELECT a.id FROM reviews a
                          WHERE a.author_kind = 'analyser' AND a.opportunity_id = {opp}
                          ORDER BY a.created_at DESC, a.id DESC LIMIT 1))
                ) WHERE rn = 1 ORDER BY criterion
            )
        ) x
        WHERE o.id = {opp} AND x.packed IS NOT NULL;
    """
    of_review = "(SELECT opportunity_id FROM reviews WHERE id = {rid})"
    triggers = {
        "deal_scores_review_insert": (
            "AFTER INSERT ON reviews",
            [recompute.format(opp="NEW.opportunity_id")],
        ),
        "deal_scores_review_delete": (
            "AFTER DELETE ON reviews",
            [recompute.format(opp="OLD.opportunity_id")],
        ),
        "deal_scores_review_update": (
            "AFTER UPDATE OF opportunity_id, author_kind, created_at ON reviews",
            [
                recompute.format(opp="OLD.opportunity_id"),
                recompute.format(opp="NEW.opportunity_id"),
            ],
        ),
        "deal_scores_score_insert": (
            "AFTER INSERT ON review_scores",
            [recompute.format(opp=of_review.format(rid="NEW.review_id"))],
        ),
        "deal_scores_score_delete": (
            "AFTER DELETE ON review_scores",
            [recompute.format(opp=of_review.format(rid="OLD.review_id"))],
        ),
        "deal_scores_score_update": (
            "AFTER UPDATE ON review_scores",
            [
                recompute.format(opp=of_review.format(rid="OLD.review_id")),
                recompute.format(opp=of_review.format(rid="NEW.review_id")),
            ],
        ),
        "deal_scores_deal_delete": (
            "AFTER DELETE ON opportunities",
            ["DELETE FROM deal_scores WHERE opportunity_id = OLD.id;"],
        ),
    }
    script = [
        """
        CREATE TABLE IF NOT EXISTS deal_scores (
            opportunity_id INTEGER PRIMARY KEY,
            scores TEXT NOT NULL
        );
        DELETE FROM deal_scores;
        INSERT INTO deal_scores (opportunity_id, scores)
        SELECT opportunity_id,
               group_concat(criterion || char(31) || score || char(31) || status, char(30))
        FROM (
            SELECT opportunity_id, criterion, score, status FROM (
                SELECT r.opportunity_id, s.criterion, s.score, s.status,
                       ROW_NUMBER() OVER (
                           PARTITION BY r.opportunity_id, s.criterion
                           ORDER BY r.author_kind = 'analyser', r.created_at DESC, r.id DESC
                       ) AS rn
                FROM reviews r JOIN review_scores s ON s.review_id = r.id
                WHERE r.author_kind IN ('rep', 'manager') OR r.id = (
                    SELECT a.id FROM reviews a
                    WHERE a.author_kind = 'analyser' AND a.opportunity_id = r.opportunity_id
                    ORDER BY a.created_at DESC, a.id DESC LIMIT 1)
            ) WHERE rn = 1 ORDER BY opportunity_id, criterion
        )
        WHERE opportunity_id IN (SELECT id FROM opportunities)
        GROUP BY opportunity_id;
        """
    ]
    for name, (when, body) in triggers.items():
        script.append(f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN {''.join(body)} END;")
    db.executescript("\n".join(script))


@_register
def m008_deal_facts(db: Database) -> None:
    """Per-deal facts the pipeline review reads, kept up to date as notes, history and contacts are written.

    The review needs, for every open deal, its latest note and the language
    most of its notes are in, its latest recorded change, close-date pushes
    and latest amount cut, its engaged contacts and any champion who left.
    Aggregating notes, history and contacts at read time cost four times a
    scan of the deals at 100k; ``deal_facts`` holds one narrow row per deal
    so the review is one join in primary-key order. Nothing here depends on
    the date or on the flag thresholds: those stay at read time.

    Each trigger recomputes only its group of columns for the touched deal
    (an index range over that deal's rows) inside the writer's transaction,
    so a failed write rolls the facts back with it; a deal without a row
    reads as "no notes, no history, no contacts". Inserting a note or a
    contact link, what imports do by the thousand, adds that one row to the
    facts instead (a quarter of the cost of a recompute per row; no writer
    uses INSERT OR REPLACE on those tables, which would count a row twice).
    The SQL is spelled out here, not shared, so this migration never changes
    once shipped.
    """
    notes = """
        INSERT INTO deal_facts (opportunity_id, last_note_at, note_lang)
        SELECT o.id,
               (SELECT MAX(n.created_at) FROM notes n WHERE n.opportunity_id = o.id),
               (SELECT SUM(CASE COALESCE(n.lang, a.lang) WHEN 'fr' THEN 1 WHEN 'en' THEN -1
                           ELSE 0 END)
                FROM notes n LEFT JOIN note_analyses a ON a.note_id = n.id
                WHERE n.opportunity_id = o.id)
        FROM opportunities o WHERE o.id = {opp}
        ON CONFLICT (opportunity_id) DO UPDATE
        SET last_note_at = excluded.last_note_at, note_lang = excluded.note_lang;
    """
    history = """
        INSERT INTO deal_facts (opportunity_id, last_change_at, pushes, push_from, push_to,
                                cut_at, cut_old, cut_new)
        SELECT o.id, h.last, h.pushes, h.push_from, h.push_to, c.changed_at, c.old_value,
               c.new_value
        FROM opportunities o
        LEFT JOIN (
            SELECT MAX(changed_at) AS last,
                   SUM(field = 'close_date' AND new_value > old_value) AS pushes,
                   MIN(CASE WHEN field = 'close_date' AND new_value > old_value
                            THEN old_value END) AS push_from,
                   MAX(CASE WHEN field = 'close_date' AND new_value > old_value
                            THEN new_value END) AS push_to
            FROM opportunity_history WHERE opportunity_id = {opp}
        ) h
        LEFT JOIN (
            SELECT changed_at, old_value, new_value FROM opportunity_history
            WHERE opportunity_id = {opp} AND field = 'amount'
              AND CAST(new_value AS REAL) < CAST(old_value AS REAL)
            ORDER BY changed_at DESC, id DESC LIMIT 1
        ) c
        WHERE o.id = {opp}
        ON CONFLICT (opportunity_id) DO UPDATE
        SET last_change_at = excluded.last_change_at, pushes = excluded.pushes,
            push_from = excluded.push_from, push_to = excluded.push_to,
            cut_at = excluded.cut_at, cut_old = excluded.cut_old, cut_new = excluded.cut_new;
    """
    contacts = """
        INSERT INTO deal_facts (opportunity_id, engaged, lost_champion)
        SELECT o.id, x.engaged, x.lost
        FROM opportunities o, (
            SELECT SUM(oc.engaged = 1 AND c.left_company = 0) AS engaged,
                   MAX(CASE WHEN c.left_company = 1
                             AND (oc.role = 'champion' OR c.buying_role = 'champion')
                            THEN c.name END) AS lost
            FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
            WHERE oc.opportunity_id = {opp}
        ) x
        WHERE o.id = {opp}
        ON CONFLICT (opportunity_id) DO UPDATE
        SET engaged = excluded.engaged, lost_champion = excluded.lost_champion;
    """
    of_note = "(SELECT opportunity_id FROM notes WHERE id = {nid})"
    triggers = {
        "deal_facts_note_insert": (
            "AFTER INSERT ON notes",
            [
                """
                INSERT INTO deal_facts (opportunity_id, last_note_at, note_lang)
                SELECT NEW.opportunity_id, NEW.created_at,
                       (SELECT SUM(CASE COALESCE(NEW.lang, a.lang) WHEN 'fr' THEN 1
                                   WHEN 'en' THEN -1 ELSE 0 END)
                        FROM (SELECT 1) LEFT JOIN note_analyses a ON a.note_id = NEW.id)
                WHERE true
                ON CONFLICT (opportunity_id) DO UPDATE
                SET last_note_at = CASE
                        WHEN last_note_at IS NULL OR excluded.last_note_at > last_note_at
                        THEN excluded.last_note_at ELSE last_note_at END,
                    note_lang = CASE WHEN last_note_at IS NULL THEN excluded.note_lang
                                     ELSE COALESCE(note_lang, 0) + excluded.note_lang END;
                """
            ],
        ),
        "deal_facts_note_delete": (
            "AFTER DELETE ON notes",
            [notes.format(opp="OLD.opportunity_id")],
        ),
        "deal_facts_note_update": (
            "AFTER UPDATE OF opportunity_id, created_at, lang ON notes",
            [notes.format(opp="OLD.opportunity_id"), notes.format(opp="NEW.opportunity_id")],
        ),
        "deal_facts_analysis_insert": (
            "AFTER INSERT ON note_analyses",
            [notes.format(opp=of_note.format(nid="NEW.note_id"))],
        ),
        "deal_facts_analysis_delete": (
            "AFTER DELETE ON note_analyses",
            [notes.format(opp=of_note.format(nid="OLD.note_id"))],
        ),
        "deal_facts_analysis_update": (
            "AFTER UPDATE OF note_id, lang ON note_analyses",
            [
                notes.format(opp=of_note.format(nid="OLD.note_id")),
                notes.format(opp=of_note.format(nid="NEW.note_id")),
            ],
        ),
        "deal_facts_history_insert": (
            "AFTER INSERT ON opportunity_history",
            [history.format(opp="NEW.opportunity_id")],
        ),
        "deal_facts_history_delete": (
            "AFTER DELETE ON opportunity_history",
            [history.format(opp="OLD.opportunity_id")],
        ),
        "deal_facts_history_update": (
            "AFTER UPDATE ON opportunity_history",
            [history.format(opp="OLD.opportunity_id"), history.format(opp="NEW.opportunity_id")],
        ),
        "deal_facts_link_insert": (
            "AFTER INSERT ON opportunity_contacts",
            [
                """
                INSERT INTO deal_facts (opportunity_id, engaged, lost_champion)
                SELECT NEW.opportunity_id, (NEW.engaged = 1 AND c.left_company = 0),
                       CASE WHEN c.left_company = 1
                             AND (NEW.role = 'champion' OR c.buying_role = 'champion')
                            THEN c.name END
                FROM contacts c WHERE c.id = NEW.contact_id
                ON CONFLICT (opportunity_id) DO UPDATE
                SET engaged = COALESCE(engaged, 0) + excluded.engaged,
                    lost_champion = CASE
                        WHEN lost_champion IS NULL THEN excluded.lost_champion
                        WHEN excluded.lost_champion IS NULL THEN lost_champion
                        ELSE max(lost_champion, excluded.lost_champion) END;
                """
            ],
        ),
        "deal_facts_link_delete": (
            "AFTER DELETE ON opportunity_contacts",
            [contacts.format(opp="OLD.opportunity_id")],
        ),
        "deal_facts_link_update": (
            "AFTER UPDATE ON opportunity_contacts",
            [contacts.format(opp="OLD.opportunity_id"), contacts.format(opp="NEW.opportunity_id")],
        ),
        "deal_facts_contact_update": (
            "AFTER UPDATE OF name, left_company, buying_role ON contacts",
            [
                """
                INSERT INTO deal_facts (opportunity_id, engaged, lost_champion)
                SELECT mine.opportunity_id,
                       SUM(oc.engaged = 1 AND c.left_company = 0),
                       MAX(CASE WHEN c.left_company = 1
                                 AND (oc.role = 'champion' OR c.buying_role = 'champion')
                                THEN c.name END)
                FROM opportunity_contacts mine
                JOIN opportunity_contacts oc ON oc.opportunity_id = mine.opportunity_id
                JOIN contacts c ON c.id = oc.contact_id
                WHERE mine.contact_id = NEW.id
                GROUP BY mine.opportunity_id
                ON CONFLICT (opportunity_id) DO UPDATE
                SET engaged = excluded.engaged, lost_champion = excluded.lost_champion;
                """
            ],
        ),
        "deal_facts_deal_delete": (
            "AFTER DELETE ON opportunities",
            ["DELETE FROM deal_facts WHERE opportunity_id = OLD.id;"],
        ),
    }
    script = [
        """
        CREATE TABLE IF NOT EXISTS deal_facts (
            opportunity_id INTEGER PRIMARY KEY,
            last_note_at TEXT,
            note_lang INTEGER,
            last_change_at TEXT,
            pushes INTEGER,
            push_from TEXT,
            push_to TEXT,
            cut_at TEXT,
            cut_old TEXT,
            cut_new TEXT,
            engaged INTEGER,
            lost_champion TEXT
        );
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
                   MIN(CASE WHEN field = 'close_date' AND new_value > old_value
                            THEN old_value END),
                   MAX(CASE WHEN field = 'close_date' AND new_value > old_value
                            THEN new_value END)
            FROM opportunity_history WHERE opportunity_id = deal_facts.opportunity_id);
        UPDATE deal_facts SET (cut_at, cut_old, cut_new) = (
            SELECT changed_at, old_value, new_value FROM opportunity_history
            WHERE opportunity_id = deal_facts.opportunity_id AND field = 'amount'
              AND CAST(new_value AS REAL) < CAST(old_value AS REAL)
            ORDER BY changed_at DESC, id DESC LIMIT 1);
        UPDATE deal_facts SET (engaged, lost_champion) = (
            SELECT SUM(oc.engaged = 1 AND c.left_company = 0),
                   MAX(CASE WHEN c.left_company = 1
                             AND (oc.role = 'champion' OR c.buying_role = 'champion')
                            THEN c.name END)
            FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
            WHERE oc.opportunity_id = deal_facts.opportunity_id);
        """
    ]
    for name, (when, body) in triggers.items():
        script.append(f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN {''.join(body)} END;")
    db.executescript("\n".join(script))


@_register
def m009_history_fields(db: Database) -> None:
    """Every hand edit of a deal goes to its history, with who made it and why.

    The first schema's CHECK allowed only stage, amount and close date; a
    deal created, re-owned, re-playbooked, closed with a reason or paused by
    hand must leave the same trail as an import. SQLite cannot alter a CHECK,
    so the table is rebuilt (rows and ids kept). ``pause`` rows read
    ``active`` -> ``paused`` and back, the reason in ``reason``; a close is a
    ``stage`` row plus a ``close_reason`` row written together.

    The deal facts (m008) keep reading only stage, amount and close-date rows:
    a change of owner is not a sign of life for the "stale" and "stuck" flags.
    Their triggers went with the old table and are created again, filtered.
    """
    history = """
        INSERT INTO deal_facts (opportunity_id, last_change_at, pushes, push_from, push_to,
                                cut_at, cut_old, cut_new)
        SELECT o.id, h.last, h.pushes, h.push_from, h.push_to, c.changed_at, c.old_value,
               c.new_value
        FROM opportunities o
        LEFT JOIN (
            SELECT MAX(changed_at) AS last,
                   SUM(field = 'close_date' AND new_value > old_value) AS pushes,
                   MIN(CASE WHEN field = 'close_date' AND new_value > old_value
                            THEN old_value END) AS push_from,
                   MAX(CASE WHEN field = 'close_date' AND new_value > old_value
                            THEN new_value END) AS push_to
            FROM opportunity_history
            WHERE opportunity_id = {opp} AND field IN ('stage', 'amount', 'close_date')
        ) h
        LEFT JOIN (
            SELECT changed_at, old_value, new_value FROM opportunity_history
            WHERE opportunity_id = {opp} AND field = 'amount'
              AND CAST(new_value AS REAL) < CAST(old_value AS REAL)
            ORDER BY changed_at DESC, id DESC LIMIT 1
        ) c
        WHERE o.id = {opp}
        ON CONFLICT (opportunity_id) DO UPDATE
        SET last_change_at = excluded.last_change_at, pushes = excluded.pushes,
            push_from = excluded.push_from, push_to = excluded.push_to,
            cut_at = excluded.cut_at, cut_old = excluded.cut_old, cut_new = excluded.cut_new;
    """
    tracked = "IN ('stage', 'amount', 'close_date')"
    triggers = {
        "deal_facts_history_insert": (
            f"AFTER INSERT ON opportunity_history WHEN NEW.field {tracked}",
            [history.format(opp="NEW.opportunity_id")],
        ),
        "deal_facts_history_delete": (
            f"AFTER DELETE ON opportunity_history WHEN OLD.field {tracked}",
            [history.format(opp="OLD.opportunity_id")],
        ),
        "deal_facts_history_update": (
            "AFTER UPDATE ON opportunity_history",
            [history.format(opp="OLD.opportunity_id"), history.format(opp="NEW.opportunity_id")],
        ),
    }
    script = [
        """
        CREATE TABLE opportunity_history_new (
            id INTEGER PRIMARY KEY,
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
            changed_at TEXT NOT NULL,
            field TEXT NOT NULL CHECK (field IN (
                'stage', 'amount', 'close_date', 'currency', 'name', 'owner', 'type',
                'playbook', 'account', 'pause', 'close_reason')),
            old_value TEXT,
            new_value TEXT,
            source TEXT,
            author TEXT,
            reason TEXT
        );
        INSERT INTO opportunity_history_new
            (id, opportunity_id, changed_at, field, old_value, new_value, source)
        SELECT id, opportunity_id, changed_at, field, old_value, new_value, source
        FROM opportunity_history;
        DROP TABLE opportunity_history;
        ALTER TABLE opportunity_history_new RENAME TO opportunity_history;
        CREATE INDEX idx_history_opp_field ON opportunity_history(opportunity_id, field);
        ALTER TABLE opportunities ADD COLUMN close_reason TEXT;
        """
    ]
    for name, (when, body) in triggers.items():
        script.append(f"CREATE TRIGGER {name} {when} BEGIN {''.join(body)} END;")
    db.executescript("\n".join(script))


@_register
def m010_reps(db: Database) -> None:
    """Reps: deals and accounts point at a rep, not at a free-text owner.

    Health and pay need a portfolio and a plan per rep, a manager, a team and
    the rep's language. ``rep_id`` rules. ``opportunities.owner`` stays as the
    rep's name kept in step by the triggers below, because the pipeline review
    (benchmarked at 100k deals) filters and shows it without a join; no code
    may treat it as the owner's identity. A writer that gives only an owner
    text (an older script, a test helper) still lands on a rep: the insert and
    update triggers find or create it. The importer resolves owners itself,
    once per distinct name, so these triggers do no work per imported row.

    Back-fill: one rep per distinct owner (ASCII case-insensitive, trimmed),
    deals re-pointed and their owner text set to the rep's spelling; an
    account's rep is the rep owning most of its deals (ties: the oldest rep).
    """
    db.executescript(
        """
        CREATE TABLE reps (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL CHECK (trim(name) <> ''),
            email TEXT,
            manager_id INTEGER REFERENCES reps(id) ON DELETE SET NULL,
            team TEXT,
            language TEXT CHECK (language IS NULL OR language IN ('en', 'fr')),
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX idx_reps_name ON reps(name COLLATE NOCASE);
        ALTER TABLE opportunities ADD COLUMN rep_id INTEGER REFERENCES reps(id)
            ON DELETE SET NULL;
        ALTER TABLE accounts ADD COLUMN rep_id INTEGER REFERENCES reps(id) ON DELETE SET NULL;
        INSERT INTO reps (name, created_at)
        SELECT trim(owner), MIN(created_at) FROM opportunities
        WHERE trim(owner) <> ''
        GROUP BY trim(owner) COLLATE NOCASE
        ORDER BY MIN(created_at), trim(owner);
        UPDATE opportunities
        SET rep_id = (SELECT r.id FROM reps r WHERE r.name = trim(opportunities.owner)
                      COLLATE NOCASE)
        WHERE trim(owner) <> '';
        UPDATE opportunities
        SET owner = (SELECT r.name FROM reps r WHERE r.id = opportunities.rep_id)
        WHERE rep_id IS NOT NULL;
        CREATE INDEX idx_opps_rep ON opportunities(rep_id);
        UPDATE accounts SET rep_id = (
            SELECT o.rep_id FROM opportunities o
            WHERE o.account_id = accounts.id AND o.rep_id IS NOT NULL
            GROUP BY o.rep_id ORDER BY COUNT(*) DESC, o.rep_id LIMIT 1);
        CREATE INDEX idx_accounts_rep ON accounts(rep_id);

        CREATE TRIGGER reps_deal_insert_owner AFTER INSERT ON opportunities
        WHEN NEW.rep_id IS NULL AND trim(NEW.owner) <> ''
        BEGIN
            INSERT INTO reps (name, created_at)
            SELECT trim(NEW.owner), NEW.created_at
            WHERE NOT EXISTS (SELECT 1 FROM reps WHERE name = trim(NEW.owner) COLLATE NOCASE);
            UPDATE opportunities
            SET rep_id = (SELECT id FROM reps WHERE name = trim(NEW.owner) COLLATE NOCASE)
            WHERE id = NEW.id;
        END;
        CREATE TRIGGER reps_deal_insert_rep AFTER INSERT ON opportunities
        WHEN NEW.rep_id IS NOT NULL
             AND NEW.owner IS NOT (SELECT name FROM reps WHERE id = NEW.rep_id)
        BEGIN
            UPDATE opportunities
            SET owner = COALESCE((SELECT name FROM reps WHERE id = NEW.rep_id), '')
            WHERE id = NEW.id;
        END;
        CREATE TRIGGER reps_deal_owner_update AFTER UPDATE OF owner ON opportunities
        WHEN NEW.rep_id IS OLD.rep_id AND NEW.owner IS NOT OLD.owner
             AND NOT EXISTS (SELECT 1 FROM reps WHERE id = NEW.rep_id AND name = NEW.owner)
        BEGIN
            INSERT INTO reps (name, created_at)
            SELECT trim(NEW.owner), strftime('%Y-%m-%dT%H:%M:%S', 'now')
            WHERE trim(NEW.owner) <> ''
              AND NOT EXISTS (SELECT 1 FROM reps WHERE name = trim(NEW.owner) COLLATE NOCASE);
            UPDATE opportunities
            SET rep_id = (SELECT id FROM reps WHERE name = trim(NEW.owner) COLLATE NOCASE)
            WHERE id = NEW.id;
        END;
        CREATE TRIGGER reps_deal_rep_update AFTER UPDATE OF rep_id ON opportunities
        WHEN NEW.rep_id IS NOT OLD.rep_id
        BEGIN
            UPDATE opportunities
            SET owner = COALESCE((SELECT name FROM reps WHERE id = NEW.rep_id), '')
            WHERE id = NEW.id;
        END;
        CREATE TRIGGER reps_rename AFTER UPDATE OF name ON reps
        WHEN NEW.name IS NOT OLD.name
        BEGIN
            UPDATE opportunities SET owner = NEW.name WHERE rep_id = NEW.id;
        END;
        """
    )


@_register
def m011_contacts_one_model(db: Database) -> None:
    """One contact model: the contact's buying role rules, a deal may override it.

    The first schema stored a role twice (``contacts.buying_role`` and
    ``opportunity_contacts.role``) and readers disagreed: the deal screen and
    the checklist took the deal's role unless it was 'unknown', the review's
    lost-champion fact took either. Settled here: ``contacts.buying_role`` is
    the person's role in the account's buying group; ``opportunity_contacts.role``
    is NULL ("as the contact's role") or a per-deal override, so the role in
    force on a deal is ``COALESCE(oc.role, c.buying_role)`` everywhere.

    Back-fill: 'coach' becomes 'influencer' (the vocabulary has no coach;
    a coach guides without necessarily championing), unknown words 'unknown';
    a contact whose own role was unknown takes the role its deals gave it
    most often; deal roles that are 'unknown' or equal to the contact's become
    NULL. The link table is rebuilt for its new CHECK (rows kept) and the deal
    facts' contact triggers are created again on the role in force.

    Contacts gain what a relationship map needs (reports-to, stance,
    influence, last contact date) and a source for CRM imports. Triggers
    refuse a role, stance or influence outside the vocabulary, whoever writes.
    """
    roles = (
        "('economic_buyer', 'executive_sponsor', 'champion', 'technical_evaluator', "
        "'influencer', 'user', 'procurement', 'blocker')"
    )
    roles_or_unknown = roles[:-1] + ", 'unknown')"
    stances = "('advocate', 'supporter', 'neutral', 'sceptic', 'opponent')"
    influence = "('high', 'medium', 'low')"
    bad_contact = (
        f"NEW.buying_role NOT IN {roles_or_unknown}"
        f" OR (NEW.stance IS NOT NULL AND NEW.stance NOT IN {stances})"
        f" OR (NEW.influence IS NOT NULL AND NEW.influence NOT IN {influence})"
    )
    refuse = (
        "SELECT RAISE(ABORT, 'contact buying_role, stance or influence is not one of "
        "the allowed values');"
    )
    contacts = """
        INSERT INTO deal_facts (opportunity_id, engaged, lost_champion)
        SELECT o.id, x.engaged, x.lost
        FROM opportunities o, (
            SELECT SUM(oc.engaged = 1 AND c.left_company = 0) AS engaged,
                   MAX(CASE WHEN c.left_company = 1
                             AND COALESCE(oc.role, c.buying_role) = 'champion'
                            THEN c.name END) AS lost
            FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
            WHERE oc.opportunity_id = {opp}
        ) x
        WHERE o.id = {opp}
        ON CONFLICT (opportunity_id) DO UPDATE
        SET engaged = excluded.engaged, lost_champion = excluded.lost_champion;
    """
    triggers = {
        "deal_facts_link_insert": (
            "AFTER INSERT ON opportunity_contacts",
            [
                """
                INSERT INTO deal_facts (opportunity_id, engaged, lost_champion)
                SELECT NEW.opportunity_id, (NEW.engaged = 1 AND c.left_company = 0),
                       CASE WHEN c.left_company = 1
                             AND COALESCE(NEW.role, c.buying_role) = 'champion'
                            THEN c.name END
                FROM contacts c WHERE c.id = NEW.contact_id
                ON CONFLICT (opportunity_id) DO UPDATE
                SET engaged = COALESCE(engaged, 0) + excluded.engaged,
                    lost_champion = CASE
                        WHEN lost_champion IS NULL THEN excluded.lost_champion
                        WHEN excluded.lost_champion IS NULL THEN lost_champion
                        ELSE max(lost_champion, excluded.lost_champion) END;
                """
            ],
        ),
        "deal_facts_link_delete": (
            "AFTER DELETE ON opportunity_contacts",
            [contacts.format(opp="OLD.opportunity_id")],
        ),
        "deal_facts_link_update": (
            "AFTER UPDATE ON opportunity_contacts",
            [contacts.format(opp="OLD.opportunity_id"), contacts.format(opp="NEW.opportunity_id")],
        ),
        "deal_facts_contact_update": (
            "AFTER UPDATE OF name, left_company, buying_role ON contacts",
            [
                """
                INSERT INTO deal_facts (opportunity_id, engaged, lost_champion)
                SELECT mine.opportunity_id,
                       SUM(oc.engaged = 1 AND c.left_company = 0),
                       MAX(CASE WHEN c.left_company = 1
                                 AND COALESCE(oc.role, c.buying_role) = 'champion'
                                THEN c.name END)
                FROM opportunity_contacts mine
                JOIN opportunity_contacts oc ON oc.opportunity_id = mine.opportunity_id
                JOIN contacts c ON c.id = oc.contact_id
                WHERE mine.contact_id = NEW.id
                GROUP BY mine.opportunity_id
                ON CONFLICT (opportunity_id) DO UPDATE
                SET engaged = excluded.engaged, lost_champion = excluded.lost_champion;
                """
            ],
        ),
        "contacts_vocabulary_insert": (f"BEFORE INSERT ON contacts WHEN {bad_contact}", [refuse]),
        "contacts_vocabulary_update": (
            f"BEFORE UPDATE OF buying_role, stance, influence ON contacts WHEN {bad_contact}",
            [refuse],
        ),
    }
    script = [
        f"""
        DROP TRIGGER IF EXISTS deal_facts_contact_update;
        ALTER TABLE contacts ADD COLUMN reports_to_id INTEGER REFERENCES contacts(id)
            ON DELETE SET NULL;
        ALTER TABLE contacts ADD COLUMN stance TEXT;
        ALTER TABLE contacts ADD COLUMN influence TEXT;
        ALTER TABLE contacts ADD COLUMN last_contact_at TEXT;
        ALTER TABLE contacts ADD COLUMN source TEXT;
        ALTER TABLE contacts ADD COLUMN updated_at TEXT;
        CREATE UNIQUE INDEX idx_contacts_external ON contacts(source, external_id)
            WHERE external_id IS NOT NULL;
        UPDATE contacts SET buying_role = 'influencer' WHERE buying_role = 'coach';
        UPDATE contacts SET buying_role = 'unknown'
            WHERE buying_role IS NULL OR buying_role NOT IN {roles_or_unknown};

        CREATE TABLE opportunity_contacts_new (
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            role TEXT CHECK (role IS NULL OR role IN {roles}),
            engaged INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (opportunity_id, contact_id)
        );
        INSERT INTO opportunity_contacts_new (opportunity_id, contact_id, role, engaged)
        SELECT opportunity_id, contact_id,
               CASE WHEN role = 'coach' THEN 'influencer'
                    WHEN role IN {roles} THEN role END,
               engaged
        FROM opportunity_contacts;
        DROP TABLE opportunity_contacts;
        ALTER TABLE opportunity_contacts_new RENAME TO opportunity_contacts;
        CREATE INDEX idx_oppcontacts_contact ON opportunity_contacts(contact_id);

        UPDATE contacts SET buying_role = (
            SELECT oc.role FROM opportunity_contacts oc
            WHERE oc.contact_id = contacts.id AND oc.role IS NOT NULL
            GROUP BY oc.role ORDER BY COUNT(*) DESC, oc.role LIMIT 1)
        WHERE buying_role = 'unknown' AND EXISTS (
            SELECT 1 FROM opportunity_contacts oc
            WHERE oc.contact_id = contacts.id AND oc.role IS NOT NULL);
        UPDATE opportunity_contacts SET role = NULL
        WHERE role = (SELECT c.buying_role FROM contacts c WHERE c.id = contact_id);

        UPDATE deal_facts SET (engaged, lost_champion) = (
            SELECT SUM(oc.engaged = 1 AND c.left_company = 0),
                   MAX(CASE WHEN c.left_company = 1
                             AND COALESCE(oc.role, c.buying_role) = 'champion'
                            THEN c.name END)
            FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id
            WHERE oc.opportunity_id = deal_facts.opportunity_id);
        """
    ]
    for name, (when, body) in triggers.items():
        script.append(f"CREATE TRIGGER {name} {when} BEGIN {''.join(body)} END;")
    db.executescript("\n".join(script))


@_register
def m012_proposals(db: Database) -> None:
    """What the notes say about people, kept as proposals the rep accepts or dismisses.

    One table for every feature that reads people from notes: contact
    suggestions, the relationship map, the churn signals (a champion who
    left, a new executive). A proposal is never applied by itself: it waits,
    with the sentence that supports it, until the rep accepts it (and then
    ``result_contact_id`` names the contact it made or changed) or dismisses
    it. The unique key makes re-analysing a note idempotent, and a dismissed
    proposal stays dismissed when the same note is read again.
    """
    db.executescript(
        """
        CREATE TABLE proposals (
            id INTEGER PRIMARY KEY,
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            kind TEXT NOT NULL
                CHECK (kind IN ('contact', 'role', 'stance', 'departure', 'arrival')),
            contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
            name TEXT,
            title TEXT,
            value TEXT,
            quote TEXT NOT NULL,
            span_start INTEGER,
            span_end INTEGER,
            lang TEXT,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'accepted', 'dismissed')),
            created_at TEXT NOT NULL,
            decided_at TEXT,
            decided_by TEXT,
            result_contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL
        );
        CREATE UNIQUE INDEX idx_proposals_key ON proposals(
            note_id, kind, COALESCE(contact_id, -1), lower(COALESCE(name, '')),
            COALESCE(value, ''));
        CREATE INDEX idx_proposals_deal ON proposals(opportunity_id, status);
        CREATE INDEX idx_proposals_account ON proposals(account_id, status);
        CREATE INDEX idx_proposals_open_kind ON proposals(status, kind);
        """
    )


@_register
def m013_next_steps(db: Database) -> None:
    """A deal's next step (what, who, when), with its history.

    Set from the deal screen, a manager's review or the call companion, and
    imported from a CRM's next-step column. The step in force is the deal's
    latest row; older rows are the history a manager reads in a review
    ("the same next step for six weeks"). ``done_at`` marks one done without
    replacing it.
    """
    db.executescript(
        """
        CREATE TABLE next_steps (
            id INTEGER PRIMARY KEY,
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
            what TEXT NOT NULL CHECK (trim(what) <> ''),
            who TEXT,
            due_date TEXT,
            set_at TEXT NOT NULL,
            set_by TEXT,
            source TEXT NOT NULL CHECK (source IN ('deal', 'review', 'call', 'import')),
            review_id INTEGER REFERENCES reviews(id) ON DELETE SET NULL,
            done_at TEXT
        );
        CREATE INDEX idx_next_steps_deal ON next_steps(opportunity_id, set_at, id);
        """
    )


@_register
def m014_manager_review(db: Database) -> None:
    """A manager's deal review: forecast category, per-criterion verdicts, and a score that stands.

    m007 let the latest rep or manager score win, so a rep re-qualifying a
    deal after a pipeline review silently replaced the manager's correction.
    Now, per criterion, the score in force is the latest manager score that
    is a correction (``verdict`` 'corrected', or NULL for manager scores
    written before this migration), else the latest rep score, else the
    latest analyser review's. A manager's 'agreed' row confirms the score in
    force at that moment and is kept as history: it does not pin the score,
    so new evidence can still move it. Both stay in history; the scorecard
    explains which one is in force (kamcoach.review.in_force).

    The deal_scores triggers of m007 are created again with this order and
    the table back-filled. The SQL is spelled out here, not shared, so this
    migration never changes once shipped.
    """
    pick = """
        ROW_NUMBER() OVER (
            PARTITION BY {part}
            ORDER BY CASE r.author_kind WHEN 'manager' THEN 0 WHEN 'rep' THEN 1 ELSE 2 END,
                     r.created_at DESC, r.id DESC
        ) AS rn
    """
    counts = """
        ((r.author_kind = 'manager' AND COALESCE(s.verdict, 'corrected') = 'corrected')
         OR r.author_kind = 'rep' OR r.id = (
            SELECT a.id FROM reviews a
            WHERE a.author_kind = 'analyser' AND a.opportunity_id = {opp}
            ORDER BY a.created_at DESC, a.id DESC LIMIT 1))
    """
    recompute = f"""
        DELETE FROM deal_scores WHERE opportunity_id = {{opp}};
        INSERT INTO deal_scores (opportunity_id, scores)
        SELECT o.id, x.packed FROM opportunities o, (
            SELECT group_concat(criterion || char(31) || score || char(31) || status,
                                char(30)) AS packed
            FROM (
                SELECT criterion, score, status FROM (
                    SELECT s.criterion, s.score, s.status, {pick.format(part="s.criterion")}
                    FROM reviews r JOIN review_scores s ON s.review_id = r.id
                    WHERE r.opportunity_id = {{opp}} AND {counts}
                ) WHERE rn = 1 ORDER BY criterion
            )
        ) x
        WHERE o.id = {{opp}} AND x.packed IS NOT NULL;
    """
    of_review = "(SELECT opportunity_id FROM reviews WHERE id = {rid})"
    triggers = {
        "deal_scores_review_insert": (
            "AFTER INSERT ON reviews",
            [recompute.format(opp="NEW.opportunity_id")],
        ),
        "deal_scores_review_delete": (
            "AFTER DELETE ON reviews",
            [recompute.format(opp="OLD.opportunity_id")],
        ),
        "deal_scores_review_update": (
            "AFTER UPDATE OF opportunity_id, author_kind, created_at ON reviews",
            [
                recompute.format(opp="OLD.opportunity_id"),
                recompute.format(opp="NEW.opportunity_id"),
            ],
        ),
        "deal_scores_score_insert": (
            "AFTER INSERT ON review_scores",
            [recompute.format(opp=of_review.format(rid="NEW.review_id"))],
        ),
        "deal_scores_score_delete": (
            "AFTER DELETE ON review_scores",
            [recompute.format(opp=of_review.format(rid="OLD.review_id"))],
        ),
        "deal_scores_score_update": (
            "AFTER UPDATE ON review_scores",
            [
                recompute.format(opp=of_review.format(rid="OLD.review_id")),
                recompute.format(opp=of_review.format(rid="NEW.review_id")),
            ],
        ),
    }
    script = [
        """
        ALTER TABLE reviews ADD COLUMN forecast TEXT
            CHECK (forecast IS NULL OR forecast IN ('commit', 'best_case', 'pipeline', 'omitted'));
        ALTER TABLE review_scores ADD COLUMN verdict TEXT
            CHECK (verdict IS NULL OR verdict IN ('agreed', 'corrected'));
        CREATE INDEX idx_reviews_forecast ON reviews(opportunity_id, created_at, id)
            WHERE forecast IS NOT NULL;
        """
    ]
    for name in triggers:
        script.append(f"DROP TRIGGER IF EXISTS {name};")
    script.append(
        f"""
        DELETE FROM deal_scores;
        INSERT INTO deal_scores (opportunity_id, scores)
        SELECT opportunity_id,
               group_concat(criterion || char(31) || score || char(31) || status, char(30))
        FROM (
            SELECT opportunity_id, criterion, score, status FROM (
                SELECT r.opportunity_id, s.criterion, s.score, s.status,
                       {pick.format(part="r.opportunity_id, s.criterion")}
                FROM reviews r JOIN review_scores s ON s.review_id = r.id
                WHERE {counts.format(opp="r.opportunity_id")}
            ) WHERE rn = 1 ORDER BY opportunity_id, criterion
        )
        WHERE opportunity_id IN (SELECT id FROM opportunities)
        GROUP BY opportunity_id;
        """
    )
    for name, (when, body) in triggers.items():
        script.append(f"CREATE TRIGGER {name} {when} BEGIN {''.join(body)} END;")
    db.executescript("\n".join(script))


@_register
def m015_note_titles(db: Database) -> None:
    """A note's title: an activity's subject from a CRM, or one the rep gives.

    The importer used to glue the subject onto the text, so a subject such as
    "Call with CFO re budget" was read as evidence the call never gave. The
    analyser reads ``text`` only. Notes imported before this keep their text
    as it was: nothing tells a glued subject from a first line the rep wrote.
    """
    db.executescript("ALTER TABLE notes ADD COLUMN title TEXT;")
