"""`kamcoach import --kind contacts`: each CRM in English and French, matching, bad rows, safety."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kamcoach.cli.main import main
from kamcoach.domain.stages import BUYING_ROLES, INFLUENCE, STANCES
from kamcoach.io import contact_values
from kamcoach.io.importer import import_file
from kamcoach.storage.db import open_db

DATA = Path(__file__).parent / "data" / "crm"


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def do_import(runner: CliRunner, db_path: Path, name: str, *extra: str) -> Result:
    result = run(runner, db_path, "import", str(DATA / name), *extra)
    assert result.exit_code == 0, result.output
    return result


def rows(db_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def dump(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


CONTACT_SQL = (
    "SELECT c.name, a.name, c.title, c.email, c.buying_role, c.stance, c.influence, "
    "c.last_contact_at, c.external_id, c.source, m.name "
    "FROM contacts c JOIN accounts a ON a.id = c.account_id "
    "LEFT JOIN contacts m ON m.id = c.reports_to_id ORDER BY c.id"
)


def test_salesforce_english_report(runner: CliRunner, db_path: Path) -> None:
    result = do_import(runner, db_path, "salesforce_contacts_en.csv", "--kind", "contacts")
    assert "Salesforce contacts export" in result.output
    assert "4 new, 0 updated, 0 unchanged, 0 bad rows" in result.output
    assert rows(db_path, CONTACT_SQL) == [
        (
            "Marie Dupont",
            "Carrefour SA",
            "Head of Logistics",
            "marie.dupont@carrefour.example",
            "champion",
            "advocate",
            "medium",
            "2026-11-03",
            "0035g00000CoNt01",
            "salesforce",
            "Luc Bernard",  # a manager listed after the person: resolved in the second pass
        ),
        (
            "Luc Bernard",
            "Carrefour SA",
            "CFO",
            "luc.bernard@carrefour.example",
            "economic_buyer",
            "sceptic",
            "high",
            "2026-10-28",
            "0035g00000CoNt02",
            "salesforce",
            None,
        ),
        (
            "Jean Moreau",
            "Carrefour SA",  # "CARREFOUR" with the same account id: the same account
            "IT Architect",
            "jean.moreau@carrefour.example",
            "technical_evaluator",
            None,
            None,
            "2026-09-15",
            "0035g00000CoNt03",
            "salesforce",
            "Luc Bernard",
        ),
        (
            "Wile E. Coyote",
            "Acme, Inc.",
            "Procurement Lead",
            "wile@acme.example",
            "unknown",  # "Other"
            "neutral",
            "low",
            None,
            "0035g00000CoNt04",
            "salesforce",
            None,
        ),
    ]
    assert rows(db_path, "SELECT COUNT(*) FROM accounts") == [(2,)]


def test_salesforce_french_excel_export_detected_without_kind(
    runner: CliRunner, db_path: Path
) -> None:
    result = do_import(runner, db_path, "salesforce_contacts_fr.csv")
    assert "Salesforce contacts export" in result.output
    assert "semicolon-separated" in result.output and "utf-8-sig" in result.output
    got = rows(db_path, CONTACT_SQL)
    assert [(r[0], r[1], r[4], r[5], r[7], r[10]) for r in got] == [
        ("François Lemaître", "Société Générale", "economic_buyer", "sceptic", "2026-10-20", None),
        (
            "Hélène Garçon",
            "Société Générale",
            "influencer",  # prescripteur
            "supporter",  # favorable
            "2026-11-04",  # 04/11/2026, day first
            "François Lemaître",
        ),
        ("Paul Vidal", "Société Générale", "executive_sponsor", None, None, None),
        ("Inès Roche", "Orange SA", "procurement", "neutral", "2026-10-15", None),
    ]


@pytest.mark.parametrize(
    ("name", "label", "expected"),
    [
        (
            "hubspot_contacts_en.csv",
            "HubSpot contacts export",
            [
                ("Claire Fontaine", "Renault Group", "Fleet Director", "economic_buyer", "51"),
                ("Marc Petit", "Renault Group", "Data Engineer", "user", "52"),
                ("Anne Leroy", "Michelin SCA", "VP Operations", "executive_sponsor", "53"),
            ],
        ),
        (
            "hubspot_contacts_fr.csv",
            "HubSpot contacts export",
            [
                ("Camille Durand", "L'Oréal SA", "Directrice digitale", "executive_sponsor", "61"),
                ("Olivier Blanc", "Airbus", "Responsable achats", "procurement", "62"),
                ("Sarah Nguyen", "Airbus", "Ingénieure maintenance", "user", "63"),
            ],
        ),
        (
            "pipedrive_people_en.csv",
            "Pipedrive contacts export",
            [
                ("Paul Girard", "Decathlon SA", "Regional Director", "unknown", "301"),
                ("Claire Lambert", "Leroy Merlin", "Store Manager", "unknown", "302"),
            ],
        ),
        (
            "pipedrive_people_fr.csv",
            "Pipedrive contacts export",
            [
                ("Marc Dubois", "Bonduelle SCA", "Directeur qualité", "economic_buyer", "401"),
                ("Lucie Martin", "Auchan Retail", "Cheffe de projet", "champion", "402"),
                (
                    "Julien Caron",
                    "Auchan Retail",
                    "Directeur des magasins",
                    "economic_buyer",
                    "403",
                ),
            ],
        ),
    ],
)
def test_hubspot_and_pipedrive_in_both_languages(
    runner: CliRunner, db_path: Path, name: str, label: str, expected: list[tuple]
) -> None:
    result = do_import(runner, db_path, name)  # the CRM and the kind detected from the headers
    assert label in result.output
    assert f"{len(expected)} new, 0 updated, 0 unchanged, 0 bad rows" in result.output
    got = rows(
        db_path,
        "SELECT c.name, a.name, c.title, c.buying_role, c.external_id, c.email, c.source "
        "FROM contacts c JOIN accounts a ON a.id = c.account_id ORDER BY c.id",
    )
    assert [r[:5] for r in got] == expected
    assert all("@" in r[5] and r[6] == label.split()[0].lower() for r in got)


def test_pipedrive_reports_to_by_name_later_in_the_file(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, "pipedrive_people_fr.csv")
    assert rows(
        db_path,
        "SELECT c.name, m.name FROM contacts c JOIN contacts m ON m.id = c.reports_to_id",
    ) == [("Lucie Martin", "Julien Caron")]


def test_reimport_is_idempotent_and_dry_run_writes_nothing(
    runner: CliRunner, db_path: Path
) -> None:
    dry = do_import(runner, db_path, "salesforce_contacts_en.csv", "--dry-run")
    assert "Dry run (contacts): would write 4 new" in dry.output
    assert not db_path.exists()  # a dry run creates nothing, not even the database
    do_import(runner, db_path, "salesforce_contacts_en.csv")
    before = dump(db_path)
    again = do_import(runner, db_path, "salesforce_contacts_en.csv")
    assert "0 new, 0 updated, 4 unchanged, 0 bad rows" in again.output
    assert dump(db_path) == before
    dry_again = do_import(runner, db_path, "salesforce_contacts_en.csv", "--dry-run")
    assert "would write 0 new, 0 updated, 4 unchanged" in dry_again.output
    assert dump(db_path) == before


def test_contacts_from_a_deals_import_are_enriched_not_duplicated(
    runner: CliRunner, db_path: Path
) -> None:
    do_import(runner, db_path, "salesforce_opportunities_en.csv")
    marie = rows(db_path, "SELECT id, title, email FROM contacts WHERE name = 'Marie Dupont'")
    assert marie == [(marie[0][0], None, None)]
    result = do_import(runner, db_path, "salesforce_contacts_en.csv")
    # Marie and Jean existed (deals import, no CRM id): updated; Luc new; Wile new at Acme.
    assert "2 new, 2 updated, 0 unchanged" in result.output
    assert rows(
        db_path,
        "SELECT id, title, email, buying_role, external_id, source FROM contacts "
        "WHERE name = 'Marie Dupont'",
    ) == [
        (
            marie[0][0],
            "Head of Logistics",
            "marie.dupont@carrefour.example",
            "champion",
            "0035g00000CoNt01",
            "salesforce",
        )
    ]
    # Acme, Inc. came from the deals import: the contact joined it, no new account.
    assert rows(db_path, "SELECT COUNT(*) FROM accounts") == [(3,)]
    assert rows(
        db_path,
        "SELECT a.name FROM contacts c JOIN accounts a ON a.id = c.account_id "
        "WHERE c.name = 'Wile E. Coyote'",
    ) == [("Acme, Inc.",)]


def test_same_email_or_name_updates_and_namesakes_stay_apart(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    do_import(runner, db_path, "salesforce_contacts_en.csv")
    later = tmp_path / "hubspot_contacts.csv"
    later.write_text(
        "Record ID,First Name,Last Name,Email,Job Title,Associated Company,Buying Role\n"
        # same e-mail (another CRM, name spelt differently): the same person
        "901,Marie,Dupont-Leclerc,MARIE.DUPONT@carrefour.example,COO,Carrefour,\n"
        # same name, no e-mail: the same person
        "902,Luc,Bernard,,,Carrefour SA,\n"
        # same name, another e-mail: a namesake, a new contact
        "903,Jean,Moreau,jean.moreau@other.example,Intern,Carrefour SA,User\n",
        encoding="utf-8",
    )
    result = do_import(runner, db_path, str(later))
    assert "1 new, 1 updated, 1 unchanged" in result.output
    assert rows(
        db_path,
        "SELECT name, title, email, buying_role FROM contacts WHERE account_id = 1 ORDER BY id",
    ) == [
        ("Marie Dupont", "COO", "marie.dupont@carrefour.example", "champion"),
        ("Luc Bernard", "CFO", "luc.bernard@carrefour.example", "economic_buyer"),
        ("Jean Moreau", "IT Architect", "jean.moreau@carrefour.example", "technical_evaluator"),
        ("Jean Moreau", "Intern", "jean.moreau@other.example", "user"),
    ]


def test_contact_attaches_to_an_account_by_crm_id(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, "salesforce_opportunities_en.csv")
    file = db_path.parent / "by_id.csv"
    file.write_text(
        "Contact ID,First Name,Last Name,Email,Account ID\n"
        "003X1,Nadia,Haddad,nadia@carrefour.example,0015g00000XyZ001\n",
        encoding="utf-8",
    )
    do_import(runner, db_path, str(file), "--kind", "contacts")
    assert rows(
        db_path,
        "SELECT a.external_id FROM contacts c JOIN accounts a ON a.id = c.account_id "
        "WHERE c.name = 'Nadia Haddad'",
    ) == [("0015g00000XyZ001",)]


def test_bad_rows_refuse_the_file_or_are_skipped(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, "salesforce_contacts_en.csv")
    before = dump(db_path)
    result = run(runner, db_path, "import", str(DATA / "salesforce_contacts_bad.csv"))
    assert result.exit_code == 1
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1
    assert "salesforce_contacts_bad.csv: 6 bad rows (first: row 3: column 'Buying Role'" in error[0]
    assert "nothing written" in error[0]
    assert "Traceback" not in result.output
    assert dump(db_path) == before

    skipped = do_import(
        runner,
        db_path,
        "salesforce_contacts_bad.csv",
        "--skip-bad-rows",
        "--bad-rows",
        str(db_path.parent / "rejected.csv"),
    )
    assert "2 new, 0 updated, 0 unchanged, 6 bad rows" in skipped.output
    reasons = dict(
        (int(n), r)
        for n, r in (
            line.split(",", 1)
            for line in (db_path.parent / "rejected.csv").read_text().splitlines()[1:]
        )
    )
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "'Chef de tribu'" in reasons[3] and "economic_buyer" in reasons[3]
    assert "column 'Email': 'not-an-address' is not an e-mail address" in reasons[4]
    assert "columns 'First Name' and 'Last Name' are empty" in reasons[5]
    assert "column 'Account ID'" in reasons[6] and "001UNKNOWN" in reasons[6]
    assert "column 'Reports To'" in reasons[7] and "Ghost Manager" in reasons[7]
    assert "same contact as row 2" in reasons[8]
    # The good person and the one without a manager are in; nobody else from the file.
    assert rows(db_path, "SELECT name, reports_to_id FROM contacts WHERE account_id = 3") == [
        ("Good Person", None),
        ("No Boss", None),
    ]


def test_reporting_loop_is_a_bad_row(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    file = tmp_path / "loop.csv"
    file.write_text(
        "Contact ID,First Name,Last Name,Account Name,Reports To\n"
        "003L1,Ada,One,Loop Corp,Bob Two\n"
        "003L2,Bob,Two,Loop Corp,Ada One\n"
        "003L3,Cy,Three,Loop Corp,Cy Three\n",
        encoding="utf-8",
    )
    result = run(runner, db_path, "import", str(file), "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert "2 bad rows" in result.output
    assert "reporting loop" in result.output and "is the contact itself" in result.output
    assert rows(db_path, "SELECT name, reports_to_id FROM contacts ORDER BY id") == [
        ("Ada One", 2),
        ("Bob Two", None),
        ("Cy Three", None),
    ]


def test_changed_export_updates_and_never_erases(db_path: Path, tmp_path: Path) -> None:
    db = open_db(db_path)
    try:
        import_file(db, DATA / "salesforce_contacts_en.csv")
        file = tmp_path / "changed.csv"
        file.write_text(
            '"Contact ID","First Name","Last Name","Title","Email","Account Name","Reports To",'
            '"Buying Role","Stance","Last Activity"\n'
            # new title and stance; blank e-mail keeps the stored one; an older activity date
            # keeps the newer; "Other" never replaces a known role; manager moved to Jean.
            '"0035g00000CoNt01","Marie","Dupont","VP Logistics","","Carrefour SA","Jean Moreau",'
            '"Other","Opponent","1/20/2026"\n',
            encoding="utf-8",
        )
        plan = import_file(db, file)
        assert (plan.new_contacts, plan.contact_updates, plan.unchanged) == (0, 1, 0)
        row = db.execute(
            "SELECT c.title, c.email, c.buying_role, c.stance, c.last_contact_at, m.name, "
            "c.updated_at IS NOT NULL FROM contacts c JOIN contacts m ON m.id = c.reports_to_id "
            "WHERE c.external_id = '0035g00000CoNt01'"
        ).fetchall()
        assert row == [
            (
                "VP Logistics",
                "marie.dupont@carrefour.example",
                "champion",
                "opponent",
                "2026-11-03",
                "Jean Moreau",
                1,
            )
        ]
        # Only the manager changes: still one update, counted once.
        only_manager = tmp_path / "manager.csv"
        only_manager.write_text(
            "Contact ID,First Name,Last Name,Account Name,Reports To\n"
            "0035g00000CoNt01,Marie,Dupont,Carrefour SA,Luc Bernard\n",
            encoding="utf-8",
        )
        plan = import_file(db, only_manager)
        assert (plan.contact_updates, plan.unchanged) == (1, 0)
        plan = import_file(db, only_manager)
        assert (plan.contact_updates, plan.unchanged, plan.writes) == (0, 1, 0)
    finally:
        db.close()


@pytest.mark.parametrize(
    ("read", "value", "expected"),
    [
        (contact_values.buying_role, "Décideur", "economic_buyer"),
        (contact_values.buying_role, "DECISION MAKER", "economic_buyer"),
        (contact_values.buying_role, "sponsor", "executive_sponsor"),
        (contact_values.buying_role, "Prescripteur", "influencer"),
        (contact_values.buying_role, "coach", "influencer"),
        (contact_values.buying_role, "technical_evaluator", "technical_evaluator"),
        (contact_values.buying_role, "Évaluateur technique", "technical_evaluator"),
        (contact_values.stance, "Sceptique", "sceptic"),
        (contact_values.stance, "skeptical", "sceptic"),
        (contact_values.stance, "ambassadeur", "advocate"),
        (contact_values.influence, "Élevée", "high"),
        (contact_values.influence, "faible", "low"),
    ],
)
def test_values_in_english_and_french(
    read: Callable[[str], str], value: str, expected: str
) -> None:
    assert read(value) == expected


def test_every_synonym_lands_in_the_vocabulary_and_unknown_names_the_allowed() -> None:
    assert set(contact_values.ROLE_SYNONYMS.values()) <= set(BUYING_ROLES)
    assert set(contact_values.STANCE_SYNONYMS.values()) <= set(STANCES)
    assert set(contact_values.INFLUENCE_SYNONYMS.values()) <= set(INFLUENCE)
    with pytest.raises(ValueError, match="allowed: advocate, supporter, neutral, sceptic"):
        contact_values.stance("lukewarm")
