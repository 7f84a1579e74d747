"""Our training corpus: loading, format checks, balance and contamination checks.

The corpus (``training/corpus/*.jsonl``, format in ``training/README.md``) is
what the evidence model learns from, so a malformed line, an unknown criterion
or a line copied from the measurement set must stop training, not skew it.
``python -m kamcoach.analysis.corpus check`` prints the balance table
(criterion x language x label, and styles) and refuses lines that match the
dev set exactly or closely (rapidfuzz), since dev is measurement data only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CRITERIA: tuple[str, ...] = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "identify_pain",
    "champion",
    "paper_process",
    "competition",
    "budget",
    "authority",
    "need",
    "timeline",
)
SENT_LABELS = ("evidence", "gap")
STYLES = frozenset(
    {
        "crm_terse",
        "bullets",
        "transcript",
        "email",
        "narrative",
        "minutes",
        "forecast",
        "qbr",
        "visit_report",
        "mixed",
        "teaching",
    }
)
KINDS = frozenset({"deal", "teaching", "other"})
NEG_TAGS = frozenset(
    {
        "teaching",
        "pitch",
        "rep_question",
        "customer_question",
        "hypothetical",
        "lookalike",
        "topic_only",
        "rep_action",
        "subject",
        "smalltalk",
    }
)
#: Minimum labelled sentences for the corpus to count as complete (issue #10).
MIN_SENTENCES = 6000
#: A training sentence this close (rapidfuzz ratio, 0-100) to a dev line is refused.
FUZZY_LIMIT = 90.0
#: Sentences shorter than this are too generic to call copied ("Budget?", "Next steps").
FUZZY_MIN_CHARS = 25


class CorpusError(ValueError):
    """A corpus line that breaks the format: says file, line and key."""


@dataclass(slots=True)
class Sentence:
    text: str
    labels: dict[str, str]
    neg: str | None = None
    start: int = 0
    end: int = 0


@dataclass(slots=True)
class Note:
    id: str
    lang: str
    style: str
    kind: str
    industry: str
    joiner: str
    sentences: list[Sentence]
    source: str = ""
    text: str = field(default="")

    def note_labels(self) -> dict[str, str]:
        """present / gap / absent per criterion, derived from the sentences."""
        out = {}
        for cid in CRITERIA:
            found = {s.labels.get(cid) for s in self.sentences}
            out[cid] = "present" if "evidence" in found else "gap" if "gap" in found else "absent"
        return out


def _err(path: Path, line: int, msg: str) -> CorpusError:
    return CorpusError(f"{path}:{line}: {msg}")


def parse_note(obj: object, path: Path, line: int) -> Note:
    if not isinstance(obj, dict):
        raise _err(path, line, "a note must be a JSON object")
    for key in ("id", "lang", "style", "kind", "sentences"):
        if key not in obj:
            raise _err(path, line, f"missing key {key!r}")
    if obj["lang"] not in ("en", "fr"):
        raise _err(path, line, f"lang must be en or fr, not {obj['lang']!r}")
    if obj["style"] not in STYLES:
        raise _err(path, line, f"unknown style {obj['style']!r}")
    if obj["kind"] not in KINDS:
        raise _err(path, line, f"unknown kind {obj['kind']!r}")
    joiner = obj.get("joiner", "\n") or " "
    if (
        not isinstance(joiner, str)
        or not joiner
        or len(joiner) > 4
        or any(c.isalnum() for c in joiner)
    ):
        raise _err(
            path, line, f"joiner must be a short separator such as a newline, not {joiner!r}"
        )
    raw = obj["sentences"]
    if not isinstance(raw, list) or not raw:
        raise _err(path, line, "sentences must be a non-empty list")
    sentences: list[Sentence] = []
    pos = 0
    for i, s in enumerate(raw):
        where = f"sentences[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("text"), str) or not s["text"].strip():
            raise _err(path, line, f"{where}: needs a non-empty text")
        labels = s.get("labels", {})
        if not isinstance(labels, dict):
            raise _err(path, line, f"{where}.labels must be an object")
        for cid, value in labels.items():
            if cid not in CRITERIA:
                raise _err(path, line, f"{where}.labels: unknown criterion {cid!r}")
            if value not in SENT_LABELS:
                raise _err(path, line, f"{where}.labels.{cid}: {value!r} is not evidence or gap")
        neg = s.get("neg")
        if neg is not None and neg not in NEG_TAGS:
            raise _err(path, line, f"{where}.neg: unknown tag {neg!r}")
        if obj["kind"] == "teaching" and labels:
            raise _err(path, line, f"{where}: a teaching note carries no labels")
        text = s["text"].strip()
        if i:
            pos += len(joiner)
        sentences.append(Sentence(text, dict(labels), neg, pos, pos + len(text)))
        pos += len(text)
    note = Note(
        id=str(obj["id"]),
        lang=obj["lang"],
        style=obj["style"],
        kind=obj["kind"],
        industry=str(obj.get("industry", "")),
        joiner=joiner,
        sentences=sentences,
        source=path.stem,
    )
    note.text = joiner.join(s.text for s in sentences)
    return note


def load_file(path: Path) -> list[Note]:
    notes = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _err(path, line_no, f"not JSON ({exc.msg})") from None
            notes.append(parse_note(obj, path, line_no))
    return notes


def corpus_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "training"


def corpus_files(root: Path | None = None) -> list[Path]:
    return sorted(((root or corpus_dir()) / "corpus").glob("*.jsonl"))


def load_corpus(files: Iterable[Path] | None = None) -> list[Note]:
    """Every training note, ids checked unique across files."""
    notes: list[Note] = []
    seen: dict[str, Path] = {}
    for path in files if files is not None else corpus_files():
        for note in load_file(path):
            if note.id in seen:
                raise CorpusError(f"{path}: id {note.id!r} already used in {seen[note.id]}")
            seen[note.id] = path
            notes.append(note)
    return notes


def balance(notes: Sequence[Note]) -> dict[tuple[str, str, str], int]:
    """Sentence counts per (criterion, language, evidence|gap)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for note in notes:
        for s in note.sentences:
            for cid, value in s.labels.items():
                counts[(cid, note.lang, value)] += 1
    return dict(counts)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def contamination(
    notes: Sequence[Note], eval_lines: Sequence[str], limit: float = FUZZY_LIMIT
) -> list[tuple[str, str, str]]:
    """Training sentences equal or close to a sentence of the measurement texts.

    Returns ``(note id, training sentence, matching eval text)``. Exact: the
    normalised sentence occurs in an eval text. Fuzzy: rapidfuzz's
    ``partial_ratio`` against each eval text is at least ``limit``.
    """
    from rapidfuzz import fuzz, process

    evals = [_normal(t) for t in eval_lines]
    joined = "\n".join(evals)
    hits = []
    for note in notes:
        for s in note.sentences:
            norm = _normal(s.text)
            if len(norm) < FUZZY_MIN_CHARS:
                continue
            if norm in joined:
                hits.append((note.id, s.text, "exact"))
                continue
            best = process.extractOne(norm, evals, scorer=fuzz.partial_ratio, score_cutoff=limit)
            if best is not None:
                hits.append((note.id, s.text, best[0][:120]))
    return hits


def _eval_texts(path: Path) -> list[str]:
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            texts.append(json.loads(line)["text"])
    return texts


def report(notes: Sequence[Note]) -> str:
    n_sent = sum(len(n.sentences) for n in notes)
    labelled = sum(1 for n in notes for s in n.sentences if s.labels or s.neg)
    langs = Counter(n.lang for n in notes)
    lines = [
        f"{len(notes)} notes, {n_sent} sentences ({labelled} labelled or tagged), "
        f"en {langs['en']} / fr {langs['fr']} notes"
    ]
    counts = balance(notes)
    lines.append(f"{'criterion':20} {'en ev':>6} {'en gap':>6} {'fr ev':>6} {'fr gap':>6}")
    for cid in CRITERIA:
        row = [counts.get((cid, lang, lab), 0) for lang in ("en", "fr") for lab in SENT_LABELS]
        lines.append(f"{cid:20} " + " ".join(f"{v:6d}" for v in row))
    styles = Counter((n.style, n.lang) for n in notes)
    lines.append(
        "styles: "
        + ", ".join(f"{st} {styles[(st, 'en')]}/{styles[(st, 'fr')]}" for st in sorted(STYLES))
    )
    negs = Counter(s.neg for n in notes for s in n.sentences if s.neg)
    lines.append("hard negatives: " + ", ".join(f"{k} {v}" for k, v in sorted(negs.items())))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kamcoach.analysis.corpus",
        description="Check the training corpus: format, balance, no line from the eval sets.",
    )
    parser.add_argument("command", choices=["check"])
    parser.add_argument(
        "--eval",
        type=Path,
        default=Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl",
        help="measurement set the corpus must not copy from (default ../shared/eval/dev.jsonl)",
    )
    parser.add_argument("--min-sentences", type=int, default=MIN_SENTENCES)
    args = parser.parse_args(argv)
    try:
        notes = load_corpus()
        teaching = load_file(corpus_dir() / "teaching_test.jsonl")
    except (CorpusError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report(notes))
    problems = []
    labelled = sum(1 for n in notes for s in n.sentences if s.labels or s.neg)
    if labelled < args.min_sentences:
        problems.append(f"{labelled} labelled sentences, fewer than {args.min_sentences}")
    counts = balance(notes)
    for cid in CRITERIA:
        for lang in ("en", "fr"):
            for lab in SENT_LABELS:
                if counts.get((cid, lang, lab), 0) < 10:
                    problems.append(f"{cid} {lang} {lab}: fewer than 10 sentences")
    train_text = {_normal(s.text) for n in notes for s in n.sentences}
    for note in teaching:
        for s in note.sentences:
            if s.labels:
                problems.append(f"teaching test {note.id}: a teaching text carries labels")
            if _normal(s.text) in train_text and len(s.text) >= FUZZY_MIN_CHARS:
                problems.append(f"teaching test {note.id}: sentence also in the training corpus")
    if args.eval.exists():
        hits = contamination([*notes, *teaching], _eval_texts(args.eval))
        for note_id, sentence, match in hits:
            problems.append(f"{note_id}: {sentence[:80]!r} matches the eval set ({match[:60]!r})")
        print(f"contamination check against {args.eval}: {len(hits)} matching sentences")
    else:
        print(f"contamination check skipped: {args.eval} not found")
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
