"""Scale benchmark of the pipeline review: 1k, 10k and 100k synthetic opportunities.

Builds each pipeline (accounts, contacts, deals, notes, history, analyser and
human reviews) with ``executemany`` inside one transaction, then times a
same-run baseline (streaming every opportunity row with a bare ``SELECT``),
the flag computation (``review_pipeline``, also shown as a multiple of the
baseline, in wall time and in CPU time of this process) and the reports
(Markdown, HTML, terminal table at their default deal limit), and prints the
growth per 10x. Target: 100k opportunities in at most a second and 5x the
bare select, with growth no worse than linear (about 10x per 10x).

Run from a clean checkout::

    python benchmarks/pipeline_review.py           # 1k, 10k, 100k
    python benchmarks/pipeline_review.py --quick   # 1k, 10k
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kamcoach.cli.pipeline_cmd import print_pipeline_table
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review.config import load_flag_config
from kamcoach.review.pipeline import review_pipeline
from kamcoach.review.report import DEFAULT_LIMIT, render_html, render_markdown
from kamcoach.storage.db import open_db
from kamcoach.storage.derived import rebuild_derived

TODAY = date(2026, 11, 20)
OPEN = ("discovery", "qualification", "proposal", "negotiation", "commit")
STAGES = (*OPEN, "closed_won", "closed_lost")
CRITERIA = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "identify_pain",
    "champion",
)
NOTES = (
    "Call with {who}: they want to cut order processing time by {n} %. Next step: demo.",
    "Réunion avec {who} : le projet vise {n} k€ d'économies, le DAF doit valider.",
    "{who} introduced us to the CFO; decision committee meets in {n} days.",
    "Point avec {who}, le budget est confirmé pour le T{q}, pas encore de champion.",
    "Follow-up email from {who}; pilot scope agreed for {n} users.",
    "{who} says the project is on hold until the reorganisation is done.",
    "Relance de {who} : gel des budgets annoncé jusqu'en {q}e trimestre.",
    "Our champion {who} has left the company, need a new sponsor.",
)
FRENCH = frozenset(t for t in NOTES if t.startswith(("Réunion", "Point", "Relance")))
WHO = ("Claire", "Marc", "Julie", "Tom", "Nadia", "Paul", "Sofia", "Hugo")


#: Timestamps and days by offset from TODAY, formatted once (the builder needs millions).
_TS = {o: (TODAY + timedelta(days=o)).isoformat() + "T10:00:00" for o in range(-500, 200)}
_DAY = {o: (TODAY + timedelta(days=o)).isoformat() for o in range(-500, 200)}
_STAGE_CUTS = tuple(itertools.accumulate((25, 20, 20, 15, 10, 5, 5)))


def _fts_insert_trigger(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'notes_fts_insert'"
    ).fetchone()
    return row[0] if row else None


def build(path: Path, n: int, seed: int = 7) -> float:
    """Fill a fresh database with ``n`` deals; returns seconds spent inserting.

    Rows come from plain loops over a seeded generator (``random()`` only:
    ``randint`` and ``choices`` cost more than the inserts) and go in with
    ``executemany`` inside one transaction. The note full-text index is
    filled once at the end (``rebuild``) instead of by the per-row trigger,
    which is put back unchanged afterwards; the application keeps using the
    trigger. Likewise the ``deal_scores`` and ``deal_facts`` triggers (a
    recompute per review, note, history or contact row) are dropped for the
    bulk insert, put back as they were, and both tables rebuilt at the end in
    a few set-based statements (:func:`kamcoach.storage.derived.rebuild_derived`).
    """
    rnd = random.Random(seed).random
    db = open_db(path)
    started = time.perf_counter()
    conn = db.conn
    # A throwaway file: a big page cache and no fsync keep the build CPU-bound.
    conn.execute("PRAGMA cache_size = -400000")
    conn.execute("PRAGMA synchronous = OFF")
    trigger = _fts_insert_trigger(conn)
    n_accounts = max(1, n // 10)
    opps: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    contacts: list[tuple[Any, ...]] = []
    notes: list[tuple[Any, ...]] = []
    analyses: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    reviews: list[tuple[Any, ...]] = []
    scores: list[tuple[Any, ...]] = []
    contact_id = note_id = review_id = 0
    roles = ("champion", "user", "economic_buyer")
    amounts = tuple(float(k * 1000) for k in (20, 50, 80, 120, 250, 600))
    for i in range(1, n + 1):
        pick = rnd() * 100
        stage = STAGES[next(k for k, cut in enumerate(_STAGE_CUTS) if pick < cut)]
        acc = 1 + int(rnd() * n_accounts)
        stage_age = 1 + int(rnd() * 120)
        paused = rnd() < 0.03
        opps.append(
            (
                i,
                acc,
                f"Deal {i}",
                amounts[int(rnd() * 6)],
                "EUR",
                stage,
                _DAY[-20 + int(rnd() * 171)],
                f"rep{1 + int(rnd() * 25):02d}",
                "meddic",
                _TS[-stage_age - int(rnd() * 61)],
                _TS[-stage_age],
                "customer reorganisation" if paused else None,
                _DAY[1 + int(rnd() * 60)] if paused else None,
            )
        )
        for _ in range(1 + int(rnd() * 3)):
            contact_id += 1
            contacts.append((contact_id, acc, f"Person {contact_id}", _TS[-300]))
            links.append((i, contact_id, roles[int(rnd() * 3)], 1))
        for _ in range(1 + int(rnd() * 4)):
            note_id += 1
            # About 1 note in 20 carries a risk phrase, as in a real pipeline.
            if rnd() < 0.05:
                template = NOTES[5 + int(rnd() * (len(NOTES) - 5))]
            else:
                template = NOTES[int(rnd() * 5)]
            text = template.format(
                who=WHO[int(rnd() * len(WHO))], n=2 + int(rnd() * 89), q=1 + int(rnd() * 4)
            )
            when = _TS[-int(rnd() * 61)]
            notes.append((note_id, i, when, text, str(note_id)))
            # Every note has been analysed, as in a real file: the review reads the detected
            # language from note_analyses (notes.lang is only set when a rep forces it).
            analyses.append((note_id, str(note_id), "fr" if template in FRENCH else "en", when))
        if rnd() < 0.3:
            old = -10 + int(rnd() * 71)
            history.append((i, _TS[-20], "close_date", _DAY[old], _DAY[old + 30]))
            if rnd() < 0.5:
                history.append((i, _TS[-10], "close_date", _DAY[old + 30], _DAY[old + 60]))
        if rnd() < 0.1:
            history.append((i, _TS[-15], "amount", "300000", "200000"))
        if rnd() < 0.9:
            for kind, when in (("analyser", -30), ("analyser", -5)):
                review_id += 1
                reviews.append((review_id, i, _TS[when], kind, "meddic", 50.0))
                scores.extend((review_id, c, int(rnd() * 4), "specific") for c in CRITERIA)
            if rnd() < 0.1:
                review_id += 1
                reviews.append((review_id, i, _TS[-2], "manager", "meddic", 60.0))
                scores.append((review_id, "champion", 3, "validated"))
    with db.atomic():
        conn.executemany(
            "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
            ((i, f"Account {i}", _TS[-400]) for i in range(1, n_accounts + 1)),
        )
        conn.executemany(
            "INSERT INTO opportunities (id, account_id, name, amount, currency, stage, close_date,"
            " owner, playbook, created_at, stage_changed_at, pause_reason, paused_until)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            opps,
        )
        conn.executemany(
            "INSERT INTO contacts (id, account_id, name, created_at) VALUES (?, ?, ?, ?)", contacts
        )
        conn.executemany(
            "INSERT INTO opportunity_contacts (opportunity_id, contact_id, role, engaged)"
            " VALUES (?, ?, ?, ?)",
            links,
        )
        derived = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND (name LIKE 'deal_scores_%' OR name LIKE 'deal_facts_%')"
        ).fetchall()
        for name, _sql in derived:
            conn.execute(f"DROP TRIGGER {name}")
        if trigger:
            conn.execute("DROP TRIGGER notes_fts_insert")
        conn.executemany(
            "INSERT INTO notes (id, opportunity_id, created_at, text, content_hash)"
            " VALUES (?, ?, ?, ?, ?)",
            notes,
        )
        conn.executemany(
            "INSERT INTO note_analyses (note_id, playbook, content_hash, analyser_version, lang,"
            " result, analysed_at) VALUES (?, 'meddic', ?, 'bench', ?, '{}', ?)",
            analyses,
        )
        if trigger:
            conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')")
            conn.execute(trigger)
        conn.executemany(
            "INSERT INTO opportunity_history (opportunity_id, changed_at, field, old_value,"
            " new_value) VALUES (?, ?, ?, ?, ?)",
            history,
        )
        conn.executemany(
            "INSERT INTO reviews (id, opportunity_id, created_at, author_kind, playbook, overall)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            reviews,
        )
        conn.executemany(
            "INSERT INTO review_scores (review_id, criterion, score, status) VALUES (?, ?, ?, ?)",
            scores,
        )
    for _name, sql in derived:  # the triggers of the current schema, as they were
        conn.execute(sql)
    rebuild_derived(db)
    conn.execute("ANALYZE")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def _best(fn, repeat: int, clock=time.perf_counter) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = clock()
        result = fn()
        best = min(best, clock() - start)
    return best, result


def _bare_select(path: Path) -> int:
    """Same-run baseline: stream every opportunity row, doing nothing with it.

    Machines (and their load) differ a lot; the review's cost as a multiple
    of reading the deals table once is the figure to compare across runs.
    """
    conn = sqlite3.connect(path)
    try:
        count = 0
        for _row in conn.execute("SELECT * FROM opportunities"):
            count += 1
        return count
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (best is kept)")
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    playbooks = load_playbooks()
    config = load_flag_config(use_team=False)
    print(
        f"{'deals':>8} {'build s':>8} {'select s':>9} {'flags s':>8} {'x select':>9}"
        f" {'cpu x':>6} {'report s':>9} {'flagged':>8} {'share':>6}"
    )
    figures: list[tuple[int, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"bench_{n}.db"
            build_s = build(path, n)
            select_s, _ = _best(lambda path=path: _bare_select(path), args.repeat)
            db = open_db(path)
            flags_s, report = _best(
                lambda db=db: review_pipeline(db, playbooks, config=config, today=TODAY),
                args.repeat,
            )

            def render(report=report) -> int:
                """Markdown, HTML and the terminal table, each at its default deal limit."""
                sink = io.StringIO()
                with contextlib.redirect_stdout(sink):
                    print_pipeline_table(report, playbooks, DEFAULT_LIMIT)
                return (
                    len(render_html(report, playbooks))
                    + len(render_markdown(report, playbooks))
                    + len(sink.getvalue())
                )

            report_s, _ = _best(render, args.repeat)
            # The same ratio in CPU seconds of this process: steadier than wall time on a
            # shared machine, where waiting for a core counts in wall time.
            select_cpu, _ = _best(
                lambda path=path: _bare_select(path), args.repeat, time.process_time
            )
            flags_cpu, _ = _best(
                lambda db=db: review_pipeline(db, playbooks, config=config, today=TODAY),
                args.repeat,
                time.process_time,
            )
            total = report.total  # type: ignore[attr-defined]
            print(
                f"{n:>8,} {build_s:>8.2f} {select_s:>9.3f} {flags_s:>8.3f}"
                f" {flags_s / select_s:>8.1f}x {flags_cpu / select_cpu:>5.1f}x {report_s:>9.3f}"
                f" {total.flagged_deals:>8,} {total.share_flagged:>6.0%}"
            )
            figures.append((n, select_s, flags_s, report_s))
            db.close()
    print("\ngrowth per 10x (10.0 = linear):")
    for (n0, s0, f0, r0), (n1, s1, f1, r1) in itertools.pairwise(figures):
        print(
            f"  {n0:>7,} -> {n1:<7,} select x{s1 / s0:5.1f}   flags x{f1 / f0:5.1f}"
            f"   report x{r1 / r0:5.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
