"""Header and stage mapping: each CRM's export is recognised, in English and French."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamcoach.errors import InputError
from kamcoach.io.csv_read import read_csv
from kamcoach.io.importer import account_key
from kamcoach.io.mapping import MappingError, detect, load_mappings, match_headers, normalise

DATA = Path(__file__).parent / "data" / "crm"


@pytest.mark.parametrize(
    "name,crm,kind",
    [
        ("salesforce_opportunities_en.csv", "salesforce", "opportunities"),
        ("salesforce_opportunities_fr.csv", "salesforce", "opportunities"),
        ("salesforce_tasks_en.csv", "salesforce", "notes"),
        ("salesforce_tasks_fr.csv", "salesforce", "notes"),
        ("hubspot_deals_en.csv", "hubspot", "opportunities"),
        ("hubspot_deals_fr.csv", "hubspot", "opportunities"),
        ("hubspot_notes_en.csv", "hubspot", "notes"),
        ("hubspot_notes_fr.csv", "hubspot", "notes"),
        ("pipedrive_deals_en.csv", "pipedrive", "opportunities"),
        ("pipedrive_deals_fr.csv", "pipedrive", "opportunities"),
        ("pipedrive_notes_en.csv", "pipedrive", "notes"),
        ("pipedrive_notes_fr.csv", "pipedrive", "notes"),
    ],
)
def test_each_sample_export_is_detected(name: str, crm: str, kind: str) -> None:
    mappings, _ = load_mappings()
    data = read_csv(DATA / name)
    result = detect(data.headers, mappings, path=name)
    assert (result.crm.name, result.kind) == (crm, kind)
    assert result.complete


def test_encodings_and_separators_are_sniffed() -> None:
    cp1252 = read_csv(DATA / "salesforce_opportunities_fr.csv")
    assert (cp1252.encoding, cp1252.delimiter) == ("cp1252", ";")
    assert cp1252.headers[0] == "ID de l'opportunité"
    bom = read_csv(DATA / "hubspot_deals_fr.csv")
    assert (bom.encoding, bom.delimiter) == ("utf-8-sig", ";")
    assert bom.headers[0] == "ID de fiche"  # no BOM left on the first header
    assert read_csv(DATA / "pipedrive_deals_fr.csv").delimiter == "\t"
    tasks = read_csv(DATA / "salesforce_tasks_en.csv")
    # A quoted note spanning two lines stays one row; rows count the header as row 1.
    assert [n for n, _ in tasks.rows] == [2, 3, 4]
    assert "\n" in tasks.rows[0][1][2]


def test_binary_file_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    with pytest.raises(InputError, match="Excel workbook, not a CSV"):
        read_csv(path)


def test_headers_match_despite_case_accents_and_typos() -> None:
    mappings, _ = load_mappings()
    headers = ["NOM DE L OPPORTUNITE", "nom du compte ", "Etape", "Montant", "Date de cloture"]
    result = match_headers(headers, mappings["salesforce"], "opportunities")
    assert {m.field: m.header for m in result.matches} == {
        "name": "NOM DE L OPPORTUNITE",
        "account": "nom du compte ",
        "stage": "Etape",
        "amount": "Montant",
        "close_date": "Date de cloture",
    }
    typo = match_headers(
        ["Opportunity Nme", "Acount Name", "Stage"], mappings["salesforce"], "opportunities"
    )
    assert [m.field for m in typo.matches] == ["name", "account", "stage"]
    assert all(m.score < 100 for m in typo.matches[:2])


def test_missing_required_field_names_field_and_headers_seen() -> None:
    mappings, _ = load_mappings()
    with pytest.raises(InputError) as info:
        detect(["Opportunity Name", "Amount", "Foo"], mappings, path="x.csv")
    message = str(info.value)
    assert "x.csv" in message and "account" in message
    assert "'Foo'" in message and "'Amount'" in message


@pytest.mark.parametrize(
    "crm,value,stage",
    [
        ("salesforce", "Proposal/Price Quote", "proposal"),
        ("salesforce", "Négociation/Révision", "negotiation"),
        ("salesforce", "negotiation review", "negotiation"),
        ("salesforce", "Closed Won", "closed_won"),
        ("salesforce", "Fermée/Perdue", "closed_lost"),
        ("hubspot", "decisionmakerboughtin", "negotiation"),
        ("hubspot", "Rendez-vous programmé", "discovery"),
        ("hubspot", "Contract Sent", "commit"),
        ("pipedrive", "Negotiations Started", "negotiation"),
        ("pipedrive", "Demo Scheduled", "qualification"),
        ("pipedrive", "Proposal Mde", "proposal"),  # a strong fuzzy match
        ("pipedrive", "commit", "commit"),  # kamcoach's own stage ids always work
    ],
)
def test_stage_maps(crm: str, value: str, stage: str) -> None:
    mappings, _ = load_mappings()
    assert mappings[crm].map_stage(value) == stage


def test_unknown_stage_lists_known_ones() -> None:
    mappings, _ = load_mappings()
    with pytest.raises(ValueError, match=r"unknown HubSpot stage 'Won maybe'.*Contract Sent"):
        mappings["hubspot"].map_stage("Won maybe")


def test_pipedrive_status_overrides_stage() -> None:
    mappings, _ = load_mappings()
    assert mappings["pipedrive"].map_status("won") == "closed_won"
    assert mappings["pipedrive"].map_status("perdue") == "closed_lost"
    assert mappings["pipedrive"].map_status("open") is None


def test_team_mapping_in_config_dir_extends_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "config" / "crm"
    folder.mkdir(parents=True)
    (folder / "sf.toml").write_text(
        'crm = "salesforce"\n'
        "[opportunities.fields]\n"
        'name = ["Deal title"]\n'
        "[stages]\n"
        '"Verbal commit" = "commit"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(tmp_path / "config"))
    mappings, _ = load_mappings()
    sf = mappings["salesforce"]
    assert sf.map_stage("Verbal Commit") == "commit"
    assert sf.map_stage("Prospecting") == "discovery"  # bundled stages kept
    assert sf.fields["opportunities"]["name"][0] == "Deal title"
    assert "Opportunity Name" in sf.fields["opportunities"]["name"]


@pytest.mark.parametrize(
    "content,key,problem",
    [
        ('crm = "x"\nfoo = 1\n', "foo", "unknown key"),
        ('label = "X"\n', "crm", "lower-case identifier"),
        (
            'crm = "x"\n[opportunities.fields]\nnam = ["Name"]\n',
            "opportunities.fields.nam",
            "unknown field",
        ),
        (
            'crm = "x"\n[opportunities.fields]\nname = []\n',
            "opportunities.fields.name",
            "non-empty list",
        ),
        (
            'crm = "x"\n[opportunities.fields]\nname = ["N"]\n[stages]\n"Won" = "gagne"\n',
            'stages."Won"',
            "not one of",
        ),
        ('crm = "x"\n', "", "needs [opportunities.fields]"),
        ("crm = \n", "", "invalid TOML"),
    ],
)
def test_bad_mapping_file_names_file_and_key(
    tmp_path: Path, content: str, key: str, problem: str
) -> None:
    path = tmp_path / "team.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mappings(path)
    message = str(info.value)
    assert str(path) in message and key in message and problem in message


def test_normalise_and_account_keys() -> None:
    assert normalise("  Nom de l'Opportunité ") == "nom de l opportunite"
    assert account_key("Carrefour SA") == account_key("CARREFOUR") == "carrefour"
    assert account_key("AIRBUS S.A.S.") == account_key("Airbus") == "airbus"
    assert account_key("Groupe Renault") == account_key("Renault Group")
    assert account_key("SA") == "sa"  # never reduced to nothing
