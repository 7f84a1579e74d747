"""Throughput of the note analyser against bare spaCy, and memory over a long batch.

Generates synthetic French and English notes from templates (about ten sentences
each, a typical call note), then in the same run:

- the load time of each language pipeline and of the evidence model;
- (1) a bare ``nlp.pipe`` of the language pipeline kamcoach loads, without the
  evidence component, and (2) ``kamcoach.analysis.engine.analyze_texts`` (the
  component plus the rules) on the same texts: both, the ratio, notes/s;
- the latency of one note analysed alone (``analyze_text``), median and 90th
  percentile, against the 50 ms budget;
- the peak RSS after 1,000 and 10,000 notes (the memory-flat check).

    python benchmarks/throughput.py [--quick] [--notes N] [--workers N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FR = [
    "Appel avec {name}, {title} chez {org}. Le budget de {amount} k€ est {state}, décision prévue {date}.",
    "Nous n'avons pas encore rencontré le DAF. {name} nous soutient et pousse le projet en interne.",
    "Douleur : {pct} % de ressaisies manuelles, {n} jours perdus par mois sur la facturation.",
    "Ils comparent avec {competitor}; critères : intégration, sécurité et prix. Juridique à prévoir.",
    "Je ne sais pas qui signe. Prochaine étape : atelier avec {n} utilisateurs {date}.",
    "Objectif : réduire le délai de paiement de {n} jours. Le comité de direction tranche {date}.",
]
EN = [
    "Call with {name}, {title} at {org}. Budget of ${amount}k is {state_en}; decision expected {date_en}.",
    "We haven't met the CFO yet. {name} pushes internally and shared the internal deck.",
    "Pain: {pct}% of invoices re-keyed by hand, {n} days lost every month.",
    "They are also looking at {competitor}; criteria are integration, security and price. Legal review next.",
    "Not sure who signs. Next step: workshop with {n} users {date_en}.",
    "Goal: cut DSO by {n} days. The steering committee decides {date_en}.",
]
FILL = {
    "name": ["Marie Dupont", "Paul Martin", "Sarah Chen", "Tom Baker", "Hélène Garnier"],
    "title": ["DAF", "DSI", "responsable achats", "CFO", "VP Sales"],
    "org": ["Acme", "Globex", "Initech", "Umbrella"],
    "amount": ["50", "120", "300"],
    "state": ["validé", "non confirmé", "à confirmer"],
    "state_en": ["approved", "not confirmed", "TBD"],
    "date": ["fin mars", "au T3", "avant l'été"],
    "date_en": ["by Q3", "before September", "next month"],
    "pct": ["12", "30", "45"],
    "n": ["3", "10", "200"],
    "competitor": ["Salesforce", "HubSpot", "an in-house tool"],
}


def make_notes(count: int, lang: str, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    templates = FR if lang == "fr" else EN
    notes = []
    for _ in range(count):
        parts = rnd.sample(templates, k=5)
        text = " ".join(parts)
        for key, values in FILL.items():
            while "{" + key + "}" in text:
                text = text.replace("{" + key + "}", rnd.choice(values), 1)
        notes.append(text)
    return notes


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (400 notes per language)")
    parser.add_argument("--notes", type=int, default=None, help="notes per language")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--memory", type=int, default=None, help="notes for the memory check")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from kamcoach.analysis.engine import analyze_text, analyze_texts
    from kamcoach.analysis.evidence.model import COMPONENT, WEIGHTS_DIR, read_model
    from kamcoach.analysis.nlp import describe_pipelines, get_pipeline
    from kamcoach.playbooks.loader import load_playbooks

    per_lang = args.notes or (400 if args.quick else 2000)
    playbooks = load_playbooks()
    print(f"{per_lang} notes per language; pipelines: {describe_pipelines()}")
    start = time.perf_counter()
    read_model(WEIGHTS_DIR)
    size = sum(p.stat().st_size for p in WEIGHTS_DIR.iterdir()) / 1e6
    print(f"evidence model: {size:.1f} MB on disk, loaded in {time.perf_counter() - start:.2f}s")
    for lang in ("fr", "en"):
        notes = make_notes(per_lang, lang)
        start = time.perf_counter()
        nlp = get_pipeline(lang)
        print(f"[{lang}] pipeline {nlp.pipe_names} loaded in {time.perf_counter() - start:.2f}s")
        bare = [name for name in (COMPONENT,) if name in nlp.pipe_names]
        sentences = sum(1 for d in nlp.pipe(notes[:50], disable=bare) for _ in d.sents) / 50
        # Warm up both paths (model load, pattern compilation) before timing.
        list(nlp.pipe(notes[:50]))
        list(analyze_texts(((i, t, lang) for i, t in enumerate(notes[:50])), playbooks=playbooks))
        best_bare = best_ours = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            for _doc in nlp.pipe(notes, disable=bare):
                pass
            best_bare = min(best_bare, time.perf_counter() - start)
            start = time.perf_counter()
            for _res in analyze_texts(
                ((i, t, lang) for i, t in enumerate(notes)),
                playbooks=playbooks,
                playbook="meddpicc",
                workers=args.workers,
            ):
                pass
            best_ours = min(best_ours, time.perf_counter() - start)
        ratio = best_ours / best_bare
        print(
            f"[{lang}] bare nlp.pipe {best_bare:6.2f}s  kamcoach {best_ours:6.2f}s  "
            f"ratio {ratio:5.2f} (+{100 * (ratio - 1):.0f} %)  "
            f"{per_lang / best_ours:,.0f} notes/s"
        )
        latencies = []
        for text in notes[:200]:
            start = time.perf_counter()
            analyze_text(text, playbooks=playbooks, playbook="meddpicc", lang=lang)
            latencies.append((time.perf_counter() - start) * 1000)
        latencies.sort()
        median, p90 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.9)]
        print(
            f"[{lang}] one note alone ({sentences:.1f} sentences on average): median "
            f"{median:.1f} ms, p90 {p90:.1f} ms (budget 50 ms)"
        )
    total = args.memory or (2000 if args.quick else 10_000)
    notes = make_notes(500, "fr", seed=1) + make_notes(500, "en", seed=2)
    marks = {1000: 0.0, total: 0.0}

    def stream():  # type: ignore[no-untyped-def]
        for i in range(total):
            yield i, notes[i % len(notes)] + f" Réf {i}.", None

    for done, _res in enumerate(analyze_texts(stream(), playbooks=playbooks), start=1):
        if done in marks:
            marks[done] = rss_mb()
    print(
        f"peak RSS after 1,000 notes {marks[1000]:.0f} MB, after {total:,} notes "
        f"{marks[total]:.0f} MB (growth {marks[total] - marks[1000]:+.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
