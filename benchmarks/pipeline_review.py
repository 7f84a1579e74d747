"""Scale benchmark of the pipeline review: 1k, 10k and 100k synthetic opportunities.

Builds each pipeline (accounts, contacts, deals, notes, history, analyser and
human reviews) with ``executemany`` inside one transaction, then times the
flag computation (``review_pipeline``) and the HTML/Markdown report, and
prints the growth per 10x. Target: 100k opportunities in about a second, with
growth no worse than linear (about 10x per 10x).

Run from a clean checkout::

    python benchmarks/pipeline_review.py           # 1k, 10k, 100k
    python benchmarks/pipeline_review.py --quick   # 1k, 10k
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review.config import load_flag_config
from kamcoach.review.pipeline import review_pipeline
from kamcoach.review.report import render_html, render_markdown
from kamcoach.storage.db import open_db

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
WHO = ("Claire", "Marc", "Julie", "Tom", "Nadia", "Paul", "Sofia", "Hugo")


def _ts(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat() + "T10:00:00"


def _day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def build(path: Path, n: int, seed: int = 7) -> float:
    """Fill a fresh database with ``n`` deals; returns seconds spent inserting."""
    rnd = random.Random(seed)
    db = open_db(path)
    started = time.perf_counter()
    conn = db.conn
    n_accounts = max(1, n // 10)
    with db.atomic():
        conn.executemany(
            "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
            ((i, f"Account {i}", _ts(-400)) for i in range(1, n_accounts + 1)),
        )
        opps, links, contacts, notes, history, reviews, scores = [], [], [], [], [], [], []
        contact_id = note_id = review_id = 0
        for i in range(1, n + 1):
            stage = rnd.choices(STAGES, weights=(25, 20, 20, 15, 10, 5, 5))[0]
            acc = rnd.randint(1, n_accounts)
            stage_age = rnd.randint(1, 120)
            paused = rnd.random() < 0.03
            opps.append(
                (
                    i,
                    acc,
                    f"Deal {i}",
                    float(rnd.choice((20, 50, 80, 120, 250, 600)) * 1000),
                    "EUR",
                    stage,
                    _day(rnd.randint(-20, 150)),
                    f"rep{rnd.randint(1, 25):02d}",
                    "meddic",
                    _ts(-stage_age - rnd.randint(0, 60)),
                    _ts(-stage_age),
                    "customer reorganisation" if paused else None,
                    _day(rnd.randint(1, 60)) if paused else None,
                )
            )
            for _ in range(rnd.randint(1, 3)):
                contact_id += 1
                contacts.append((contact_id, acc, f"Person {contact_id}", _ts(-300)))
                links.append((i, contact_id, rnd.choice(("champion", "user", "economic_buyer")), 1))
            for _ in range(rnd.randint(1, 4)):
                note_id += 1
                # About 1 note in 20 carries a risk phrase, as in a real pipeline.
                template = rnd.choice(NOTES[5:] if rnd.random() < 0.05 else NOTES[:5])
                text = template.format(
                    who=rnd.choice(WHO), n=rnd.randint(2, 90), q=rnd.randint(1, 4)
                )
                notes.append((note_id, i, _ts(-rnd.randint(0, 60)), text, str(note_id)))
            if rnd.random() < 0.3:
                old = rnd.randint(-10, 60)
                history.append((i, _ts(-20), "close_date", _day(old), _day(old + 30)))
                if rnd.random() < 0.5:
                    history.append((i, _ts(-10), "close_date", _day(old + 30), _day(old + 60)))
            if rnd.random() < 0.1:
                history.append((i, _ts(-15), "amount", "300000", "200000"))
            if rnd.random() < 0.9:
                for kind, when in (("analyser", -30), ("analyser", -5)):
                    review_id += 1
                    reviews.append((review_id, i, _ts(when), kind, "meddic", 50.0))
                    scores.extend((review_id, c, rnd.randint(0, 3), "specific") for c in CRITERIA)
                if rnd.random() < 0.1:
                    review_id += 1
                    reviews.append((review_id, i, _ts(-2), "manager", "meddic", 60.0))
                    scores.append((review_id, "champion", 3, "validated"))
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
        conn.executemany(
            "INSERT INTO notes (id, opportunity_id, created_at, text, content_hash)"
            " VALUES (?, ?, ?, ?, ?)",
            notes,
        )
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
    conn.execute("ANALYZE")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def _best(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (best is kept)")
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    playbooks = load_playbooks()
    config = load_flag_config(use_team=False)
    print(f"{'deals':>8} {'build s':>8} {'flags s':>8} {'report s':>9} {'flagged':>8} {'share':>6}")
    figures: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"bench_{n}.db"
            build_s = build(path, n)
            db = open_db(path)
            flags_s, report = _best(
                lambda db=db: review_pipeline(db, playbooks, config=config, today=TODAY),
                args.repeat,
            )

            def render(report=report) -> int:  # type: ignore[no-untyped-def]
                return len(render_html(report, playbooks)) + len(render_markdown(report, playbooks))

            report_s, _ = _best(render, args.repeat)
            total = report.total  # type: ignore[attr-defined]
            print(
                f"{n:>8,} {build_s:>8.2f} {flags_s:>8.3f} {report_s:>9.3f} "
                f"{total.flagged_deals:>8,} {total.share_flagged:>6.0%}"
            )
            figures.append((n, flags_s, report_s))
            db.close()
    print("\ngrowth per 10x (10.0 = linear):")
    for (n0, f0, r0), (n1, f1, r1) in itertools.pairwise(figures):
        print(f"  {n0:>7,} -> {n1:<7,} flags x{f1 / f0:5.1f}   report x{r1 / r0:5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
