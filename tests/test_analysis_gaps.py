"""Open questions, unknowns, competition, need and teaching text, in both languages.

Our own sentences (never the evaluation data). Each English rule has a French twin.
"""
# ruff: noqa: F811

from __future__ import annotations

import pytest

from kamcoach.analysis.engine import analyze_text
from kamcoach.domain.models import CriterionScore
from kamcoach.playbooks.model import PlaybookSet
from tests.analysis_fixtures import fr_nlp, playbooks  # noqa: F401

pytestmark = pytest.mark.usefixtures("fr_nlp")

ALL = "meddpicc"
PRESENT = ("mentioned", "specific", "validated")


def _score(playbooks: PlaybookSet, text: str, lang: str, cid: str) -> CriterionScore:
    """Score one criterion of any playbook (MEDDPICC and BANT ids alike)."""
    return analyze_text(
        text, playbooks=playbooks, playbook=ALL, lang=lang, criteria=list(playbooks.criteria)
    ).scores[cid]


GAPS: list[tuple[str, str, str]] = [
    # (lang, text, criterion): the note says the element is still unknown
    ("en", "Precise needs to define with the client.", "need"),
    ("fr", "Besoins précis à définir avec le client.", "need"),
    ("en", "Needs TBD.", "need"),
    ("fr", "Besoins à préciser.", "need"),
    ("en", "Budget: ?", "budget"),
    ("fr", "Budget : ?", "budget"),
    ("en", "Who decides? to check", "authority"),
    ("en", "Who decides? to check", "economic_buyer"),
    ("fr", "Qui décide ? à vérifier", "authority"),
    ("fr", "Qui décide ? à vérifier", "economic_buyer"),
    ("en", "Budget not discussed yet.", "budget"),
    ("fr", "Budget pas encore défini.", "budget"),
    ("en", "We didn't talk about budget.", "budget"),
    ("fr", "On n'a pas parlé du budget.", "budget"),
    ("en", "No idea about timing.", "timeline"),
    ("fr", "Aucune idée du calendrier.", "timeline"),
    ("fr", "Calendrier à préciser.", "timeline"),
    ("en", "She is not really interested.", "need"),
    ("fr", "Pas vraiment intéressé.", "need"),
    ("fr", "La responsable qualité n'est pas intéressée pour l'instant.", "need"),
    # an uncertainty reads on across a list
    ("en", "We still have to define the scope, the users and their precise needs.", "need"),
    ("fr", "Il faudra définir le périmètre, les utilisateurs et leurs besoins précis.", "need"),
    # "we would like" is part of "we would like to know": no positive need
    ("en", "To help you, we would like to know your precise needs.", "need"),
    ("fr", "Pour vous aider, nous aimerions connaître vos besoins précis.", "need"),
]


@pytest.mark.parametrize(("lang", "text", "cid"), GAPS)
def test_open_points_are_gaps(playbooks: PlaybookSet, lang: str, text: str, cid: str) -> None:
    score = _score(playbooks, text, lang, cid)
    assert score.status == "gap", (text, score)
    assert score.evidence and all(e.negated for e in score.evidence)


def test_open_question_needs_a_short_line(playbooks: PlaybookSet) -> None:
    """A long question in a note is not an open point; a request is evidence."""
    for lang, text in (
        ("en", "Could you please send me a quote for 20 laptops?"),
        ("fr", "Pouvez-vous m'envoyer un devis pour 20 ordinateurs ?"),
    ):
        score = _score(playbooks, text, lang, "need")
        assert score.status in PRESENT, (text, score)


def test_positive_evidence_beats_an_open_point(playbooks: PlaybookSet) -> None:
    for lang, text in (
        ("en", "Budget: ?\nUpdate: budget of $40k approved by the CFO."),
        ("fr", "Budget : ?\nMise à jour : budget de 40 k€ validé par le DAF."),
    ):
        score = _score(playbooks, text, lang, "budget")
        assert score.status in PRESENT, (text, score)


PRESENT_CASES: list[tuple[str, str, str]] = [
    ("en", "They are also looking at Acme for the same scope.", "competition"),
    ("fr", "Ils regardent aussi Acme pour le même périmètre.", "competition"),
    ("en", "They compare against two other tools.", "competition"),
    ("fr", "Ils comparent avec deux autres outils.", "competition"),
    ("en", "Today the team tracks every order in Excel.", "competition"),
    ("fr", "Aujourd'hui l'équipe suit toutes les commandes sur Excel.", "competition"),
    ("en", "They are unhappy with their current billing system.", "competition"),
    ("fr", "Ils sont mécontents de leur logiciel de facturation actuel.", "competition"),
    ("en", "The CTO would rather build it in-house.", "competition"),
    ("fr", "Le DSI préfère le développer en interne.", "competition"),
    ("en", "Last year they were looking at a cheaper add-on.", "competition"),
    ("fr", "L'an dernier ils regardaient un module moins complet.", "competition"),
    ("en", "We need a planning module for our three plants.", "need"),
    ("fr", "Il nous faut un module de planification pour nos trois usines.", "need"),
    ("en", "They plan to buy a new fleet tracker this year.", "need"),
    ("fr", "Ils prévoient d'acheter un nouveau traceur de flotte cette année.", "need"),
    ("en", "The buyer asked for a quote for 12 licences.", "need"),
    ("fr", "L'acheteur demande un devis pour 12 licences.", "need"),
    ("en", "For them it comes down to onboarding and local support.", "decision_criteria"),
    ("fr", "Pour eux, ça se jouera sur l'accompagnement et le support local.", "decision_criteria"),
    ("en", "The tool has to be GDPR compliant and hosted in the EU.", "decision_criteria"),
    ("fr", "L'outil doit être conforme au RGPD et hébergé en France.", "decision_criteria"),
    ("en", "They want an affordable price for 40 seats.", "decision_criteria"),
    ("fr", "Ils veulent un prix abordable pour 40 postes.", "decision_criteria"),
    ("en", "The deal needs sign-off from the IT director.", "decision_process"),
    ("fr", "Validation par le DSI puis par les achats.", "decision_process"),
    ("en", "They will issue an RFP in March.", "decision_process"),
    ("fr", "Ils lanceront un appel d'offres en mars.", "decision_process"),
    ("en", "Tom shared the internal evaluation grid with us.", "champion"),
    ("fr", "Paul nous a partagé la grille d'évaluation interne.", "champion"),
    ("en", "Nadia is clearly on our side and will push for a pilot.", "champion"),
    ("fr", "Nadia défend notre solution en interne.", "champion"),
]


@pytest.mark.parametrize(("lang", "text", "cid"), PRESENT_CASES)
def test_present(playbooks: PlaybookSet, lang: str, text: str, cid: str) -> None:
    score = _score(playbooks, text, lang, cid)
    assert score.status in PRESENT, (text, score)


TEACHING: list[tuple[str, str, str]] = [
    # quoted examples, stage directions and generic advice carry no evidence
    ("en", 'Ask "who signs off on the budget?" or "which competitor do you use?"', "budget"),
    ("en", 'Ask "who signs off on the budget?" or "which competitor do you use?"', "competition"),
    ("fr", "Demandez « qui valide le budget ? » ou « quel concurrent utilisez-vous ? »", "budget"),
    (
        "fr",
        "Demandez « qui valide le budget ? » ou « quel concurrent utilisez-vous ? »",
        "competition",
    ),
    ("en", "Notes from the call.\n(The rep then walks through budget and timing.)", "budget"),
    (
        "fr",
        "Notes de l'appel.\n(Le commercial aborde ensuite le budget et le calendrier.)",
        "budget",
    ),
    ("en", "Always map the decision process and the committee early.", "decision_process"),
    ("fr", "Pensez à cartographier le processus de décision et le comité.", "decision_process"),
    # look-alikes: "no problem" is politeness, not a pain
    ("en", "No problem, I will call back after lunch.", "identify_pain"),
    ("fr", "Pas de problème, je rappelle après le déjeuner.", "identify_pain"),
    # interest is not a need (annotation guideline: a need or requirement is expressed)
    ("en", "Marco sounded keen and curious about the platform.", "need"),
    ("en", "They are exploring options and evaluating a few vendors.", "need"),
    ("fr", "Directrice achats intéressée, à recontacter après le salon.", "need"),
    ("fr", "Le gérant se dit intéressé par notre catalogue.", "need"),
    # the rep's own to-do names no customer need, pain, metric or criterion
    ("en", "Need to stress our faster onboarding in the next demo.", "need"),
    ("en", "We need to differentiate on the mobile app and local support.", "decision_criteria"),
    ("en", "We'll need to push on the cost of manual re-keying.", "identify_pain"),
    ("en", "Need to get to the CFO before the end of the month.", "need"),
    ("fr", "Il faut relancer sur leurs besoins de reporting.", "need"),
    ("fr", "On doit présenter notre différenciation sur le support.", "decision_criteria"),
    # ROI and cycles named without a figure are a justification or our deal's length
    ("en", "The CFO keeps bringing up ROI in every meeting.", "metrics"),
    ("en", "Expect a long sales cycle on this one, public sector.", "metrics"),
    ("fr", "Le DAF parle beaucoup de rentabilité et de ROI.", "metrics"),
    ("fr", "Cycle de vente long à prévoir, secteur public.", "metrics"),
    # metadata lines: who was in the room, the report's own date
    (
        "fr",
        "Présents : Paul Girard (PDG), Inès Roy (achats)\nPoint sur le stock.",
        "economic_buyer",
    ),
    (
        "en",
        "Attendees: Dana Ortiz (CFO), Lee Park (IT)\nWalked through the demo.",
        "economic_buyer",
    ),
    ("fr", "Compte rendu de visite — Fromagerie Bel Air — 14 mars 2026", "timeline"),
    ("en", "Meeting notes - Harbor Freightlines - 3 February 2026", "timeline"),
    # a step of the deal asked for is no need for a solution
    ("en", "They need board approval for anything over 400k.", "need"),
    ("en", "Need a signed quote by Friday to freeze the budget.", "need"),
    ("fr", "Ils ont besoin de la validation du DG avant signature.", "need"),
    # a person or a pronoun offering something is no rival
    ("en", "She offered to send the org chart before Friday.", "competition"),
    ("fr", "Marie propose un rendez-vous mardi.", "competition"),
]

STILL_EVIDENCE: list[tuple[str, str, str]] = [
    # a to-do still names people and dates; a customer's obligation is no to-do of ours; a figure makes ROI or a cycle a metric
    ("en", "Need to get to Dana, the CFO, who signs off anything over 50k.", "economic_buyer"),
    ("en", "They need to take it to their board in March.", "decision_process"),
    (
        "fr",
        "Il faut relancer Paul, le DAF, qui valide tout achat au-delà de 50 k€.",
        "economic_buyer",
    ),
    ("en", "We need a tool that flags churn before renewals.", "need"),
    ("fr", "Ils ont besoin d'un outil de planification.", "need"),
    ("en", "They expect the ROI within 9 months of go-live.", "metrics"),
    ("en", "Their sales cycle runs 95 days and they want it under 60.", "metrics"),
    ("fr", "ROI attendu en moins de 12 mois après le démarrage.", "metrics"),
    ("fr", "Leur cycle de vente dure 4 mois, objectif 3.", "metrics"),
    # a rival named by its name in a buying frame, not called a competitor
    ("en", "They went with Northwind last year for the same scope.", "competition"),
    ("en", "Northwind quoted them 20% below our list price.", "competition"),
    ("en", "We cannot match Northwind's price on a 3-year term.", "competition"),
    ("fr", "Le client a signé chez Dupuis Industrie pour trois ans.", "competition"),
    ("fr", "Proxima fait -10% sur la licence pour garder le client.", "competition"),
    ("fr", "Déjà équipés en logiciel de planning.", "competition"),
    # a champion described, not always called one
    ("en", "Priya is champion and the COO listens to her.", "champion"),
    ("en", "The ops lead is a strong advocate for replacing the old tool.", "champion"),
    ("en", "I'll push the CFO once I have your security answers.", "champion"),
    ("en", "Ravi is trying to get us a slot with the steering committee.", "champion"),
    ("fr", "Léa va pousser le DAF dès qu'elle a le chiffrage.", "champion"),
    ("fr", "Marc essaie de nous obtenir un rendez-vous avec la direction.", "champion"),
    # the decision's steps written tersely: who approves, the last word, the date
    ("en", "Champion on board, still needs CFO approval before the PO.", "decision_process"),
    ("en", "Ops has the final say on anything touching the floor.", "decision_process"),
    ("en", "Their vendor assessment comes first, then procurement.", "decision_process"),
    ("fr", "Projet plateforme - budget 80K - décision octobre.", "decision_process"),
    ("fr", "Chiffrage envoyé mardi, on attend la validation DG.", "decision_process"),
    # dissatisfaction is pain: complaints, stock-outs, threats to leave
    ("en", "Store managers are unhappy, shelves go out of stock twice a week.", "identify_pain"),
    ("en", "The plant runs on workarounds since the last upgrade.", "identify_pain"),
    ("fr", "La cheffe de rayon est mécontente du réassort.", "identify_pain"),
    (
        "fr",
        "Le service client de leur prestataire est jugé médiocre, ils menacent de partir.",
        "identify_pain",
    ),
]


@pytest.mark.parametrize(("lang", "text", "cid"), STILL_EVIDENCE)
def test_still_evidence(playbooks: PlaybookSet, lang: str, text: str, cid: str) -> None:
    score = _score(playbooks, text, lang, cid)
    assert score.status in PRESENT, (text, score)


@pytest.mark.parametrize(("lang", "text", "cid"), TEACHING)
def test_examples_and_advice_are_not_evidence(
    playbooks: PlaybookSet, lang: str, text: str, cid: str
) -> None:
    score = _score(playbooks, text, lang, cid)
    assert score.status not in PRESENT, (text, score)


def test_brackets_inside_a_line_still_count(playbooks: PlaybookSet) -> None:
    """Only a whole bracketed line is narration: "budget (50 k€) validé" is evidence."""
    for lang, text in (
        ("en", "Budget approved (50k) by the CFO."),
        ("fr", "Budget validé (50 k€) par le DAF."),
    ):
        score = _score(playbooks, text, lang, "budget")
        assert score.status in PRESENT, (text, score)
