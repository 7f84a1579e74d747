"""Table-driven analyser cases in both languages (our own sentences, not the eval data)."""
# ruff: noqa: F811

from __future__ import annotations

import pytest

from kamcoach.analysis import analyze_text, combine
from kamcoach.analysis.detect import detect_language
from kamcoach.analysis.entities import find_entities
from kamcoach.playbooks.model import PlaybookSet
from tests.analysis_fixtures import fr_nlp, playbooks  # noqa: F401

pytestmark = pytest.mark.usefixtures("fr_nlp")

ALL = "meddpicc"

CASES: list[tuple[str, str, str, str, str]] = [
    # (lang, playbook, text, criterion, expected status)
    ("fr", ALL, "Nous n'avons pas encore rencontré le DAF.", "economic_buyer", "gap"),
    ("fr", ALL, "Je ne sais pas qui signe chez eux.", "economic_buyer", "gap"),
    ("fr", ALL, "Marie Dupont, la DAF, valide le budget.", "economic_buyer", "specific"),
    ("fr", ALL, "Le DG a validé le projet en comité.", "economic_buyer", "validated"),
    ("fr", ALL, "Pas encore de champion identifié.", "champion", "gap"),
    ("fr", ALL, "Pierre Martin nous soutient et nous a présenté le DSI.", "champion", "specific"),
    ("fr", ALL, "Notre champion est parti chez un concurrent.", "champion", "gap"),
    ("fr", "bant", "Budget non validé pour l'instant.", "budget", "gap"),
    ("fr", "bant", "Budget de 120 k€ confirmé par la direction.", "budget", "validated"),
    ("fr", "bant", "Ils ont une enveloppe de 80 k€.", "budget", "specific"),
    ("fr", "bant", "Nous n'avons qu'un budget de 50 k€ cette année.", "budget", "specific"),
    (
        "fr",
        ALL,
        "Les ressaisies manuelles leur coûtent 2 jours par mois.",
        "identify_pain",
        "specific",
    ),
    ("fr", ALL, "Ils ont des soucis avec leur outil actuel.", "identify_pain", "mentioned"),
    ("fr", "bant", "Mise en production visée fin mars.", "timeline", "specific"),
    (
        "fr",
        ALL,
        "Ils regardent aussi Salesforce, concurrent principal.",
        "competition",
        "mentioned",
    ),
    (
        "fr",
        ALL,
        "En général, le champion est la personne qui vend en interne.",
        "champion",
        "missing",
    ),
    ("fr", ALL, "Deja valide par le DAF sans accents.", "economic_buyer", "validated"),
    ("en", ALL, "No champion yet.", "champion", "gap"),
    ("en", ALL, "Our champion left the company last week.", "champion", "gap"),
    ("en", ALL, "Tom pushes internally and introduced us to the CFO.", "champion", "specific"),
    ("en", ALL, "Tom is very enthusiastic about the demo.", "champion", "missing"),
    ("en", "bant", "Budget not confirmed.", "budget", "gap"),
    ("en", "bant", "They have a $120k budget approved for this.", "budget", "validated"),
    ("en", ALL, "We haven't met the CFO yet.", "economic_buyer", "gap"),
    ("en", ALL, "The CFO decides, we haven't met her yet.", "economic_buyer", "mentioned"),
    (
        "en",
        ALL,
        "The economic buyer is the person who controls the budget.",
        "economic_buyer",
        "missing",
    ),
    ("en", ALL, "Churn went from 8% to 12% this year.", "metrics", "specific"),
    ("en", ALL, "Manual invoicing is a big problem for them.", "identify_pain", "mentioned"),
    ("en", "bant", "Go-live before September.", "timeline", "specific"),
    ("en", ALL, "No doubt the CFO signs off on this.", "economic_buyer", "validated"),
    ("en", ALL, "Security questionnaire and MSA review with legal.", "paper_process", "mentioned"),
    ("en", ALL, "Budjet is fine, but no champoin yet 🙃", "champion", "missing"),
    ("en", ALL, "🚀🚀 CFO signs off!! 🎉", "economic_buyer", "validated"),
    # mixed language: cues of both languages run on one note
    (
        "fr",
        "bant",
        "Réunion avec l'équipe, the budget is approved et le DG décide.",
        "budget",
        "validated",
    ),
    (
        "en",
        "bant",
        "Call went well, we discussed the deal, budget validé by their finance.",
        "budget",
        "validated",
    ),
]


@pytest.mark.parametrize(("lang", "pb", "text", "cid", "expected"), CASES)
def test_status(
    playbooks: PlaybookSet,
    lang: str,
    pb: str,
    text: str,
    cid: str,
    expected: str,
) -> None:
    result = analyze_text(text, playbooks=playbooks, playbook=pb)
    score = result.scores[cid]
    assert (score.status, result.lang) == (expected, lang), score.evidence
    if expected == "gap":
        assert score.evidence and all(e.negated for e in score.evidence)
        assert score.score == 0
    if expected == "missing":
        assert score.evidence == []


def test_evidence_offsets_point_into_the_note(playbooks: PlaybookSet) -> None:
    text = "Intro.\nNo champion yet, but Lisa pushes internally for us."
    result = analyze_text(text, playbooks=playbooks, playbook=ALL)
    score = result.scores["champion"]
    assert score.status in ("mentioned", "specific")
    for ev in score.evidence:
        assert text[ev.start : ev.end] == ev.text


def test_people_roles_and_contact_linking(playbooks: PlaybookSet) -> None:
    contacts = [
        {"id": 7, "name": "Hélène Garnier", "title": "DAF"},
        {"id": 8, "name": "Thomas Lefèvre", "title": "Responsable achats"},
    ]
    text = "Thomas nous a présenté Helene Garnier, directrice financière, qui valide le budget."
    result = analyze_text(text, playbooks=playbooks, playbook=ALL, contacts=contacts)
    by_contact = {p.contact_id: p for p in result.people}
    assert by_contact[7].role == "economic_buyer"
    assert by_contact[8].role == "champion"


def test_new_person_is_proposed(playbooks: PlaybookSet) -> None:
    result = analyze_text("CFO Sarah Chen signs off.", playbooks=playbooks, playbook=ALL)
    assert [(p.name, p.title, p.role, p.contact_id) for p in result.people] == [
        ("Sarah Chen", "CFO", "economic_buyer", None)
    ]


@pytest.mark.parametrize(
    ("text", "lang", "mixed"),
    [
        ("Nous avons vu le DAF et il est favorable au projet.", "fr", False),
        ("We met the CFO and she likes the project.", "en", False),
        ("", "en", False),
        (
            "Le DAF est pour le projet et il a le budget. We need the legal team to review "
            "the contract and the security questionnaire.",
            "en",
            True,
        ),
    ],
)
def test_language_detection(text: str, lang: str, mixed: bool) -> None:
    detection = detect_language(text)
    assert (detection.lang, detection.mixed) == (lang, mixed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Budget 120 k€", [("MONEY", "120 k€")]),
        ("€50k and $1.2M", [("MONEY", "€50k"), ("MONEY", "$1.2M")]),
        ("up 15 %", [("PERCENT", "15 %")]),
        ("go-live in Q3, fin mars", [("DATE", "Q3"), ("DATE", "fin mars")]),
        ("before September, 30 days", [("DATE", "September"), ("TIME", "30 days")]),
        ("you may want", []),
    ],
)
def test_entities(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(label, text[s:e]) for label, s, e in find_entities(text)] == expected


def test_empty_note_is_all_missing(playbooks: PlaybookSet) -> None:
    result = analyze_text("   ", playbooks=playbooks)
    assert {s.status for s in result.scores.values()} == {"missing"}
    assert result.overall == 0


@pytest.mark.parametrize(
    "size",
    [pytest.param(999_000, marks=pytest.mark.slow, id="1MB"), pytest.param(150_000, id="150kB")],
)
def test_a_huge_note_is_read_to_its_end(playbooks: PlaybookSet, size: int) -> None:
    """About a minute at 1 MB on two cores (slow); 150 kB checks the same in the default run."""
    text = ("Budget not confirmed yet. " * 40_000)[:size] + ". The CFO approved the budget."
    result = analyze_text(text, playbooks=playbooks, playbook="bant", lang="en")
    assert result.scores["budget"].status == "validated"
    assert result.scores["budget"].evidence[0].start > size - 1_000


def test_combine_best_wins_and_later_loss_lowers(playbooks: PlaybookSet) -> None:
    pb = playbooks.playbook(ALL)
    a = analyze_text(
        "Tom pushes internally and introduced us to the CFO.", playbooks=playbooks, playbook=ALL
    )
    b = analyze_text(
        "We haven't met the CFO yet. No champion yet.", playbooks=playbooks, playbook=ALL
    )
    c = analyze_text("Our champion left the company.", playbooks=playbooks, playbook=ALL)
    a.id, b.id, c.id = 1, 2, 3
    merged = combine([a, b], pb)
    assert merged["champion"].score == a.scores["champion"].score > 0
    assert merged["economic_buyer"].score >= 1
    lowered = combine([a, b, c], pb)
    assert lowered["champion"].status == "gap"
    assert lowered["champion"].evidence and lowered["champion"].evidence[0].note_id == 3
    assert combine([c, a], pb)["champion"].score > 0


SPEAKER_CASES: list[tuple[str, str, str, str]] = [
    # (lang, transcript, criterion, expected status): the seller's own lines are not evidence.
    (
        "en",
        "Anna: Our platform cuts reporting time by 40% for clients like you.\n"
        "Bob: Interesting.\nAnna: Our product also ships with training.\nBob: Sure.",
        "metrics",
        "missing",
    ),
    (
        "fr",
        "Commercial : Notre plateforme réduit le temps de saisie de 40 %.\n"
        "Client : D'accord.\nCommercial : Notre outil inclut la formation.\nClient : Bien.",
        "metrics",
        "missing",
    ),
    (
        "en",
        "Anna: What slows your team down today?\nBob: We lose 12 hours a week re-keying orders.\n"
        "Anna: Our platform fixes that.\nBob: Good.",
        "identify_pain",
        "specific",
    ),
    (
        "fr",
        "Commercial : Qu'est-ce qui vous freine ?\nClient : Les ressaisies nous coûtent 3 jours par mois.\n"
        "Commercial : Notre outil règle ça.\nClient : Bien.",
        "identify_pain",
        "specific",
    ),
]


SPEAKER_CASES += [
    # No role names: the speaker who talks about "your team / vos équipes" is the seller,
    # so their product claims are not the customer's metrics.
    (
        "en",
        "Tara: How many people are on your team, and how do you track your deals?\n"
        "Omar: Twelve people, spreadsheets mostly.\n"
        "Tara: Right. With us the pipeline is in one place; it saves 30% of admin time.\n"
        "Omar: Okay.",
        "metrics",
        "missing",
    ),
    (
        "fr",
        "Inès : Combien êtes-vous dans votre équipe, et comment suivez-vous vos affaires ?\n"
        "Hugo : Douze personnes, surtout des tableurs.\n"
        "Inès : D'accord. Avec nous le pipeline est centralisé ; cela fait gagner 30 % de temps.\n"
        "Hugo : Bien.",
        "metrics",
        "missing",
    ),
    # The seller restating the customer's own figures ("you've got...") is still a metric.
    (
        "en",
        "Seller: You've got 20 reps, each spending 6 hours a week on data entry. Is that right?\n"
        "Client: Yes.\nSeller: Thanks.\nClient: Sure.",
        "metrics",
        "specific",
    ),
    (
        "fr",
        "Commercial : Vous avez 20 commerciaux qui passent 6 heures par semaine en saisie. C'est bien ça ?\n"
        "Client : Oui.\nCommercial : Merci.\nClient : Bien.",
        "metrics",
        "specific",
    ),
    # A price per period, ours or restated by the customer, is not a customer metric.
    (
        "en",
        "Seller: The plan is $9,000 a month for everything.\n"
        "Client: So $108,000 a year.\nSeller: Correct.\nClient: Fine.",
        "metrics",
        "missing",
    ),
    (
        "fr",
        "Commercial : La licence est à 9 000 € par mois, tout compris.\n"
        "Client : Donc 108 000 € par an.\nCommercial : Exact.\nClient : Bien.",
        "metrics",
        "missing",
    ),
]


_OPENING = {
    "en": "Anna: Thanks for your time, how is your team set up?\nBob: Six people.\n"
    "Anna: Great, and your tools?\n",
    "fr": "Anna : Merci pour votre temps, comment est organisée votre équipe ?\n"
    "Bob : Six personnes.\nAnna : Et vos outils ?\n",
}
SPEAKER_CASES += [
    # The customer's question raises a concern; it does not state a pain. The same words
    # stated as their problem do.
    (
        "en",
        _OPENING["en"] + "Bob: What if it doesn't work with our ERP?",
        "identify_pain",
        "missing",
    ),
    (
        "fr",
        _OPENING["fr"] + "Bob : Et si l'outil ne fonctionne pas avec notre ERP ?",
        "identify_pain",
        "missing",
    ),
    (
        "en",
        _OPENING["en"] + "Bob: Downtime is our problem: the old system crashes every week.",
        "identify_pain",
        "mentioned",
    ),
    (
        "fr",
        _OPENING["fr"]
        + "Bob : Notre problème, ce sont les pannes : l'ancien système plante chaque semaine.",
        "identify_pain",
        "mentioned",
    ),
]


@pytest.mark.parametrize(("lang", "text", "cid", "expected"), SPEAKER_CASES)
def test_speaker_attribution(
    playbooks: PlaybookSet, lang: str, text: str, cid: str, expected: str
) -> None:
    result = analyze_text(text, playbooks=playbooks, playbook=ALL, lang=lang)
    assert result.scores[cid].status == expected


CONTEXT_CASES: list[tuple[str, str, str, str]] = [
    # Decision criteria need the customer's side; a bare "training"/"formation" is not one.
    ("en", "I would like to attend a training next month.", "decision_criteria", "missing"),
    (
        "fr",
        "Je voudrais assister à une formation le mois prochain.",
        "decision_criteria",
        "missing",
    ),
    ("en", "Their must-haves: SSO and an SAP integration.", "decision_criteria", "mentioned"),
    ("fr", "Critères indispensables : SSO et intégration SAP.", "decision_criteria", "mentioned"),
    # The bare word "champion" in product text is not a champion; a real one is.
    ("en", "The dashboard flags champion engagement per deal.", "champion", "missing"),
    ("fr", "Le tableau de bord suit l'engagement du champion.", "champion", "missing"),
    (
        "en",
        "Nadia is a real champion: she presented our case to the board.",
        "champion",
        "specific",
    ),
    (
        "fr",
        "Nadia est un vrai champion : elle a défendu notre offre au comité.",
        "champion",
        "mentioned",
    ),
]


CONTEXT_CASES += [
    # The customer's market rivals are not competition for the deal; a rival vendor is.
    (
        "en",
        "They are falling behind their competitors on delivery times.",
        "competition",
        "missing",
    ),
    ("fr", "Ils sont en retard sur leurs concurrents sur les délais.", "competition", "missing"),
    ("en", "We are losing ground behind our competitors on price.", "competition", "missing"),
    ("fr", "Nous sommes en retard sur nos concurrents sur les prix.", "competition", "missing"),
    ("en", "They are also talking to a competitor of ours.", "competition", "mentioned"),
    ("fr", "Ils consultent aussi un concurrent.", "competition", "mentioned"),
    # A customer acting for us, and the steps of their decision.
    ("en", "Leo will pitch it to the leadership next week.", "champion", "mentioned"),
    ("fr", "Léo va présenter en interne la semaine prochaine.", "champion", "specific"),
    ("en", "The purchase needs approval from the finance team.", "decision_process", "mentioned"),
    (
        "fr",
        "L'achat passe en comité de direction avant signature.",
        "decision_process",
        "mentioned",
    ),
]


@pytest.mark.parametrize(("lang", "text", "cid", "expected"), CONTEXT_CASES)
def test_context_rules(
    playbooks: PlaybookSet, lang: str, text: str, cid: str, expected: str
) -> None:
    result = analyze_text(text, playbooks=playbooks, playbook=ALL, lang=lang)
    assert result.scores[cid].status == expected


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("Says Paula Reyes (CFO) will need to approve it.", "We have not met the CFO yet."),
        (
            "Paula Reyes, la DAF, devra valider le projet.",
            "Nous n'avons pas encore rencontré le DAF.",
        ),
    ],
)
def test_later_not_met_lowers_an_unengaged_economic_buyer(
    playbooks: PlaybookSet, earlier: str, later: str
) -> None:
    pb = playbooks.playbook(ALL)
    a = analyze_text(earlier, playbooks=playbooks, playbook=ALL)
    b = analyze_text(later, playbooks=playbooks, playbook=ALL)
    a.id, b.id = 1, 2
    assert a.scores["economic_buyer"].score >= 1
    assert combine([a, b], pb)["economic_buyer"].status == "gap"


CONTEXT_CASES_R5: list[tuple[str, str, str, str]] = [
    # How long the solution takes to deliver is not a customer metric; a KPI with a time is.
    ("en", "Implementation takes 6 months and onboarding within 48 hours.", "metrics", "missing"),
    ("fr", "La mise en place prend 3 mois.", "metrics", "missing"),
    ("en", "Ticket resolution takes 6 hours on average.", "metrics", "specific"),
    ("fr", "Le traitement d'un dossier prend 3 jours en moyenne.", "metrics", "specific"),
    # A customer bringing the approver in, or arranging access, acts as a champion.
    (
        "en",
        "Dana: We asked Omar to join since he'll need to approve the spend.",
        "champion",
        "specific",
    ),
    ("en", "I'll loop in our CFO next week.", "champion", "mentioned"),
    ("fr", "Je vais faire venir le DAF à la prochaine réunion.", "champion", "mentioned"),
    (
        "fr",
        "Claire : On a voulu inviter Marc car il devra valider l'achat.",
        "champion",
        "specific",
    ),
    ("en", "We wanted Omar on the call to review the demo.", "champion", "missing"),
    ("fr", "On a invité Marc pour voir la démo.", "champion", "missing"),
]


@pytest.mark.parametrize(("lang", "text", "cid", "expected"), CONTEXT_CASES_R5)
def test_context_rules_r5(
    playbooks: PlaybookSet, lang: str, text: str, cid: str, expected: str
) -> None:
    result = analyze_text(text, playbooks=playbooks, playbook=ALL, lang=lang)
    assert result.scores[cid].status == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Paul: Sounds good.\nAnna: Great.\nPaul: What's the next step?\nAnna: Sure."),
        (
            "fr",
            "Paul : Très bien.\nAnna : Parfait.\nPaul : Quelle est la prochaine étape ?\n"
            "Anna : Oui.",
        ),
    ],
)
def test_bare_next_step_question_is_no_process(
    playbooks: PlaybookSet, lang: str, text: str
) -> None:
    result = analyze_text(text, playbooks=playbooks, playbook=ALL, lang=lang)
    assert result.scores["decision_process"].score == 0


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # A generic promise about "your requirements" names no need; a listed need does.
        ("en", "Our team will tailor the setup according to your requirements.", "missing"),
        ("fr", "Notre équipe adaptera l'offre selon vos besoins.", "missing"),
        ("en", "They need a tool that syncs invoices with SAP every night.", "mentioned"),
        ("fr", "Ils ont besoin d'un outil qui synchronise les factures avec SAP.", "mentioned"),
    ],
)
def test_generic_requirements_promise_is_no_need(
    playbooks: PlaybookSet, lang: str, text: str, expected: str
) -> None:
    result = analyze_text(text, playbooks=playbooks, playbook="bant", lang=lang)
    assert (result.scores["need"].status == "missing") == (expected == "missing")


def test_entity_regex_start_check_changes_no_match() -> None:
    """The start-of-match lookahead is a speed-up only: same spans as the bare alternation."""
    import random
    import re

    from kamcoach.analysis import entities

    bare = re.compile(
        "|".join(f"(?P<g{i}>{p})" for i, (_, p) in enumerate(entities._PATTERNS)),
        re.IGNORECASE,
    )
    samples = [
        "Budget de 120 k€ validé fin mars, -5 % de churn, $1.2M by Q3 2027, 30 users.",
        "£40k/yr, +12pts NPS, 3-4 weeks, FY26, 12/03/2027, 1 234,56 €, 2.5 Mio EUR HT",
        "abc123 x9 _7 €5 +3 -2% début juin, d'ici l'été, next Tuesday, mardi prochain",
        "No numbers at all here, just words; émojis 🚀 and tabs\tand\nnewlines.",
    ]
    rnd = random.Random(3)
    alphabet = "0123456789 .,;:%€$£+-kKMmQTHSFYjanvfévrier mars May \n\t'’_abcxyz"
    samples += ["".join(rnd.choice(alphabet) for _ in range(200)) for _ in range(300)]
    for text in samples:
        expected = [(m.lastindex, m.start(), m.end()) for m in bare.finditer(text)]
        got = [(m.lastindex, m.start(), m.end()) for m in entities._REGEX.finditer(text)]
        assert got == expected, text


@pytest.mark.parametrize(
    ("word", "lang", "expected"),
    [
        ("problem", "en", "problems"),
        ("delay", "en", "delays"),
        ("bottleneck", "en", "bottlenecks"),
        ("inefficiency", "en", "inefficiencies"),
        ("backlog", "en", "backlogs"),
        ("struggling", "en", None),
        ("missed", "en", None),
        ("errors", "en", None),
        ("rupture", "fr", "ruptures"),
        ("souci", "fr", "soucis"),
        ("retards", "fr", None),
        ("frustré", "fr", None),
        ("roi", "en", None),
    ],
)
def test_one_word_cues_match_their_plural(word: str, lang: str, expected: str | None) -> None:
    from kamcoach.analysis.patterns import plural

    assert plural(word, lang) == expected


def test_a_plural_cue_is_evidence(playbooks: PlaybookSet) -> None:
    """ "problem" in the cue list also reads "problems" (cues match written forms)."""
    for lang, text in (
        ("en", "They keep running into problems with double entries in the ERP."),
        ("fr", "Des goulots partout dans l'atelier depuis la réorganisation."),
    ):
        result = analyze_text(text, playbooks=playbooks, lang=lang, playbook="meddpicc")
        assert result.scores["identify_pain"].score >= 1, (text, result.scores["identify_pain"])
