"""Compile the playbook patterns and the shared cue lists into spaCy matchers.

Everything is compiled once per (pipeline language, cue language) pair and
cached: one ``PhraseMatcher`` on ``LOWER`` holds every phrase (criterion cues,
gap phrases, negation/uncertainty/loss triggers, validation, hedges, teaching
cues, role words), and one ``Matcher`` holds the token patterns. Each French
phrase is also added without accents, and every apostrophe phrase with the
typographic apostrophe too, so "deja valide" and "n’avons" match like
"déjà validé" and "n'avons".

Patterns of one cue language can be compiled for the other language's
pipeline: a mixed note runs the cues of both languages on one ``Doc``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kamcoach.analysis.language import CONTEXT_KEYS, LanguageCues, load_language, unaccent
from kamcoach.errors import PlaybookError
from kamcoach.playbooks.model import LANGS, PlaybookSet

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher, PhraseMatcher
    from spacy.tokens import Doc

#: Cue-list keys compiled into the phrase matcher, and the hit kind they produce.
CONTEXT_KINDS: dict[str, str] = {
    "negation_pre": "neg_pre",
    "negation_post": "neg_post",
    "uncertainty_pre": "unc_pre",
    "uncertainty_post": "unc_post",
    "loss_pre": "loss_pre",
    "loss_post": "loss_post",
    "terminators": "term",
    "pseudo": "pseudo",
    "hedges": "hedge",
    "validation": "valid",
    "teaching": "teach",
    "vendor": "vendor",
    "customer_quote": "quote",
    "customer_speech": "custspeech",
    "requirement": "req",
    "request": "request",
}
PEOPLE_KINDS: dict[str, str] = {
    "economic_buyer_titles": "eb_title",
    "other_titles": "title",
    "name_prefixes": "name_prefix",
}


_NO_PLURAL_EN = ("s", "ed", "ing", "ly")
_NO_PLURAL_FR = ("s", "x", "z", "é", "er", "ir", "ant")


def plural(word: str, lang: str) -> str | None:
    """The plural of a one-word cue ("problem" -> "problems", "rupture" -> "ruptures"),
    or None when the word does not take one here (verb forms, adverbs, plurals already).

    Cues are matched on the written form, so a list holding "problem" used to miss
    "problems" in "we had problems with duplicates".
    """
    if not word.isalpha() or len(word) < 4:
        return None
    if lang == "fr":
        return None if word.endswith(_NO_PLURAL_FR) else word + "s"
    if word.endswith(_NO_PLURAL_EN):
        return None
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("ch", "sh", "x")) else "s")


def variants(phrase: str, lang: str, *, accents: bool = True, plurals: bool = False) -> set[str]:
    """The forms a phrase is matched in: lowercase, unaccented (French), both apostrophes,
    and with ``plurals`` the plural of a one-word phrase.

    ``accents=False`` keeps only the written form: "validé" without its accent
    is "valide" ("le DAF valide le budget"), a role, not a validation.
    """
    base = phrase.strip().lower()
    forms = {base}
    many = plural(base, lang) if plurals and " " not in base else None
    if many:
        forms.add(many)
    if lang == "fr" and accents:
        forms.add(unaccent(base))
    for form in list(forms):
        if "'" in form:
            forms.add(form.replace("'", "’"))
        if "’" in form:
            forms.add(form.replace("’", "'"))
    return forms


@dataclass(slots=True)
class Compiled:
    """The matchers of one cue language, built for one pipeline's vocabulary."""

    pipeline_lang: str
    cue_lang: str
    phrase: PhraseMatcher
    matcher: Matcher
    labels: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    loss_criteria: frozenset[str] = frozenset()
    vendor_criteria: frozenset[str] = frozenset()
    requirement_criteria: frozenset[str] = frozenset()
    seller_names: frozenset[str] = frozenset()
    teaching: re.Pattern[str] | None = None

    def __call__(self, doc: Doc) -> list[tuple[str, str | None, int, int]]:
        """All hits in ``doc`` as ``(kind, criterion or None, start token, end token)``."""
        labels = self.labels
        hits = [(*labels[m], s, e) for m, s, e in self.phrase(doc)]
        if len(self.matcher):
            hits.extend((*labels[m], s, e) for m, s, e in self.matcher(doc))
        return hits


def _label(compiled: Compiled, kind: str, cid: str | None) -> str:
    name = f"{kind}|{cid or ''}"
    key = compiled.phrase.vocab.strings.add(name)  # type: ignore[attr-defined]
    compiled.labels[key] = (kind, cid)
    return name


def _add_phrases(
    compiled: Compiled, nlp: Language, kind: str, cid: str | None, phrases: Iterable[str]
) -> None:
    accents = kind != "valid"
    plurals = kind == "cue"  # a criterion's own words: "issue" and "issues" alike
    forms = sorted(
        {
            form
            for p in phrases
            for form in variants(p, compiled.cue_lang, accents=accents, plurals=plurals)
        }
    )
    if not forms:
        return
    docs = [doc for doc in nlp.tokenizer.pipe(forms) if len(doc)]  # type: ignore[union-attr]
    if docs:
        compiled.phrase.add(_label(compiled, kind, cid), docs)


def _add_tokens(
    compiled: Compiled,
    kind: str,
    cid: str | None,
    patterns: Iterable[Iterable[dict[str, Any]]],
    where: tuple[Any, str] | None = None,
) -> None:
    from spacy.errors import MatchPatternError

    label = _label(compiled, kind, cid)
    for i, pattern in enumerate(patterns):
        try:
            compiled.matcher.add(label, [list(pattern)])
        except (MatchPatternError, ValueError, KeyError, TypeError) as exc:
            if where is None:
                raise
            path, key = where
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PlaybookError(path, f"{key}[{i}]", f"invalid token pattern: {first}") from None


def teaching_regex(cues: LanguageCues) -> re.Pattern[str]:
    """Generic definitions: "<a|the> <criterion noun> is someone who / the person ...".

    Run only on segments that hold a cue, as a regular expression: a Matcher
    pattern starting on every article would cost more than the rest of the rules.
    """
    dets = r"(?:the|a|an|le|la|l'|l’|un|une|your|votre|ton)"
    verbs = r"(?:is|are|est|sont|means|signifie)"
    heads = (
        r"(?:someone|somebody|anyone|whoever|quelqu'un|quelqu’un|celui|celle|ceux|typically|"
        r"usually|generally|généralement|souvent|often|"
        r"(?:the|a|la|une|le)\s+(?:person|people|individual|personne|one))"
    )
    nouns = "|".join(
        sorted((re.escape(n.lower()) for n in cues["teaching_nouns"]), key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w){dets}\s*(?:{nouns})\s+{verbs}\s+{heads}(?!\w)")


def compile_patterns(
    nlp: Language, cue_lang: str, playbooks: PlaybookSet, cues: LanguageCues | None = None
) -> Compiled:
    """Build the matchers of ``cue_lang`` for ``nlp``'s vocabulary; errors name file and key."""
    from spacy.matcher import Matcher, PhraseMatcher

    cues = cues or load_language(cue_lang)
    pipeline_lang = str(nlp.lang)
    compiled = Compiled(
        pipeline_lang=pipeline_lang,
        cue_lang=cue_lang,
        phrase=PhraseMatcher(nlp.vocab, attr="LOWER"),
        matcher=Matcher(nlp.vocab),
        loss_criteria=frozenset(cues["loss_criteria"]),
        vendor_criteria=frozenset(cues["vendor_criteria"]),
        requirement_criteria=frozenset(cues["requirement_criteria"]),
        seller_names=frozenset(n.lower() for n in cues["seller_names"]),
    )
    for cid, criterion in sorted(playbooks.criteria.items()):
        lp = criterion.patterns.get(cue_lang)
        if lp is None:
            continue
        _add_phrases(compiled, nlp, "cue", cid, lp.phrases)
        _add_phrases(compiled, nlp, "gap", cid, lp.gap_phrases)
        _add_phrases(compiled, nlp, "cueq", cid, lp.quantified_phrases)
        if lp.token_patterns:
            _add_tokens(
                compiled,
                "cue",
                cid,
                lp.token_patterns,
                where=(criterion.source, f"patterns.{cue_lang}.token_patterns"),
            )
    for key, kind in CONTEXT_KINDS.items():
        _add_phrases(compiled, nlp, kind, None, cues[key])
    for key, kind in PEOPLE_KINDS.items():
        _add_phrases(compiled, nlp, kind, None, cues[key])
    compiled.teaching = teaching_regex(cues)
    actions = sorted({form for v in cues["seller_actions"] for form in variants(v, cue_lang)})
    if actions:
        # "Need to get to the CFO", "we'll need to differentiate on ease of use", "il faut
        # relancer le DAF": the rep's own to-do, not the customer's need, criteria or plan.
        _add_tokens(compiled, "todo", None, _todo_patterns(cue_lang, actions))
    objects = sorted({form for v in cues["need_objects"] for form in variants(v, cue_lang)})
    if objects:
        # "they need board approval", "need a signed quote", "il faut la validation du DG":
        # a step of the deal asked for, not a solution the customer needs.
        obj = {"LOWER": {"IN": [o for o in objects if " " not in o]}}
        needs = ["need", "needs", "needed", "require", "requires", "required"]
        if cue_lang == "fr":
            needs = ["besoin", "faut", "faudra", "attendent", "attend", "exigent", "exige"]
        skip = {"IS_PUNCT": False, "IS_ALPHA": True, "OP": "{0,3}"}
        _add_tokens(compiled, "needobj", None, [[{"LOWER": {"IN": needs}}, skip, obj]])
    if cue_lang == "fr":
        # "n'avons qu'un budget": "ne ... que" means "only", not a negation.
        ne = {"LOWER": {"IN": ["ne", "n'", "n’"]}}
        que = {"LOWER": {"IN": ["que", "qu'", "qu’"]}}
        _add_tokens(compiled, "pseudo", None, [[ne, que], [ne, {"OP": "{1,2}"}, que]])
    return compiled


def _todo_patterns(cue_lang: str, actions: list[str]) -> list[list[dict[str, Any]]]:
    """Token patterns of a seller's to-do: an obligation with no subject or ours, then a
    sales action ("need to follow up", "on doit présenter"). "They need to present to
    the board" keeps its subject and is no to-do of ours."""
    act = {"LOWER": {"IN": actions}}
    if cue_lang == "fr":
        return [
            [{"LOWER": {"IN": ["faut", "faudra", "faudrait"]}}, act],
            [
                {"LOWER": {"IN": ["on", "nous", "je", "j'", "j’"]}},
                {"LOWER": {"IN": ["doit", "devons", "dois", "devra", "devrons", "devrai"]}},
                act,
            ],
            [
                {"IS_SENT_START": True, "LOWER": {"IN": ["besoin", "nécessaire", "necessaire"]}},
                {"LOWER": "de"},
                act,
            ],
        ]
    must = {"LOWER": {"IN": ["need", "needs", "have", "has", "must", "should", "got"]}}
    to = {"LOWER": "to", "OP": "?"}
    out: list[list[dict[str, Any]]] = []
    # "get to the CFO", "get in front of finance": reaching people, a seller's move.
    for acts in ([act], [{"LOWER": "get"}, {"LOWER": {"IN": ["to", "in", "back"]}}]):
        out += [
            [
                {"IS_SENT_START": True, "LOWER": {"IN": ["need", "needs", "must", "should"]}},
                to,
                *acts,
            ],
            [{"IS_SENT_START": True, "LOWER": "will"}, {"LOWER": "need"}, {"LOWER": "to"}, *acts],
            [
                {"LOWER": {"IN": ["we", "i", "we'll", "i'll", "we’ll", "i’ll"]}},
                {"LOWER": {"IN": ["will", "'ll", "’ll", "still", "really", "also"]}, "OP": "*"},
                must,
                to,
                *acts,
            ],
        ]
    return out


_cache: dict[tuple[int, str, int], Compiled] = {}
_cache_lock = threading.Lock()


def compiled_for(nlp: Language, cue_lang: str, playbooks: PlaybookSet) -> Compiled:
    """Cached :func:`compile_patterns` per pipeline object, cue language and playbook set."""
    key = (id(nlp), cue_lang, id(playbooks))
    found = _cache.get(key)
    if found is not None:
        return found
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            found = compile_patterns(nlp, cue_lang, playbooks)
            _cache[key] = found
    return found


def validate_patterns(playbook_set: PlaybookSet) -> None:
    """Load the language cue files and compile every pattern on blank pipelines.

    Called by ``kamcoach playbooks check``; raises :class:`PlaybookError` naming
    the file and key of the first bad pattern. Needs no downloaded model.
    """
    import spacy

    from kamcoach.analysis.language import language_files, read_language

    criteria = frozenset(playbook_set.criteria)
    for lang in LANGS:
        for path in language_files(lang):
            cues = read_language(path, criteria)
        for key in CONTEXT_KEYS:
            for phrase in cues[key]:
                if phrase != phrase.strip():
                    raise PlaybookError(cues.source, f"context.{key}", f"untrimmed {phrase!r}")
        nlp = spacy.blank(lang)
        for cid, criterion in playbook_set.criteria.items():
            lp = criterion.patterns.get(lang)
            if lp is None:
                continue
            for key, phrases in (
                ("phrases", lp.phrases),
                ("gap_phrases", lp.gap_phrases),
                ("quantified_phrases", lp.quantified_phrases),
            ):
                for i, phrase in enumerate(phrases):
                    if not len(nlp.make_doc(phrase)):
                        raise PlaybookError(
                            criterion.source, f"patterns.{lang}.{key}[{i}]", "phrase has no token"
                        )
            del cid
        compile_patterns(nlp, lang, playbook_set, cues)
