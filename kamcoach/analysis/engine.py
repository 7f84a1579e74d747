"""The note analyser: from a note's text to per-criterion evidence and 0-3 scores.

Reading one note:

1. The language is detected per note (:mod:`kamcoach.analysis.detect`); the
   note goes through that language's spaCy pipeline (``nlp.pipe`` for batches).
2. One ``PhraseMatcher`` and one ``Matcher`` per cue language find criterion
   cues, gap phrases, triggers, validation words, hedges, teaching cues and role
   words (:mod:`kamcoach.analysis.patterns`). A mixed note runs both languages' cues.
3. The note is cut into segments: the pipeline's sentences, also split at line
   breaks (notes are often bullet lists).
4. ConText-style scopes, inside a segment: a pre-trigger ("no", "pas encore",
   "je ne sais pas") covers the next few tokens up to a terminator ("but",
   "mais", a comma); a post-trigger ("not confirmed", "à confirmer", "left",
   "?") covers the few tokens before it. A cue in a scope is a *gap* (loss
   triggers only for people and budget). Look-alikes ("no doubt", "ne ... que")
   are ignored.
5. A segment that teaches the method ("the economic buyer is the person who",
   "en général") yields no evidence at all; nor does a note that teaches in
   several of its lines.
5b. The trained evidence component (``kamcoach_evidence``, :mod:`kamcoach.analysis.evidence`)
   has already scored every unit: its decisions add the evidence and gaps the
   rules have no cue for, and its teaching heads veto method text
   (:meth:`_Analyser._merge_model`).
6. Score per segment: 1 for a cue; 2 when the segment also holds an entity the
   criterion asks for (amount, percentage, date, duration, count, named
   person); 3 when the customer's validation ("confirmed", "a validé") is
   there; a hedge ("maybe", "peut-être") caps at 1. A note's score for a
   criterion is its best segment; with no positive segment but a gap the status
   is ``gap`` (score 0); with nothing at all it is ``missing``. Never a guess.

Empty notes are not an error: every criterion comes back ``missing``.
"""

from __future__ import annotations

import multiprocessing
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kamcoach import __version__
from kamcoach.analysis.detect import detect_language
from kamcoach.analysis.entities import find_entities
from kamcoach.analysis.evidence.features import HEADING_LINE, SUBJECT
from kamcoach.analysis.evidence.model import NOT_A_DEAL
from kamcoach.analysis.language import load_language
from kamcoach.analysis.nlp import CHUNK_CHARS, english_uses_model, get_pipeline
from kamcoach.analysis.patterns import Compiled, compiled_for
from kamcoach.analysis.people import contact_mentions, people_of
from kamcoach.analysis.people_rules import load_people_rules
from kamcoach.analysis.result import NoteAnalysis, PersonProposal
from kamcoach.analysis.segments import segment_starts
from kamcoach.domain.models import CriterionScore, Evidence
from kamcoach.domain.scoring import overall_score, status_for
from kamcoach.errors import InputError
from kamcoach.playbooks.model import LANGS, Playbook, PlaybookSet

if TYPE_CHECKING:
    from spacy.tokens import Doc

#: The people extractor's component name (kamcoach.analysis.people_extract.COMPONENT).
PEOPLE_COMPONENT = "kamcoach_people"
#: Bump when the rules change in a way the playbook files do not show; part of
#: the cache key of stored per-note results.
ENGINE_REVISION = "9"
#: How the trained model and the rules combine: "model" (the rules' findings stand, the
#: trained model adds the evidence and gaps they have no cue for, both vetoed on teaching
#: text), "rules" (rules alone, for comparison).
COMBINE = "model"
#: What a rep's own to-do ("need to differentiate on price") never evidences: the
#: customer's need, pain, metrics or criteria. People, dates and steps in it still count.
TODO_CRITERIA = frozenset({"need", "identify_pain", "metrics", "decision_criteria"})
#: A rule's finding on a unit is dropped when the model gives "nothing" more than this
#: probability (1.0: every rule finding stands). Per criterion in the model's
#: thresholds.json, tuned leave-one-source-out by ``benchmarks/accuracy.py --tune``.
RULE_KEEP = 1.0
#: A note with at least this many teaching lines, making up at least this share of its
#: lines, is a method text: none of its lines is evidence.
TEACHING_LINES = 2
TEACHING_SHARE = 0.3
PRE_WINDOW = 8
#: "to be defined: scope, users and budget": uncertainty reads on over a list.
UNC_WINDOW = 14
#: Terminators an uncertainty pre-trigger reads across (list separators).
SOFT_TERMS = frozenset({",", "and", "et", "or", "ou", "&"})
#: A note line of at most this many words ending in "?" is an open question
#: ("Budget?", "Who decides?"), i.e. an unknown, outside transcripts.
OPEN_QUESTION_WORDS = 4
POST_WINDOW = 5
QUOTE_MAX = 240
MAX_EVIDENCE = 3
#: A note longer than this is still read whole (chunk by chunk), but the result says so:
#: it takes minutes and is more likely a pasted export than a call note.
MAX_NOTE_CHARS = 2_000_000

Progress = Callable[[int, int | None], None]
"""``progress(done, total)``: notes finished so far, and the total when known."""

PERSON_LABELS = frozenset({"PERSON", "PER"})
NEG_KINDS = frozenset({"neg_pre", "neg_post", "unc_pre", "unc_post", "loss_pre", "loss_post"})


def analyser_version(playbooks: PlaybookSet) -> str:
    """Version string stored with cached results: code revision + pattern digest."""
    import hashlib

    digest = hashlib.sha256()
    for cid in sorted(playbooks.criteria):
        for lang, lp in sorted(playbooks.criteria[cid].patterns.items()):
            digest.update(repr((cid, lang, lp)).encode())
    for lang in LANGS:
        cues = load_language(lang)
        digest.update(repr((sorted(cues.stopwords), cues.context, cues.people)).encode())
        digest.update(repr(load_people_rules(lang).digest_parts()).encode())
    return f"{__version__}+r{ENGINE_REVISION}.{digest.hexdigest()[:10]}"


@dataclass(slots=True)
class _Item:
    """One segment's evidence for one criterion."""

    cid: str
    level: int
    negated: bool
    loss: bool
    start: int
    end: int
    cue_start: int
    cue_end: int
    explicit: bool = False
    inferred: bool = False
    """Found by the trained model, with no rule cue behind it."""


@dataclass(slots=True)
class _Collected:
    items: list[_Item]
    proposals: list[PersonProposal]
    highlights: list[tuple[int, int, str, bool]]


def _in_pre_scope(te: int, s: int, terms: list[int], window: int = PRE_WINDOW) -> bool:
    if s < te or s - te > window:
        return False
    i = bisect_left(terms, te)
    return not (i < len(terms) and terms[i] < s)


def _in_post_scope(e: int, ts: int, terms: list[int]) -> bool:
    if ts < e or ts - e > POST_WINDOW:
        return False
    i = bisect_left(terms, e)
    return not (i < len(terms) and terms[i] < ts)


def _negation(
    s: int,
    e: int,
    triggers: list[tuple[str, int, int]],
    terms: list[int],
    loss_ok: bool,
    hard_terms: list[int] | None = None,
) -> str | None:
    """'loss', 'neg', 'skip' or None for the cue span [s, e) given the segment's triggers.

    'skip': the cue is only a piece of a longer trigger ("we would like" inside
    "we would like to know"), so it is no evidence either way. An uncertainty
    pre-trigger reads on across list separators (``hard_terms``): "to define:
    scope, users and needs" leaves all three open.
    """
    found: str | None = None
    for kind, ts, te in triggers:
        if ts < e and s < te:
            if ts <= s and e <= te and te - ts > e - s and not kind.startswith("loss"):
                return "skip"
            continue  # the trigger is part of the cue ("not scalable")
        is_loss = kind.startswith("loss")
        if is_loss and not loss_ok:
            continue
        if kind == "unc_pre" and hard_terms is not None:
            hit = _in_pre_scope(te, s, hard_terms, UNC_WINDOW)
        elif kind.endswith("_pre"):
            hit = _in_pre_scope(te, s, terms)
        else:
            hit = _in_post_scope(e, ts, terms)
        if hit:
            if is_loss:
                return "loss"
            found = "neg"
    return found


#: A quoted phrase given as an example: '"X" or "Y"', 'e.g. "X"', 'demandez « X »'.
_QUOTE = r"(?:\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”|«[^»\n]{1,200}»)"
EXAMPLE_RE = re.compile(
    rf"{_QUOTE}(?:\s*(?:,|/|or|ou)\s*{_QUOTE})+"
    rf"|(?:e\.g\.|for example|for instance|such as|par exemple|demandez)\s*[:,]?\s*{_QUOTE}",
    re.I,
)
#: Stage directions: a whole line in brackets, or *italic narration* in a transcript.
NARRATION_RE = re.compile(r"^[ \t]*[(\[][^\n]*[)\]][ \t]*$|(?<![*\w])\*[^*\n]{3,200}\*(?!\*)", re.M)
#: A line of generic advice ("Always map the decision process"), not a report.
#: "Participants : Philippe Mercier (PDG), ...", "Attendees: Dana (CFO)": who was in the
#: room, not who decides or who sells for us.
ATTENDEES_RE = re.compile(
    r"^\s*[-*•]?\s*(?:\*\*)?(?:participants?|interlocut(?:eur|rice)s?|pr[ée]sents?"
    r"|attendees?|in attendance|contacts? rencontr[ée]s?)\s*(?:\*\*)?\s*:",
    re.IGNORECASE,
)
#: "Compte rendu de visite — Dupont — 10 avril 2026", "Call notes - 12 March 2026": the
#: report's own date, not when the customer wants to buy.
REPORT_HEADER_RE = re.compile(
    r"^\s*(?:#+\s*)?(?:compte[- ]rendu|cr|call notes?|meeting notes?|notes? de \w+"
    r"|visit report|rapport de visite|rdv|r[ée]union|meeting|call)\b[^\n]{0,100}?"
    r"(?:\d{1,2}(?:er)?\s+\w+\.?\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\s*$",
    re.IGNORECASE,
)
#: What each kind of metadata line can never evidence.
METADATA_CRITERIA = (
    (ATTENDEES_RE, frozenset({"economic_buyer", "authority", "champion"})),
    (REPORT_HEADER_RE, frozenset({"timeline"})),
)
ADVICE_RE = re.compile(
    r"^[\W\d_]*(?:always|never forget|make sure|remember to|don't forget|do not forget|"
    r"toujours|pensez à|pensez a|n'oubliez pas|n’oubliez pas|veillez à|veillez a)\b",
    re.I,
)


def _example_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of quoted examples and stage directions (no evidence inside)."""
    if not any(mark in text for mark in ('"', "“", "«", "(", "[", "*")):
        return []
    spans = [m.span() for m in EXAMPLE_RE.finditer(text)]
    spans += [m.span() for m in NARRATION_RE.finditer(text)]
    return sorted(spans)


def _inside(char: int, spans: list[tuple[int, int]]) -> bool:
    i = bisect_right(spans, (char, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= char < spans[i][1]


def _inside_chars(char: int, spans: list[tuple[int, int]]) -> bool:
    """Whether a character offset falls inside one of the (start, end) spans."""
    return any(a <= char < b for a, b in spans)


def _same_clause(s: int, e: int, spans: list[tuple[int, int]], terms: list[int]) -> bool:
    """True when one of ``spans`` shares a clause (no terminator between) with [s, e)."""
    for vs, ve in spans:
        lo, hi = min(s, vs), max(e, ve)
        i = bisect_left(terms, lo)
        if not (i < len(terms) and terms[i] < hi):
            return True
    return False


def _overlaps(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for a, b in spans)


#: A transcript turn: "Name:", "**Name:**", "Ms. Garcia:", "[04:10] AE:", "Prospect (Dan):"
#: at the start of a line.
SPEAKER_RE = re.compile(
    r"^[ \t>*_-]*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?[ \t|-]*)?(?:\*\*|__)?"
    r"((?=[A-ZÀ-Ý])[^\W\d_][\w'’.]*(?: [^\W\d_][\w'’.]*){0,2})"
    r"(?:[ \t]*\([^)\n]{1,40}\))?[ \t]*(?:\*\*|__)?[ \t]*:",
    re.M,
)


@dataclass(slots=True)
class _Turns:
    """Speaker turns of a transcript: turn start chars, their speakers, the seller."""

    starts: list[int]
    speakers: list[str]
    seller: str | None

    def speaker_at(self, char: int) -> str | None:
        i = bisect_right(self.starts, char) - 1
        return self.speakers[i] if i >= 0 else None


#: "I'm Emily from CloudTech", "je suis Paul de Valmont": the caller introducing their company.
INTRO_RE = re.compile(
    r"\b(?:i'm|i am|this is|my name is|je suis|ici)\s+[A-ZÀ-Ý]\w+(?:\s+[A-ZÀ-Ý]\w+)?"
    r"\s*,?\s+(?:from|with|at|de|chez)\s+[A-ZÀ-Ý]"
)
#: Criteria a customer's question never evidences: asking "what if it fails?" or "what
#: about downtime?" raises a concern; a pain is stated, with its cause and cost.
QUESTION_BLIND = frozenset({"identify_pain"})
#: Second-person words; the seller addresses the customer about their business.
YOU_RE = re.compile(r"\b(?:you|your|yours|yourself|vous|votre|vos)\b", re.I)
#: Cap on the points a lead in "you/vous" gives one speaker (a vendor cue is worth 3).
YOU_POINTS = 3.0
#: Criteria a seller line still evidences when it addresses the customer's own business.
ADDRESSED_CRITERIA = frozenset({"metrics"})
#: First-person plural: a seller line with it talks about the seller's side.
WE_RE = re.compile(r"\b(?:we|we'll|we're|we've|our|ours|us|nous|notre|nos)\b", re.I)
#: Metric cues that only give a period: with a money amount alone they read as a price.
PERIOD_CUES = frozenset(
    {"a year", "a month", "a week", "a day", "per year", "per month", "per week", "per day"}
    | {"par an", "par mois", "par semaine", "par jour", "annually", "yearly", "monthly"}
)
#: Delivery of the solution itself: its set-up, rollout or response times are no customer KPI.
DELIVERY_RE = re.compile(
    r"\b(?:implement\w*|roll[- ]?outs?|onboard\w*|kick(?:s|ed)? ?off|deploy\w*|go[- ]live"
    r"|set[- ]?up|install\w*|mise en (?:place|œuvre|oeuvre|service|production)"
    r"|d[ée]ploi\w*|d[ée]marrage|lancement|paramétrage|parametrage)\b",
    re.I,
)
#: Metric cues that only say how long something takes.
DURATION_CUES = frozenset(
    {"take", "takes", "took", "hours", "time to", "faster", "slower", "days", "weeks"}
    | {"prend", "prennent", "délai", "plus rapide", "en moins de"}
)
#: Cues of a decision step that, asked as a bare question, state no step at all.
NEXT_STEP_CUES = frozenset(
    {"next step", "next steps", "steps", "prochaine étape", "prochaines étapes"}
    | {"prochaine etape", "étapes", "etapes"}
)
#: "according to your requirements", "répondre à vos besoins": a generic promise naming no need.
GENERIC_NEED_RE = re.compile(
    r"\b(?:according to|meets?|fits?|suits?|match(?:es)?|tailored to|adapted to|selon"
    r"|r[ée]pond(?:re|ra)? [àa]|adapt[ée]e?s? [àa]|correspond(?:re|ra)? [àa]|conforme [àa])"
    r"\s+(?:(?:all|every|any|each|tous|toutes|chacun de|chacune de)\s+)?"
    r"(?:(?:your|vos|votre|the|les)\s+)?(?:\w+\s+)?"
    r"(?:requirements?|needs?|besoins?|exigences?|attentes)\b(?!\s*:)",
    re.I,
)
GENERIC_NEED_CRITERIA = frozenset({"need", "decision_criteria"})
HONORIFIC_RE = re.compile(r"^(?:mr|mrs|ms|miss|dr|prof|m|mme|mlle)\b\.?", re.I)


def _acting_place(ent: Any) -> bool:
    """A one-word "place" that acts, as a first name does: "Nadia is pushing this".

    The small English model reads some first names as places (GPE); a place is
    rarely the subject of what a note reports people doing.
    """
    if ent.label_ != "GPE" or len(ent) != 1:
        return False
    tok = ent[0]
    return tok.dep_ in ("nsubj", "nsubjpass") and tok.head.pos_ in ("VERB", "AUX")


def _turns(
    text: str,
    vendor_chars: list[int],
    customer_chars: list[int],
    seller_names: frozenset[str],
    not_names: frozenset[str],
) -> _Turns | None:
    """Find speaker turns and guess which speaker is the seller.

    A note is a transcript when at least two speakers have two turns each
    (field labels such as "Budget:" appear once and are never names). The seller
    is a speaker named by role ("Salesperson:", "Commercial :"), otherwise the
    one who talks about "our product / we offer" (never about "your pricing /
    votre offre"), is not addressed as "Mr./Dr./Mme", with questions as a tie-break.
    """
    starts: list[int] = []
    speakers: list[str] = []
    for m in SPEAKER_RE.finditer(text):
        name = m.group(1).strip().rstrip(".")
        if name in not_names or len(name) > 40:
            continue
        starts.append(m.start())
        speakers.append(name.lower())
    if len(starts) < 4:
        return None
    counts: dict[str, int] = {}
    for sp in speakers:
        counts[sp] = counts.get(sp, 0) + 1
    if sum(1 for c in counts.values() if c >= 2) < 2:
        return None
    seller = next((sp for sp in counts if sp in seller_names), None)
    if seller is None:
        weight: dict[str, float] = {sp: -10.0 if HONORIFIC_RE.match(sp) else 0.0 for sp in counts}
        bounds = [*starts[1:], len(text)]
        you: dict[str, int] = dict.fromkeys(counts, 0)
        for i, sp in enumerate(speakers):
            weight[sp] += 0.5 * min(2, text.count("?", starts[i], bounds[i]))
            you[sp] += len(YOU_RE.findall(text, starts[i], bounds[i]))
        # The seller talks about the customer's business ("your team", "vos équipes")
        # far more than the customer does: a clear lead in "you/vous" is a seller cue.
        if len(you) >= 2:
            for sp, n_you in you.items():
                lead = n_you - max(v for other, v in you.items() if other != sp)
                weight[sp] += max(-YOU_POINTS, min(YOU_POINTS, float(lead)))
        intro = [m.start() for m in INTRO_RE.finditer(text)]
        for chars, points in ((vendor_chars, 3.0), (customer_chars, -3.0), (intro, 3.0)):
            for c in chars:
                i = bisect_right(starts, c) - 1
                if i >= 0:
                    weight[speakers[i]] += points
        ranked = sorted(weight.items(), key=lambda kv: -kv[1])
        runner_up = ranked[1][1] if len(ranked) > 1 else -99.0
        if (ranked[0][1] >= 3 and ranked[0][1] > runner_up) or (
            ranked[0][1] >= 0 and runner_up <= -5
        ):
            seller = ranked[0][0]
    return _Turns(starts, speakers, seller)


#: Bare words for rivals; with a possessive they may name the customer's own market rivals.
RIVAL_WORDS = frozenset(
    {"competitor", "competitors", "competition", "concurrent", "concurrents", "concurrente"}
    | {"concurrence", "rivals", "rival"}
)
#: The customer's possessives: "their competitors", "leurs concurrents" are their rivals.
THEIR_WORDS = frozenset({"their", "its", "leurs", "leur", "ses", "son"})
#: "ahead of the competition" may be us ranked for this deal: only "our/nos" is the customer's.
OUR_WORDS = frozenset({"our", "nos", "notre"})
#: Words that put rivals in a market race ("behind our competitors", "en retard sur").
MARKET_WORDS = frozenset(
    {"behind", "ahead", "than", "outpace", "outperform", "beat", "catch", "keep", "ground"}
    | {"retard", "derrière", "derriere", "devant", "rattraper", "distancer", "dépasser"}
    | {"depasser", "distancés", "distances", "talonnés", "talonnes"}
)


def _market_rivals(doc: Doc, a: int, s: int, e: int, customer_line: bool) -> bool:
    """True when a competitor word names the customer's market rivals, not a rival vendor.

    Competition for the deal is another vendor, an in-house build or the status quo;
    "we're falling behind our competitors" or "leurs concurrents gagnent des parts"
    is the customer's pain, not an alternative being considered.
    """
    if doc[s:e].text.lower() not in RIVAL_WORDS or s == a:
        return False
    before = doc[s - 1].lower_
    if before in THEIR_WORDS:
        return True
    if before not in OUR_WORDS:
        return False
    window = {t.lower_ for t in doc[max(a, s - 5) : s - 1]}
    return bool(window & MARKET_WORDS) or customer_line


def _proposals(doc: Doc, base: int) -> list[PersonProposal]:
    """The people extractor's proposals of one chunk, in note offsets (none without it)."""
    found = doc._.kc_people if doc.has_extension("kc_people") else None
    if not found:
        return []
    if base:
        for p in found:
            p.start += base
            p.end += base
    return list(found)


class _Analyser:
    """Compiled rules for one pipeline; turns Docs into collected evidence."""

    def __init__(self, nlp: Any, playbooks: PlaybookSet) -> None:
        self.nlp = nlp
        self.playbooks = playbooks
        self.lang = nlp.lang
        self.rule_people = self.lang == "en" and not english_uses_model()
        self.compiled: dict[str, Compiled] = {}
        self.entities = {
            cid: frozenset(crit.patterns[self.lang].entities)
            if self.lang in crit.patterns
            else frozenset()
            for cid, crit in playbooks.criteria.items()
        }
        cues = load_language(self.lang)
        self.not_names = frozenset(cues["not_names"]) | frozenset(
            w.capitalize() for w in cues.stopwords
        )

    def matchers(self, mixed: bool) -> list[Compiled]:
        langs = [self.lang] + ([other for other in LANGS if other != self.lang] if mixed else [])
        out = []
        for lang in langs:
            comp = self.compiled.get(lang)
            if comp is None:
                comp = compiled_for(self.nlp, lang, self.playbooks)
                self.compiled[lang] = comp
            out.append(comp)
        return out

    # ------------------------------------------------------------ people

    def _person_spans(
        self, doc: Doc, seg_starts: list[int], contacts: Sequence[dict[str, Any]], text: str
    ) -> list[tuple[int, int]]:
        if self.rule_people:
            spans = self._rule_persons(doc, seg_starts)
        else:
            spans = [
                (ent.start, ent.end)
                for ent in doc.ents
                if (ent.label_ in PERSON_LABELS or _acting_place(ent))
                and ent.text[:1].isupper()
                and any(ch.isalpha() for ch in ent.text)
                and ent.text not in self.not_names
            ]
        if contacts:
            for cs, ce in contact_mentions(text, contacts):
                span = doc.char_span(cs, ce, alignment_mode="expand")
                if span is not None and not _overlaps(span.start, span.end, spans):
                    spans.append((span.start, span.end))
        return sorted(spans)

    def _rule_persons(self, doc: Doc, seg_starts: list[int]) -> list[tuple[int, int]]:
        """Capitalised 1-3 word names for the blank English pipeline."""
        spans: list[tuple[int, int]] = []
        # One Token object per position (doc[i] builds a new one on every access).
        toks = list(doc)
        i, n = 0, len(toks)
        seg_set = set(seg_starts)
        not_names = self.not_names
        while i < n:
            tok = toks[i]
            if tok.is_title and tok.is_alpha and len(tok.text) > 1 and tok.text not in not_names:
                j = i + 1
                while (
                    j < n
                    and j - i < 3
                    and toks[j].is_title
                    and toks[j].is_alpha
                    and toks[j].text not in not_names
                ):
                    j += 1
                nxt = toks[j] if j < n else None
                initial = i in seg_set or (i > 0 and toks[i - 1].text in {"**", "*", "-", "•"})
                nxt_ok = nxt is not None and (
                    nxt.text in {",", "(", ":", "’s", "'s"}
                    or (nxt.is_lower and nxt.text.endswith(("s", "ed")) and nxt.is_alpha)
                )
                if not initial or nxt_ok or j - i >= 2:
                    spans.append((i, j))
                i = j
            else:
                i += 1
        return spans

    # ------------------------------------------------------------ evidence

    def collect(
        self,
        doc: Doc,
        base: int,
        mixed: bool,
        contacts: Sequence[dict[str, Any]] = (),
        text: str | None = None,
    ) -> _Collected:
        """Evidence, people proposals and highlights of one parsed chunk.

        ``text`` is the string the doc was made from (equal to ``doc.text``, which
        spaCy rebuilds token by token on every access: passing it saves that).
        """
        n = len(doc)
        if n == 0:
            return _Collected([], [], [])
        hits: list[tuple[str, str | None, int, int]] = []
        loss_criteria: frozenset[str] = frozenset()
        teaching = []
        vendor_criteria: frozenset[str] = frozenset()
        requirement_criteria: frozenset[str] = frozenset()
        seller_names: frozenset[str] = frozenset()
        for comp in self.matchers(mixed):
            hits.extend(comp(doc))
            loss_criteria |= comp.loss_criteria
            vendor_criteria |= comp.vendor_criteria
            requirement_criteria |= comp.requirement_criteria
            seller_names |= comp.seller_names
            if comp.teaching is not None:
                teaching.append(comp.teaching)
        if text is None:
            text = doc.text
        seg_starts = segment_starts(doc, text)
        seg_ends = [*seg_starts[1:], n]
        # Group hits by segment.
        seg_hits: dict[int, dict[str, list[Any]]] = {}
        cue_segs: set[int] = set()
        for kind, cid, s, e in hits:
            seg = bisect_right(seg_starts, s) - 1
            bucket = seg_hits.setdefault(seg, {})
            if kind in ("cue", "gap", "cueq"):
                bucket.setdefault(kind, []).append((cid, s, e))
                cue_segs.add(seg)
            else:
                bucket.setdefault(kind, []).append((s, e))
        seg_chars = [doc[i].idx for i in seg_starts]
        turns = (
            _turns(
                text,
                [doc[s].idx for kind, _c, s, _e in hits if kind == "vendor"],
                [doc[s].idx for kind, _c, s, _e in hits if kind == "custspeech"],
                seller_names,
                self.not_names,
            )
            if text.count(":") >= 4
            else None
        )
        evidence = doc._.kc_evidence if doc.has_extension("kc_evidence") else None
        use_model = (
            evidence is not None and COMBINE != "rules" and len(evidence.units) == len(seg_starts)
        )
        # Entity labels per segment, read once: the rules want them on cue segments,
        # the model's findings on every segment.
        labels_by_seg: dict[int, set[str]] = {}
        if cue_segs or use_model:
            for label, cs, _ce in find_entities(text):
                labels_by_seg.setdefault(bisect_right(seg_chars, cs) - 1, set()).add(label)
        seg_labels = {
            seg: labels
            for seg, labels in labels_by_seg.items()
            if seg in cue_segs or seg - 1 in cue_segs
        }
        spans = self._person_spans(doc, seg_starts, contacts, text)
        person_starts = sorted(s for s, _e in spans)
        items: list[_Item] = []
        highlights: list[tuple[int, int, str, bool]] = []
        rule_best: dict[int, dict[str, _Item]] = {}
        #: (segment, criterion) the rules read as a look-alike, the seller's voice or a
        #: question: the model may not add evidence there either.
        vetoed: set[tuple[int, str]] = set()
        positive_cues: dict[int, list[tuple[str, int, int]]] = {}
        # The seller may report the paperwork or a contact; the customer's pain, metrics,
        # needs, criteria and plan are only evidence when the customer says them.
        seller_criteria = vendor_criteria | {"decision_process"}
        examples = _example_spans(text)
        for seg in sorted(cue_segs):
            bucket = seg_hits[seg]
            if "teach" in bucket:
                continue
            seg_end_char = seg_chars[seg + 1] if seg + 1 < len(seg_chars) else len(text)
            seg_text = text[seg_chars[seg] : seg_end_char].lower()
            if any(r.search(seg_text) for r in teaching) or ADVICE_RE.match(seg_text):
                continue
            a, b = seg_starts[seg], seg_ends[seg]
            pseudo = bucket.get("pseudo", [])
            triggers = [
                (kind, s, e)
                for kind in NEG_KINDS
                for s, e in bucket.get(kind, ())
                if not _overlaps(s, e, pseudo)
            ]
            trig_spans = [(s, e) for _k, s, e in triggers]
            terms = sorted(s for s, e in bucket.get("term", ()) if not _overlaps(s, e, trig_spans))
            hard_terms = [t for t in terms if doc[t].lower_ not in SOFT_TERMS]
            question = (
                doc[b - 1].text == "?"
                or (b >= 2 and doc[b - 2].text == "?")
                or (b < n and doc[b].text == "?")  # "Budget : ?" split before the "?"
            )
            if question and bucket.get("request"):
                question = False  # "can you send me a quote?": a request, not a question
            # "Budget: ?", "Who decides?" in a rep's note: an open point, i.e. a gap.
            open_question = (
                question
                and turns is None
                and sum(1 for t in doc[a:b] if not (t.is_punct or t.is_space))
                <= OPEN_QUESTION_WORDS
            )
            speaker = turns.speaker_at(seg_chars[seg]) if turns is not None else None
            # The seller's own lines are not customer evidence unless they quote the customer.
            seller_line = (
                speaker is not None and speaker == turns.seller and not bucket.get("quote")
                if turns is not None
                else False
            )
            customer_line = (
                speaker is not None
                and turns is not None
                and turns.seller
                not in (
                    None,
                    speaker,
                )
            )
            required = bool(bucket.get("req")) or customer_line
            # "You've got 32 reps averaging ...": the seller restating the customer's figures.
            # "We'll kick off within 48 hours" is the seller's own commitment, not the customer's.
            addressed = (
                seller_line
                and YOU_RE.search(seg_text) is not None
                and WE_RE.search(seg_text) is None
            )
            hedged = bool(bucket.get("hedge"))
            valid = [
                (s, e)
                for s, e in bucket.get("valid", ())
                if not _overlaps(s, e, trig_spans)
                and _negation(s, e, triggers, terms, False) is None
            ]
            labels = seg_labels.get(seg, set())
            k = bisect_left(person_starts, a)
            if k < len(person_starts) and person_starts[k] < b:
                labels = labels | PERSON_LABELS
            best: dict[str, _Item] = {}
            gap_spans: dict[str, list[tuple[int, int]]] = {}
            for cid, s, e in bucket.get("gap", ()):
                gap_spans.setdefault(cid, []).append((s, e))
                loss = cid in loss_criteria and _overlaps(
                    s, e, [(x, y) for k, x, y in triggers if k.startswith("loss")]
                )
                self._keep(best, doc, text, base, a, b, cid, 0, True, loss, s, e)
                best[cid].explicit = best[cid].negated
            vendor = bool(bucket.get("vendor"))
            todo = bool(bucket.get("todo"))
            if todo:  # neither the rules nor the model read the rep's to-do as theirs
                vetoed.update((seg, cid) for cid in TODO_CRITERIA)
            needobj = bool(bucket.get("needobj"))
            if needobj:  # "they need board approval": a step of the deal, not a need
                vetoed.add((seg, "need"))
            cues = [(cid, s, e, False) for cid, s, e in bucket.get("cue", ())]
            cues += [(cid, s, e, True) for cid, s, e in bucket.get("cueq", ())]
            metric_cues = [doc[s:e].text.lower() for cid, s, e, _n in cues if cid == "metrics"]
            # "$8,000 per month", "licence à 40 € par mois": an amount per period with no
            # KPI or change word is a price (ours, or restated), not a customer metric.
            price_only = (
                bool(metric_cues)
                and all(c in PERIOD_CUES for c in metric_cues)
                and "MONEY" in labels
                and "PERCENT" not in labels
            )
            # "implementation takes 6 months", "mise en place en 3 mois": how long the
            # solution takes to deliver, not a customer KPI.
            delivery_only = (
                bool(metric_cues)
                and all(c in DURATION_CUES for c in metric_cues)
                and "PERCENT" not in labels
                and DELIVERY_RE.search(seg_text) is not None
            )
            generic = [
                (m.start() + seg_chars[seg], m.end() + seg_chars[seg])
                for m in GENERIC_NEED_RE.finditer(seg_text)
            ]
            for cid, s, e, needs_number in cues:
                if (price_only or delivery_only) and cid == "metrics":
                    vetoed.add((seg, cid))  # our price, or how long delivery takes
                    continue
                if generic and cid in GENERIC_NEED_CRITERIA and _inside_chars(doc[s].idx, generic):
                    vetoed.add((seg, cid))
                    continue  # "we'll meet every requirement you have": names no need
                if cid == "competition" and _market_rivals(doc, a, s, e, customer_line):
                    vetoed.add((seg, cid))
                    continue  # "falling behind our competitors": their market, not this deal
                if cid in gap_spans and _overlaps(s, e, gap_spans[cid]):
                    continue
                if pseudo and _overlaps(s, e, pseudo):
                    vetoed.add((seg, cid))
                    continue  # "no problem", "pas de souci": a look-alike, not a pain
                if examples and _inside(doc[s].idx, examples):
                    vetoed.add((seg, cid))
                    continue  # a quoted example or a stage direction, not this deal
                if (todo and cid in TODO_CRITERIA) or (needobj and cid == "need"):
                    vetoed.add((seg, cid))
                    continue  # our to-do ("need to highlight ease of use"), or a deal step
                if vendor and cid in vendor_criteria:
                    # The seller describing their own product is no evidence, but
                    # "we'd like to know your needs" still says the needs are unknown.
                    if _negation(s, e, triggers, terms, False, hard_terms) == "neg":
                        self._keep(best, doc, text, base, a, b, cid, 0, True, False, s, e)
                    vetoed.add((seg, cid))
                    continue
                if open_question:
                    self._keep(best, doc, text, base, a, b, cid, 0, True, False, s, e)
                    continue
                if (
                    question
                    and cid == "decision_process"
                    and doc[s:e].text.lower() in NEXT_STEP_CUES
                ):
                    vetoed.add((seg, cid))
                    continue  # "What's the next step?": asks for a step, states none
                if (
                    seller_line
                    and cid in seller_criteria
                    and not (addressed and cid in ADDRESSED_CRITERIA)
                ) or (question and not customer_line):
                    vetoed.add((seg, cid))
                    continue  # the seller talking, or a question asked rather than answered
                neg = _negation(s, e, triggers, terms, cid in loss_criteria, hard_terms)
                if neg == "skip":
                    continue
                if neg is not None and needs_number and cid != "metrics":
                    # "timing: no idea": an unknown needs no number to be a gap.
                    self._keep(best, doc, text, base, a, b, cid, 0, True, neg == "loss", s, e)
                    continue
                if cid in requirement_criteria and not required:
                    continue  # "training", "cost": a criterion only when the customer asks for it
                wanted = self.entities.get(cid, frozenset())
                numeric = wanted - PERSON_LABELS - {"CARDINAL"}
                # A parser split mid-sentence ("coûte | ~25 kCHF."): read on.
                if (
                    needs_number
                    and not numeric & labels
                    and (
                        doc[b - 1].text in (".", "!", "?")
                        or not numeric & seg_labels.get(seg + 1, set())
                    )
                ):
                    continue
                if neg is not None:
                    self._keep(best, doc, text, base, a, b, cid, 0, True, neg == "loss", s, e)
                    continue
                level = 1
                if valid and _same_clause(s, e, valid, terms):
                    level = 3
                elif wanted & labels or needs_number:
                    level = 2
                if question and cid in QUESTION_BLIND:
                    continue  # "what about downtime?": a concern raised, no pain stated
                if hedged or question:
                    level = 1  # a hedge, or the customer's question, caps at "mentioned"
                self._keep(best, doc, text, base, a, b, cid, level, False, False, s, e)
                positive_cues.setdefault(seg, []).append((cid, s, e))
            rule_best[seg] = best
        if use_model:
            self._merge_model(
                doc,
                text,
                base,
                evidence,
                seg_starts,
                seg_ends,
                seg_chars,
                labels_by_seg,
                seg_hits,
                rule_best,
                teaching,
                turns,
                positive_cues,
                vetoed,
                seller_criteria,
            )
        for seg in sorted(rule_best):
            for item in rule_best[seg].values():
                items.append(item)
                highlights.append((item.cue_start, item.cue_end, item.cid, item.negated))
        return _Collected(items, _proposals(doc, base), highlights)

    def _merge_model(
        self,
        doc: Doc,
        text: str,
        base: int,
        evidence: Any,
        seg_starts: list[int],
        seg_ends: list[int],
        seg_chars: list[int],
        labels_by_seg: dict[int, set[str]],
        seg_hits: dict[int, dict[str, list[Any]]],
        rule_best: dict[int, dict[str, _Item]],
        teaching: list[Any],
        turns: _Turns | None,
        positive_cues: dict[int, list[tuple[str, int, int]]],
        vetoed: set[tuple[int, str]],
        seller_criteria: frozenset[str],
    ) -> None:
        """Merge the trained model's per-unit decisions into the rules' findings.

        The rules' finding on a unit stands (their negation scope decides a gap,
        their cue the level and quote). The model adds the evidence and gaps the
        rules have no cue for, except where the rules saw a look-alike, a question
        or the seller's own voice. A unit that teaches the method, a note that is
        mostly teaching or no deal at all, a subject line or a heading give
        nothing, rules included. Where only the model found evidence, the level
        comes from the unit: 2 with an entity the criterion asks for (amount,
        date, person...), 3 with the customer's validation, 1 when hedged or asked.
        """
        model_criteria = frozenset(evidence.criteria)
        person_starts = sorted(ent.start for ent in doc.ents if ent.label_ in PERSON_LABELS)
        seg_texts = [
            text[seg_chars[i] : (seg_chars[i + 1] if i + 1 < len(seg_chars) else len(text))]
            for i in range(len(seg_starts))
        ]
        taught = [
            "teach" in seg_hits.get(i, {})
            or any(r.search(t.lower()) for r in teaching)
            or ADVICE_RE.match(t.lower()) is not None
            for i, t in enumerate(seg_texts)
        ]
        spoken = [i for i, t in enumerate(seg_texts) if t.strip() and not HEADING_LINE.match(t)]
        # A paragraph that teaches in several of its lines teaches in all of them: its
        # examples ("the CFO says the budget is 100k") are the method's, not a deal's.
        method_text = sum(taught) >= TEACHING_LINES and sum(taught) >= TEACHING_SHARE * len(spoken)
        for seg, decisions in enumerate(evidence.decisions):
            a, b = seg_starts[seg], seg_ends[seg]
            bucket = seg_hits.get(seg, {})
            seg_text = seg_texts[seg]
            rules = rule_best.get(seg, {})
            if (
                evidence.not_a_deal >= NOT_A_DEAL
                or method_text
                or taught[seg]
                or SUBJECT.match(seg_text)
                or HEADING_LINE.match(seg_text.strip())
                or not seg_text.strip()
            ):
                for cid in list(rules):
                    if cid in model_criteria:
                        del rules[cid]
                continue
            for pattern, ruled_out in METADATA_CRITERIA:
                if pattern.match(seg_text):
                    for cid in ruled_out:
                        rules.pop(cid, None)
                        vetoed.add((seg, cid))
            kept: dict[str, _Item] = {
                cid: item for cid, item in rules.items() if cid not in model_criteria
            }
            labels = set(labels_by_seg.get(seg, ()))
            k = bisect_left(person_starts, a)
            if k < len(person_starts) and person_starts[k] < b:
                labels |= PERSON_LABELS
            hedged = bool(bucket.get("hedge"))
            question = seg_text.rstrip().endswith("?")
            valid = bool(bucket.get("valid")) and not any(
                k in bucket for k in ("neg_pre", "neg_post", "unc_pre", "unc_post")
            )
            probs = evidence.probs[seg]
            seller_line = False
            if turns is not None and turns.seller is not None and not bucket.get("quote"):
                seller_line = turns.speaker_at(seg_chars[seg]) == turns.seller
            for c_i, cid in enumerate(evidence.criteria):
                decision = decisions.get(cid)
                rule = rules.get(cid)
                if rule is not None and float(probs[c_i][0]) > evidence.rule_keep.get(
                    cid, RULE_KEEP
                ):
                    rule = None  # the model rules the rule's cue out (a look-alike)
                if rule is not None:
                    # The rules' reading stands where they have one: their negation
                    # scope decides a gap, their cue the level and the quote.
                    kept[cid] = rule
                elif (seg, cid) in vetoed or (seller_line and cid in seller_criteria):
                    continue  # a look-alike, a question or the seller's own voice
                elif decision == "evidence":
                    level = 1
                    if valid:
                        level = 3
                    elif self.entities.get(cid, frozenset()) & labels:
                        level = 2
                    if hedged or question:
                        level = 1
                    self._keep(kept, doc, text, base, a, b, cid, level, False, False, a, b)
                    kept[cid].inferred = True
                    positive_cues.setdefault(seg, []).append((cid, a, b))
                elif decision == "gap":
                    loss = bool(bucket.get("loss_pre") or bucket.get("loss_post"))
                    self._keep(kept, doc, text, base, a, b, cid, 0, True, loss, a, b)
                    kept[cid].explicit = True
                    kept[cid].inferred = True
            rule_best[seg] = kept

    @staticmethod
    def _keep(
        best: dict[str, _Item],
        doc: Doc,
        text: str,
        base: int,
        a: int,
        b: int,
        cid: str,
        level: int,
        negated: bool,
        loss: bool,
        s: int,
        e: int,
    ) -> None:
        current = best.get(cid)
        if current is not None:
            if current.negated and not negated:
                pass  # positive beats a negated cue in the same segment
            elif (not current.negated and negated) or (
                level <= current.level and not (loss and not current.loss)
            ):
                return
        seg = doc[a:b]
        start, end = seg.start_char, seg.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        cue_start, cue_end = doc[s].idx, doc[e - 1].idx + len(doc[e - 1].text)
        if end - start > QUOTE_MAX:
            half = (QUOTE_MAX - (cue_end - cue_start)) // 2
            lo = max(start, cue_start - max(half, 20))
            hi = min(end, cue_end + max(half, 20))
            while lo > start and not text[lo - 1].isspace():
                lo -= 1
            while hi < end and not text[hi].isspace():
                hi += 1
            start, end = lo, hi
        best[cid] = _Item(
            cid=cid,
            level=level,
            negated=negated,
            loss=loss,
            start=base + start,
            end=base + end,
            cue_start=base + cue_start,
            cue_end=base + cue_end,
        )


_analysers: dict[tuple[int, int], _Analyser] = {}


def _analyser(lang: str, playbooks: PlaybookSet) -> _Analyser:
    nlp = get_pipeline(lang)
    key = (id(nlp), id(playbooks))
    found = _analysers.get(key)
    if found is None:
        found = _analyser_cache_put(key, _Analyser(nlp, playbooks))
    return found


def _analyser_cache_put(key: tuple[int, int], analyser: _Analyser) -> _Analyser:
    return _analysers.setdefault(key, analyser)


def warm_up(playbooks: PlaybookSet | None = None) -> None:
    """Compile the patterns of both languages now (the TUI calls this in a worker)."""
    from kamcoach.playbooks.loader import load_playbooks

    pset = playbooks or load_playbooks()
    for lang in LANGS:
        _analyser(lang, pset).matchers(mixed=True)


# ---------------------------------------------------------------- scoring


def _score_items(
    items: Iterable[_Item], criteria: Sequence[str], text: str
) -> dict[str, CriterionScore]:
    by_cid: dict[str, list[_Item]] = {}
    for item in items:
        by_cid.setdefault(item.cid, []).append(item)
    scores: dict[str, CriterionScore] = {}
    for cid in criteria:
        found = by_cid.get(cid, [])
        positive = sorted((i for i in found if not i.negated), key=lambda i: (-i.level, i.start))
        negative = sorted((i for i in found if i.negated), key=lambda i: i.start)

        def ev(item: _Item) -> Evidence:
            return Evidence(
                text=text[item.start : item.end],
                start=item.start,
                end=item.end,
                negated=item.negated,
            )

        if positive and all(i.inferred for i in positive) and any(not i.inferred for i in negative):
            # "No champion on this one": a gap the note states in words outweighs
            # evidence only the model inferred elsewhere in the same note.
            positive = []
        if positive:
            score = positive[0].level
            evidence = [ev(i) for i in positive[:MAX_EVIDENCE]] + [ev(i) for i in negative[:1]]
            scores[cid] = CriterionScore(cid, score, status_for(score), evidence)
        elif negative:
            loss = any(i.loss for i in negative)
            explicit = any(i.explicit for i in negative)
            scores[cid] = CriterionScore(
                cid,
                0,
                "gap",
                [ev(i) for i in negative[:MAX_EVIDENCE]],
                reason="loss" if loss else "stated" if explicit else "negated",
            )
        else:
            scores[cid] = CriterionScore(cid, 0, "missing", [])
    return scores


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Cut a long note into pieces spaCy accepts, at a line or sentence break when possible.

    A generator: the pieces are made as they are read, so a 10 MB note is
    not held twice.
    """
    if len(text) <= CHUNK_CHARS:
        yield 0, text
        return
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + CHUNK_CHARS)
        if end < len(text):
            cut = max(text.rfind("\n", pos, end), text.rfind(". ", pos, end))
            if cut > pos + CHUNK_CHARS // 2:
                end = cut + 1
        yield pos, text[pos:end]
        pos = end


def long_note_warning(text: str, note_id: Any) -> str | None:
    """The warning a note over :data:`MAX_NOTE_CHARS` carries (None for any other note)."""
    if len(text) <= MAX_NOTE_CHARS:
        return None
    name = "note" if note_id is None else f"note {note_id}"
    pieces = -(-len(text) // CHUNK_CHARS)
    return (
        f"{name}: {len(text):,} characters, over {MAX_NOTE_CHARS:,}: read in full in about "
        f"{pieces} pieces (slow; a pasted export rather than a call note?)"
    )


def _resolve_lang(text: str, lang: str | None) -> tuple[str, bool]:
    if lang in (None, "", "auto"):
        detection = detect_language(text)
        return detection.lang, detection.mixed
    if lang not in LANGS:
        raise InputError(f"unsupported language {lang!r} (allowed: auto, fr, en)")
    return lang, detect_language(text).mixed


def _playbook(playbooks: PlaybookSet, playbook: str | Playbook) -> Playbook:
    return playbook if isinstance(playbook, Playbook) else playbooks.playbook(playbook)


def _finish(
    collected: list[_Collected],
    text: str,
    lang: str,
    pb: Playbook,
    note_id: Any,
    contacts: Sequence[dict[str, Any]],
    criteria: Sequence[str] | None = None,
) -> NoteAnalysis:
    items = [i for c in collected for i in c.items]
    scores = _score_items(items, criteria or pb.criteria_ids, text)
    proposals: dict[tuple[str, int, str, str], PersonProposal] = {}
    for c in collected:
        for p in c.proposals:
            proposals.setdefault(p.key(), p)
    analysis = NoteAnalysis(
        lang=lang,
        playbook=pb.id,
        scores={cid: scores[cid] for cid in pb.criteria_ids} if criteria is None else scores,
        overall=overall_score(pb, scores),
        people=people_of(list(proposals.values())),
        proposals=list(proposals.values()),
        id=note_id,
    )
    analysis.highlights = sorted(h for c in collected for h in c.highlights)
    return analysis


def _clean(text: Any) -> str:
    """The note as analysed: all of it (long notes are read in chunks), NULs as spaces."""
    if not isinstance(text, str):
        raise InputError(f"a note must be text, got {type(text).__name__}")
    return text.replace("\x00", " ")


def analyze_text(
    text: str,
    *,
    playbooks: PlaybookSet,
    playbook: str | Playbook = "meddic",
    lang: str = "auto",
    contacts: Sequence[dict[str, Any]] = (),
    note_id: Any = None,
    criteria: Sequence[str] | None = None,
    people: Sequence[dict[str, Any]] | None = None,
) -> NoteAnalysis:
    """Analyse one note. ``contacts`` are the deal's known contacts (id, name, title).

    ``criteria`` (all criterion ids, for the accuracy benchmark) overrides the
    playbook's list of criteria to score. ``people`` (default ``contacts``) are
    the contacts the people extractor links names to: the account's, with
    their role on the deal, stance and ``left_company``; they change no score.
    """
    text = _clean(text)
    pb = _playbook(playbooks, playbook)
    code, mixed = _resolve_lang(text, lang)
    analyser = _analyser(code, playbooks)
    # One chunk at a time (batch_size=1): only one chunk's Doc is alive, so memory is
    # bounded by the chunk size, not the note's length. A note of one chunk (every
    # ordinary note) goes through spaCy exactly as before: a batch of one.
    collected = []
    pieces = _chunks(text)
    bases: list[tuple[int, str]] = []

    def texts() -> Iterator[str]:
        for base, chunk in pieces:
            bases.append((base, chunk))
            yield chunk

    cfg = (
        {PEOPLE_COMPONENT: {"contacts": list(contacts if people is None else people)}}
        if PEOPLE_COMPONENT in analyser.nlp.pipe_names
        else {}
    )
    for doc in analyser.nlp.pipe(texts(), batch_size=1, component_cfg=cfg):
        base, chunk = bases.pop(0)
        collected.append(analyser.collect(doc, base, mixed, contacts, chunk))
        del doc
    analysis = _finish(collected, text, code, pb, note_id, contacts, criteria)
    warning = long_note_warning(text, note_id)
    if warning:
        analysis.warnings.append(warning)
    return analysis


# ---------------------------------------------------------------- batches

BLOCK = 256


def _analyse_block(
    block: list[tuple[Any, str, str | None]],
    playbooks: PlaybookSet,
    pb: Playbook,
    criteria: Sequence[str] | None,
) -> list[NoteAnalysis]:
    prepared: list[tuple[Any, str, str, bool]] = []
    for note_id, text, lang in block:
        clean = _clean(text)
        code, mixed = _resolve_lang(clean, lang)
        prepared.append((note_id, clean, code, mixed))
    results: list[NoteAnalysis | None] = [None] * len(prepared)
    for code in LANGS:
        indexes = [i for i, p in enumerate(prepared) if p[2] == code and len(p[1]) <= CHUNK_CHARS]
        if not indexes:
            continue
        analyser = _analyser(code, playbooks)
        for group in _char_groups(indexes, prepared):
            docs = analyser.nlp.pipe(prepared[i][1] for i in group)
            for i, doc in zip(group, docs, strict=True):
                note_id, clean, _code, mixed = prepared[i]
                results[i] = _finish(
                    [analyser.collect(doc, 0, mixed, (), clean)],
                    clean,
                    code,
                    pb,
                    note_id,
                    (),
                    criteria,
                )
    for i, (note_id, clean, code, _mixed) in enumerate(prepared):
        if results[i] is None:
            results[i] = analyze_text(
                clean,
                playbooks=playbooks,
                playbook=pb,
                lang=code,
                note_id=note_id,
                criteria=criteria,
            )
    return [r for r in results if r is not None]


#: Characters of notes parsed in one ``nlp.pipe`` call of a batch: a block of 256 long
#: notes (each up to a chunk) would otherwise hold 25 million characters of Docs at once.
BATCH_CHARS = 1_000_000


def _char_groups(
    indexes: list[int], prepared: list[tuple[Any, str, str, bool]]
) -> Iterator[list[int]]:
    """``indexes`` in order, cut into groups of at most :data:`BATCH_CHARS` characters.

    A block of ordinary notes stays one group (one ``nlp.pipe`` call, as
    before); only blocks of long notes are split, which bounds memory.
    """
    group: list[int] = []
    size = 0
    for i in indexes:
        length = len(prepared[i][1])
        if group and size + length > BATCH_CHARS:
            yield group
            group, size = [], 0
        group.append(i)
        size += length
    if group:
        yield group


_worker_state: dict[str, Any] = {}


def _worker_init(playbooks: PlaybookSet, pb: Playbook, criteria: Sequence[str] | None) -> None:
    _worker_state.update(playbooks=playbooks, pb=pb, criteria=criteria)


def _worker_block(block: list[tuple[Any, str, str | None]]) -> list[NoteAnalysis]:
    return _analyse_block(
        block, _worker_state["playbooks"], _worker_state["pb"], _worker_state["criteria"]
    )


def _blocks(
    items: Iterable[tuple[Any, str, str | None]],
) -> Iterator[list[tuple[Any, str, str | None]]]:
    block: list[tuple[Any, str, str | None]] = []
    for item in items:
        block.append(item)
        if len(block) >= BLOCK:
            yield block
            block = []
    if block:
        yield block


def analyze_texts(
    items: Iterable[tuple[Any, str, str | None]],
    *,
    playbooks: PlaybookSet,
    playbook: str | Playbook = "meddic",
    workers: int = 1,
    progress: Progress | None = None,
    total: int | None = None,
    criteria: Sequence[str] | None = None,
) -> Iterator[NoteAnalysis]:
    """Analyse ``(id, text, lang or None)`` items in order, streaming (memory stays flat).

    Notes are grouped in blocks and each language's block goes through
    ``nlp.pipe``; ``workers > 1`` spreads blocks over processes, each loading
    its own pipelines. ``progress(done, total)`` is called after each block.
    """
    pb = _playbook(playbooks, playbook)
    done = 0
    if workers <= 1:
        for block in _blocks(items):
            yield from _analyse_block(block, playbooks, pb, criteria)
            done += len(block)
            if progress:
                progress(done, total)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(workers, initializer=_worker_init, initargs=(playbooks, pb, criteria)) as pool:
        for results in pool.imap(_worker_block, _blocks(items)):
            yield from results
            done += len(results)
            if progress:
                progress(done, total)


# ---------------------------------------------------------------- several notes


#: Criteria whose later explicit gap ("we have not met the CFO yet") outweighs an
#: earlier identification that was never validated: access to power is the point.
ACCESS_CRITERIA = frozenset({"economic_buyer"})
#: Evidence that the economic buyer was met or engaged (not merely named).
ENGAGED_RE = re.compile(
    r"\b(?:met|meet|meeting|introduc\w*|call with|spoke|talked|lunch|dinner|"
    r"rencontr\w*|présent\w*|present\w*|déjeuner|dejeuner|vu le|vu la|rendez-vous)\b",
    re.I,
)


def combine(analyses: Sequence[NoteAnalysis], playbook: Playbook) -> dict[str, CriterionScore]:
    """Merge the analyses of one deal's notes, oldest first.

    The best evidence wins; a later *explicit loss* ("our champion left",
    "budget gelé") replaces it, quoting the loss; a later plain gap never lowers
    what an earlier note established, except for the economic buyer: a later
    "haven't met the CFO yet" outweighs an earlier identification that no note
    validated (score 3), since the flag is about access to power. A score is
    never lowered without a quote. Evidence carries the note id it came from.
    """
    merged: dict[str, CriterionScore] = {}
    for cid in playbook.criteria_ids:
        current = CriterionScore(cid, 0, "missing", [])
        for analysis in analyses:
            score = analysis.scores.get(cid)
            if score is None:
                continue
            note_id = analysis.id if isinstance(analysis.id, int) else None
            tagged = CriterionScore(
                cid,
                score.score,
                score.status,
                [
                    Evidence(
                        e.text,
                        e.start,
                        e.end,
                        e.negated,
                        e.note_id if e.note_id is not None else note_id,
                    )
                    for e in score.evidence
                ],
                score.reason,
            )
            if tagged.score > 0:
                if current.score == 0 or tagged.score >= current.score:
                    current = tagged
            elif tagged.status == "gap" and (
                current.score == 0
                or (tagged.reason == "loss" and tagged.evidence)
                or (
                    cid in ACCESS_CRITERIA
                    and tagged.reason == "stated"
                    and current.score < 3
                    and tagged.evidence
                    and not any(ENGAGED_RE.search(e.text) for e in current.evidence)
                )
            ):
                current = tagged
        merged[cid] = current
    return merged
