"""The pre-call checklist: what to find out in the next meeting, and when to ask it.

A rep preparing a call needs the few gaps that matter at the deal's stage, not
the whole playbook. This module picks them (criteria below the gate of the
current and the next stage, then other missing criteria by weight), orders
them by the Natural Selling meeting phase where the question sounds natural,
and says who should attend. It reads the database and the playbooks only: the
CLI (``kamcoach prep``) and the terminal app render the same :class:`Checklist`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import today as clock_today
from kamcoach.domain.models import CriterionScore
from kamcoach.domain.scoring import overall_score, status_for
from kamcoach.domain.stages import OPEN_STAGES
from kamcoach.playbooks.model import Criterion, Method, Phase, PlaybookSet, Question
from kamcoach.records.next_steps import NextStep
from kamcoach.records.next_steps import current as current_next_step
from kamcoach.records.proposals import list_proposals
from kamcoach.review.attendees import Attendee, attendees_for
from kamcoach.storage import repo
from kamcoach.textsafe import md

#: Score aimed at for a missing criterion that no gate requires yet.
DEFAULT_TARGET = 2

TIER_LABEL = {
    "en": {"now": "gate of the current stage", "next": "gate of the next stage", "gap": "gap"},
    "fr": {
        "now": "seuil de l'étape actuelle",
        "next": "seuil de l'étape suivante",
        "gap": "manque",
    },
}


@dataclass(slots=True)
class ChecklistItem:
    """One gap to close, with the question to ask and the moment to ask it."""

    criterion: str
    name: str
    score: int
    status: str
    target: int
    """Score the deal should reach (gate minimum, or :data:`DEFAULT_TARGET`)."""
    tier: str
    """'now' (below the current stage's gate), 'next' (next stage's gate) or 'gap'."""
    weight: float
    phase: str
    phase_name: str
    timing: str
    """When in the meeting, e.g. "about 30 minutes in"."""
    question: str
    when: str
    """The situation in which the question sounds natural."""
    confirm: str
    """The rubric level to reach: what the customer must confirm."""
    evidence: list[str] = field(default_factory=list)
    """Quotes already known (negated quotes prefixed with 'not:')."""
    set_by: str | None = None
    """Why the score in force is in force when a person gave it (``InForce.why``)."""


@dataclass(slots=True)
class PhaseGuide:
    """A meeting phase that holds at least one item: its goal and the method's tips."""

    id: str
    name: str
    timing: str
    goal: str
    tips: tuple[str, ...]


@dataclass(slots=True)
class Checklist:
    """Everything a rep needs before the next call on one deal."""

    deal_id: int
    deal: str
    account: str | None
    stage: str
    next_stage: str | None
    owner: str
    amount: float
    currency: str
    close_date: str | None
    playbook: str
    lang: str
    overall: float
    items: list[ChecklistItem]
    attendees: list[Attendee]
    phases: list[PhaseGuide]
    next_step: NextStep | None = None
    """The deal's current agreed next step (done or not); None when none was set."""
    today: date | None = None
    """The day the checklist was built (decides whether the next step is overdue)."""

    @property
    def next_step_line(self) -> str:
        """``Agreed next step: what (who, due …)``, overdue said; or that none is agreed."""
        label = checklist_label("step", self.lang)
        if self.next_step is None:
            return f"{label}: {checklist_label('no_step', self.lang)}"
        return f"{label}: {self.next_step.summary(self.today, self.lang)}"

    @property
    def warnings(self) -> list[str]:
        return [a.note for a in self.attendees if a.note]


# ---------------------------------------------------------------- helpers


def detect_deal_lang(notes: Sequence[Mapping[str, Any]]) -> str:
    """The language most of the deal's notes are in ('fr' or 'en'; ties and no notes: 'en').

    Uses the stored ``lang`` of each note and, when the rep gave none, the
    analyser's own stop-word detection (no language model needed), so the
    deal screen, the checklist and the pipeline review's next question agree.
    """
    from kamcoach.analysis.detect import detect_language

    votes: Counter[str] = Counter()
    for note in notes:
        lang = note.get("lang")
        if lang not in ("fr", "en"):
            text = str(note.get("text") or "")
            if not text.strip():
                continue
            lang = detect_language(text).lang
        votes[lang] += 1
    if not votes:
        return "en"
    top = votes.most_common()
    if len(top) > 1 and top[0][1] == top[1][1]:
        return "en"
    return top[0][0]


def next_stage(stage: str) -> str | None:
    if stage not in OPEN_STAGES:
        return None
    i = OPEN_STAGES.index(stage)
    return OPEN_STAGES[i + 1] if i + 1 < len(OPEN_STAGES) else None


def phase_timing(method: Method, phase: Phase, lang: str) -> str:
    """A human hint of when a phase happens in a typical meeting."""
    last = max(p.end_minute for p in method.phases) if method.phases else phase.end_minute
    fr = lang == "fr"
    if phase.start_minute <= 0:
        n = phase.end_minute
        return f"dans les {n} premières minutes" if fr else f"in the first {n} minutes"
    if phase.end_minute >= last and phase.start_minute >= last - 15:
        n = last - phase.start_minute
        return f"dans les {n} dernières minutes" if fr else f"in the last {n} minutes"
    return (
        f"vers la {phase.start_minute}e minute" if fr else f"about {phase.start_minute} minutes in"
    )


def phase_label(method: Method, phase_id: str, lang: str) -> str:
    """A question's phase as a rep reads it: "Qualification woven in, about 30 minutes in".

    Phase ids are for files; people need the name and when it comes up. An
    id the method does not know (a team playbook's own) is shown as it is.
    """
    phase = method.phase(phase_id)
    if phase is None:
        return phase_id
    return f"{phase.name.get(lang)}, {phase_timing(method, phase, lang)}"


def _phase_order(method: Method) -> dict[str, int]:
    return {p.id: i for i, p in enumerate(method.phases)}


def pick_question(criterion: Criterion, score: int, order: Mapping[str, int]) -> Question | None:
    """The question that fits how much is known already.

    Nothing known: the earliest question (it opens the topic in discovery).
    Something known: the next, deeper question, asked later in the meeting.
    """
    questions = sorted(criterion.questions, key=lambda q: order.get(q.phase, 99))
    if not questions:
        return None
    if score <= 0:
        return questions[0]
    return questions[min(score, len(questions) - 1)]


def deal_scores(db: Database, deal_id: int, playbooks: PlaybookSet) -> dict[str, CriterionScore]:
    """The score in force on each criterion of the deal's playbook (``review.in_force``)."""
    from kamcoach.review.in_force import deal_in_force, scores_in_force

    deal = repo.get_deal(db, deal_id)
    found = deal_in_force(db, deal_id)
    return scores_in_force(found, playbooks.playbook(deal["playbook"]).criteria_ids)


def _evidence(score: CriterionScore | None) -> list[str]:
    if score is None:
        return []
    seen: list[str] = []
    for ev in score.evidence:
        text = ("not: " if ev.negated else "") + ev.text.strip()
        if text and text not in seen:
            seen.append(text)
    return seen[:3]


def analysis_is_stale(db: Database, deal_id: int, version: str | None = None) -> bool:
    """True when a note of the deal has no analysis of its current text, or no review exists.

    Which notes lack an analysis decides, not their dates: an imported note
    dated last month is as new to the analyser as one typed a minute ago, and
    comparing note dates with the last review's time skipped it. A note counts
    as analysed when ``note_analyses`` holds its current text (content hash)
    for the deal's current playbook, and, when ``version`` is given, by this
    analyser version.
    """
    deal = repo.get_deal(db, deal_id)
    version_test = "AND a.analyser_version = ?" if version else ""
    params: list[Any] = [deal["playbook"], *([version] if version else []), deal["id"]]
    total, missing = db.execute(
        f"""
        SELECT COUNT(*), SUM(a.note_id IS NULL)
        FROM notes n LEFT JOIN note_analyses a
             ON a.note_id = n.id AND a.playbook = ? AND a.content_hash = n.content_hash
                {version_test}
        WHERE n.opportunity_id = ?
        """,
        params,
    ).fetchone()
    if not total:
        return False
    if missing:
        return True
    return repo.latest_review(db, deal["id"], author_kind="analyser") is None


def refresh_analysis(db: Database, deal_id: int, playbooks: PlaybookSet) -> bool:
    """Re-analyse the deal's notes when they changed since the last analyser review.

    Returns True when an analysis ran. Without the analyser installed (or
    without notes) the stored reviews are used as they are.
    """
    try:
        from kamcoach.analysis.engine import analyser_version
        from kamcoach.review.deal_analysis import analyze_deal
    except ImportError:
        return False
    # A new analyser reads every note again: an analysis by an older version is stale too.
    if not analysis_is_stale(db, deal_id, analyser_version(playbooks)):
        return False
    analyze_deal(db, deal_id, playbooks)
    return True


# ---------------------------------------------------------------- the core


def build_checklist(
    db: Database,
    deal_id: int | str,
    playbooks: PlaybookSet,
    *,
    lang: str | None = None,
    scores: Mapping[str, CriterionScore] | None = None,
) -> Checklist:
    """Build the pre-call checklist of one deal (by id or exact name).

    ``scores`` lets a caller that already holds the effective scores (the
    terminal app) skip reading them again; ``lang`` forces the language of
    the questions, otherwise the deal's notes decide.
    """
    deal = repo.get_deal(db, deal_id)
    did = int(deal["id"])
    playbook = playbooks.playbook(deal["playbook"])
    method = playbooks.method
    notes = repo.deal_notes(db, did)
    lang = lang if lang in ("en", "fr") else detect_deal_lang(notes)
    from kamcoach.review.in_force import deal_in_force, scores_in_force

    found = deal_in_force(db, did)
    effective = (
        dict(scores) if scores is not None else scores_in_force(found, playbook.criteria_ids)
    )

    stage = deal["stage"]
    upcoming = next_stage(stage)
    now_gate = playbook.gate(stage)
    next_gate = playbook.gate(upcoming) if upcoming else {}
    order = _phase_order(method)
    phases = {p.id: p for p in method.phases}
    tier_rank = {"now": 0, "next": 1, "gap": 2}

    items: list[ChecklistItem] = []
    for cid in playbook.criteria_ids:
        criterion = playbooks.criteria.get(cid)
        if criterion is None:
            continue
        current = effective.get(cid)
        score = current.score if current else 0
        status = current.status if current else status_for(0)
        if score < now_gate.get(cid, 0):
            tier, target = "now", now_gate[cid]
        elif score < next_gate.get(cid, 0):
            tier, target = "next", next_gate[cid]
        elif status in ("missing", "gap") and stage in OPEN_STAGES:
            tier, target = "gap", max(DEFAULT_TARGET, now_gate.get(cid, 0))
        else:
            continue
        question = pick_question(criterion, score, order)
        phase = phases.get(question.phase) if question else None
        if phase is None and method.phases:
            phase = next((p for p in method.phases if cid in p.uncovers), method.phases[0])
        items.append(
            ChecklistItem(
                criterion=cid,
                name=criterion.name.get(lang),
                score=score,
                status=status,
                target=target,
                tier=tier,
                weight=playbook.weights.get(cid, 1.0),
                phase=phase.id if phase else "",
                phase_name=phase.name.get(lang) if phase else "",
                timing=phase_timing(method, phase, lang) if phase else "",
                question=question.text.get(lang) if question else "",
                when=question.when.get(lang) if question else "",
                confirm=criterion.rubric[max(0, min(3, target))].get(lang),
                evidence=_evidence(current),
                set_by=found[cid].why()
                if cid in found and found[cid].author_kind != "analyser"
                else None,
            )
        )
    items.sort(key=lambda it: (order.get(it.phase, 99), tier_rank[it.tier], -it.weight, it.score))
    used = [p for p in method.phases if any(it.phase == p.id for it in items)]
    guides = [
        PhaseGuide(
            id=p.id,
            name=p.name.get(lang),
            timing=phase_timing(method, p, lang),
            goal=p.goal.get(lang),
            tips=p.tips.get(lang, p.tips.get("en", ())),
        )
        for p in used
    ]
    return Checklist(
        deal_id=did,
        deal=deal["name"],
        account=deal.get("account"),
        stage=stage,
        next_stage=upcoming,
        owner=deal["owner"],
        amount=float(deal["amount"] or 0),
        currency=deal["currency"],
        close_date=deal["close_date"],
        playbook=playbook.id,
        lang=lang,
        overall=overall_score(playbook, effective),
        items=items,
        attendees=attendees_for(
            repo.deal_contacts(db, did), lang, effective, list_proposals(db, deal_id=did)
        ),
        phases=guides,
        next_step=current_next_step(db, did),
        today=clock_today(),
    )


# ---------------------------------------------------------------- rendering

_MD = {
    "en": {
        "title": "Pre-call checklist",
        "stage": "Stage",
        "next": "next",
        "score": "Qualification score",
        "close": "close",
        "attend": "Who should attend",
        "none": "Nothing missing at this stage: confirm the next steps and the close date.",
        "ask": "Ask",
        "when": "When",
        "confirm": "Confirm",
        "known": "Known so far",
        "set_by": "Score in force",
        "nothing": "nothing yet",
        "tips": "Tips",
        "plan": "Meeting plan",
        "current": "now",
        "gaps": "Gaps to close, in meeting order",
        "role": "role",
        "who": "who",
        "criterion": "criterion",
        "step": "Agreed next step",
        "no_step": "none agreed: agree one (what, who, when) before the call ends",
    },
    "fr": {
        "title": "Préparation de rendez-vous",
        "stage": "Étape",
        "next": "suivante",
        "score": "Score de qualification",
        "close": "signature",
        "attend": "Qui doit participer",
        "none": "Rien ne manque à cette étape : confirmez les prochaines étapes et la date de signature.",
        "ask": "Demander",
        "when": "Quand",
        "confirm": "À confirmer",
        "known": "Déjà connu",
        "set_by": "Score retenu",
        "nothing": "rien pour l'instant",
        "tips": "Conseils",
        "plan": "Déroulé du rendez-vous",
        "current": "actuel",
        "gaps": "Points à traiter, dans l'ordre du rendez-vous",
        "role": "rôle",
        "who": "qui",
        "criterion": "critère",
        "step": "Prochaine étape convenue",
        "no_step": "aucune : convenez-en une (quoi, qui, quand) avant la fin du rendez-vous",
    },
}


STATUS_LABEL: dict[str, dict[str, str]] = {
    "fr": {
        "missing": "absent",
        "mentioned": "mentionné",
        "specific": "précis",
        "validated": "validé",
        "gap": "manque avéré",
    },
}
"""Status words as the checklist's reader sees them; ids stay English in data output."""


def checklist_label(key: str, lang: str) -> str:
    """A checklist heading in the checklist's language (English when there is none)."""
    return _MD.get(lang, _MD["en"]).get(key) or _MD["en"][key]


def status_label(status: str, lang: str) -> str:
    """The status in the checklist's language (English ids are the English labels)."""
    return STATUS_LABEL.get(lang, {}).get(status, status)


def checklist_markdown(checklist: Checklist, ticked: Collection[str] = ()) -> str:
    """The checklist as a Markdown document to share or print before the call.

    ``ticked``: criteria the rep has already ticked in the TUI, shown ``[x]``.
    """
    t = _MD.get(checklist.lang, _MD["en"])
    tiers = TIER_LABEL.get(checklist.lang, TIER_LABEL["en"])
    c = checklist
    # Names, notes and playbook texts as literal Markdown text: no HTML, links or emphasis.
    lines = [
        f"# {t['title']}: {md(c.deal)} ({md(c.account or '?')})",
        "",
        f"- {t['stage']}: **{c.stage}**"
        + (f" ({t['next']}: {c.next_stage})" if c.next_stage else ""),
        f"- {c.amount:,.0f} {md(c.currency)} · {t['close']} {c.close_date or '?'} · {md(c.owner)}",
        f"- {t['score']} ({md(c.playbook)}): {c.overall:.0f}/100",
        f"- {md(c.next_step_line)}",
        "",
        f"## {t['attend']}",
        "",
    ]
    for a in c.attendees:
        if a.missing:
            lines.append(f"- [ ] **{md(a.label)}**: {md(a.note)}")
        else:
            who = md(a.name or "") + (f", {md(a.title)}" if a.title else "")
            lines.append(f"- **{md(a.label)}**: {who}" + (f" ({md(a.note)})" if a.note else ""))
    lines.append("")
    if not c.items:
        lines += [t["none"], ""]
    for guide in c.phases:
        lines += [f"## {md(guide.name)} ({md(guide.timing)})", "", f"_{md(guide.goal)}_", ""]
        if guide.tips:
            lines.append(f"{t['tips']}:")
            lines += [f"- {md(tip)}" for tip in guide.tips]
            lines.append("")
        for it in (i for i in c.items if i.phase == guide.id):
            box = "x" if it.criterion in ticked else " "
            lines += [
                f"### [{box}] {md(it.name)}: {it.score}/3 {status_label(it.status, c.lang)}"
                f" → {it.target}/3 ({tiers[it.tier]})",
                "",
                f"- **{t['ask']}**: “{md(it.question)}”",
                f"- **{t['when']}**: {md(it.timing)}. {md(it.when)}",
                f"- **{t['confirm']}**: {md(it.confirm)}",
                f"- **{t['known']}**: "
                + ("; ".join(f"“{md(e)}”" for e in it.evidence) if it.evidence else t["nothing"]),
                *([f"- **{t['set_by']}**: {md(it.set_by)}"] if it.set_by else []),
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def checklist_rows(checklist: Checklist) -> list[dict[str, Any]]:
    """One row per item, for table/json/csv output."""
    return [
        {
            "order": i,
            "phase": it.phase,
            "timing": it.timing,
            "criterion": it.criterion,
            "score": it.score,
            "status": it.status,
            "target": it.target,
            "tier": it.tier,
            "question": it.question,
            "confirm": it.confirm,
            "evidence": it.evidence,
            "set_by": it.set_by,
        }
        for i, it in enumerate(checklist.items, 1)
    ]


__all__ = [
    "Attendee",
    "Checklist",
    "ChecklistItem",
    "PhaseGuide",
    "build_checklist",
    "checklist_markdown",
    "checklist_rows",
    "detect_deal_lang",
    "next_stage",
    "refresh_analysis",
    "status_label",
]
