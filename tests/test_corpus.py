"""The training corpus: its format, its balance, and that it copies no measurement text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kamcoach.analysis import corpus
from kamcoach.analysis.corpus import CRITERIA, CorpusError, contamination, load_file

GOOD = {
    "id": "t-1",
    "lang": "en",
    "style": "crm_terse",
    "kind": "deal",
    "joiner": "\n",
    "sentences": [
        {"text": "CFO signs, budget 80k ok", "labels": {"economic_buyer": "evidence"}},
        {"text": "no idea who else they look at", "labels": {"competition": "gap"}},
        {"text": "send deck", "labels": {}, "neg": "rep_action"},
    ],
}


def _write(tmp_path: Path, *objs: object) -> Path:
    path = tmp_path / "shard.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    return path


def test_a_good_note_loads_with_offsets_and_derived_labels(tmp_path: Path) -> None:
    (note,) = load_file(_write(tmp_path, GOOD))
    assert note.text == "CFO signs, budget 80k ok\nno idea who else they look at\nsend deck"
    for s in note.sentences:
        assert note.text[s.start : s.end] == s.text
    labels = note.note_labels()
    assert labels["economic_buyer"] == "present"
    assert labels["competition"] == "gap"
    assert labels["budget"] == "absent"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lang": "de"}, "lang must be en or fr"),
        ({"style": "poetry"}, "unknown style"),
        ({"sentences": []}, "non-empty list"),
        ({"sentences": [{"text": "x", "labels": {"bogus": "evidence"}}]}, "unknown criterion"),
        ({"sentences": [{"text": "x", "labels": {"budget": "yes"}}]}, "not evidence or gap"),
        ({"sentences": [{"text": "x", "labels": {}, "neg": "maybe"}]}, "unknown tag"),
    ],
)
def test_a_bad_note_names_file_line_and_key(tmp_path: Path, change: dict, message: str) -> None:
    path = _write(tmp_path, GOOD, {**GOOD, "id": "t-2", **change})
    with pytest.raises(CorpusError, match=rf"shard.jsonl:2: .*{message}"):
        load_file(path)


def test_contamination_finds_exact_and_close_copies(tmp_path: Path) -> None:
    note = {
        **GOOD,
        "sentences": [
            {"text": "The steering committee meets on the 14th to pick a vendor", "labels": {}},
            {"text": "Their finance director wants a payback under eighteen months", "labels": {}},
            {"text": "Completely different sentence about a warehouse roof", "labels": {}},
        ],
    }
    (parsed,) = load_file(_write(tmp_path, note))
    evaluation = [
        "Intro. The steering committee meets on the 14th to pick a vendor. Then more.",
        "their finance director want a payback under eighteen month!",
    ]
    hits = contamination([parsed], evaluation)
    assert [h[1][:20] for h in hits] == ["The steering committ", "Their finance direct"]


def test_the_corpus_is_complete_and_balanced() -> None:
    """At least 6,000 labelled sentences, about half French, every criterion x language
    x label covered, ten writing styles, and a teaching test set kept apart."""
    notes = corpus.load_corpus()
    labelled = sum(1 for n in notes for s in n.sentences if s.labels or s.neg)
    assert labelled >= corpus.MIN_SENTENCES
    fr = sum(len(n.sentences) for n in notes if n.lang == "fr")
    assert 0.4 <= fr / sum(len(n.sentences) for n in notes) <= 0.6
    counts = corpus.balance(notes)
    for cid in CRITERIA:
        for lang in ("en", "fr"):
            assert counts.get((cid, lang, "evidence"), 0) >= 100, (cid, lang)
            assert counts.get((cid, lang, "gap"), 0) >= 30, (cid, lang)
    assert len({n.style for n in notes} - {"teaching"}) >= 10
    negs = {s.neg for n in notes for s in n.sentences if s.neg}
    assert {"teaching", "pitch", "rep_question", "customer_question", "hypothetical"} <= negs
    assert {"lookalike", "topic_only", "rep_action", "subject"} <= negs
    teaching = load_file(corpus.corpus_dir() / "teaching_test.jsonl")
    assert len(teaching) >= 30
    assert {n.lang for n in teaching} == {"en", "fr"}
    train_sentences = {s.text for n in notes for s in n.sentences}
    assert not [s.text for n in teaching for s in n.sentences if s.text in train_sentences]
