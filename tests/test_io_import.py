"""`kamcoach import` end to end: each CRM, dedupe, idempotence, history, bad rows, safety."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kamcoach.cli.main import main
from kamcoach.errors import InputError
from kamcoach.io import importer
from kamcoach.io.demo import DemoRefused, load_demo
from kamcoach.storage import repo
from kamcoach.storage.db import open_db

DATA = Path(__file__).parent / "data" / "crm"


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def do_import(runner: CliRunner, db_path: Path, name: str, *extra: str) -> Result:
    result = run(runner, db_path, "import", str(DATA / name), *extra)
    assert result.exit_code == 0, result.output
    return result


def dump(db_path: Path) -> list[str]:
    """Every row of every table: equal dumps mean nothing was written."""
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def rows(db_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_salesforce_opportunities_and_tasks(runner: CliRunner, db_path: Path) -> None:
    result = do_import(runner, db_path, "salesforce_opportunities_en.csv")
    assert "Salesforce opportunities export" in result.output
    assert "4 new, 0 updated, 0 unchanged, 0 bad rows" in result.output
    deal = rows(
        db_path,
        "SELECT name, stage, amount, currency, close_date, owner, type, source, external_id "
        "FROM opportunities WHERE external_id = '0065g00000AbCdE1'",
    )
    assert deal == [
        (
            "Carrefour - WMS rollout",
            "proposal",
            120000.0,
            "USD",
            "2026-12-15",
            "Camille Martin",
            "new",
            "salesforce",
            "0065g00000AbCdE1",
        )
    ]
    assert rows(db_path, "SELECT name FROM contacts ORDER BY name") == [
        ("Hank Scorpio",),
        ("Jean Moreau",),
        ("Marie Dupont",),
    ]
    notes = do_import(runner, db_path, "salesforce_tasks_en.csv")
    assert "Salesforce notes export" in notes.output
    assert "3 new" in notes.output
    texts = rows(
        db_path,
        "SELECT o.name, n.created_at, n.text FROM notes n "
        "JOIN opportunities o ON o.id = n.opportunity_id ORDER BY n.created_at",
    )
    # The third task has no opportunity id: it is linked by the deal name.
    assert texts[0][0] == "Acme Corp - Pilot"
    assert texts[0][1] == "2026-09-14T00:00:00"
    # The subject is the note's title, kept out of the analysed text.
    assert texts[1][2].startswith("Met Marie Dupont")
    assert rows(db_path, "SELECT title FROM notes WHERE text LIKE 'Met Marie%'") == [
        ("Discovery call",)
    ]


def test_salesforce_french_excel_export_cp1252_semicolons(runner: CliRunner, db_path: Path) -> None:
    result = do_import(runner, db_path, "salesforce_opportunities_fr.csv")
    assert "cp1252" in result.output and "semicolon" in result.output
    got = rows(
        db_path,
        "SELECT name, stage, amount, currency, close_date, type FROM opportunities ORDER BY id",
    )
    assert got[0] == (
        "Société Générale - Conformité",
        "proposal",
        1234567.5,
        "EUR",
        "2026-12-15",
        "new",
    )
    assert got[2][1:5] == ("negotiation", 78900.0, "EUR", "2027-03-05")
    assert got[3][1] == "closed_won" and got[3][5] == "renewal"
    do_import(runner, db_path, "salesforce_tasks_fr.csv")
    assert rows(db_path, "SELECT COUNT(*) FROM notes") == [(2,)]


def test_hubspot_deals_and_notes_en_and_fr(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, "hubspot_deals_en.csv")
    result = do_import(runner, db_path, "hubspot_deals_fr.csv")
    assert "utf-8-sig" in result.output
    stages = dict(rows(db_path, "SELECT external_id, stage FROM opportunities"))
    assert stages == {
        "9001": "qualification",
        "9002": "proposal",
        "9003": "commit",
        "9101": "discovery",
        "9102": "qualification",
        "9103": "closed_won",
    }
    do_import(runner, db_path, "hubspot_notes_en.csv")
    do_import(runner, db_path, "hubspot_notes_fr.csv")
    linked = rows(
        db_path,
        "SELECT n.external_id, o.external_id FROM notes n "
        "JOIN opportunities o ON o.id = n.opportunity_id ORDER BY n.external_id",
    )
    assert linked == [("5001", "9001"), ("5002", "9002"), ("6101", "9101"), ("6102", "9102")]


def test_pipedrive_deals_status_and_notes(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, "pipedrive_deals_en.csv")
    do_import(runner, db_path, "pipedrive_deals_fr.csv")
    stages = dict(rows(db_path, "SELECT name, stage FROM opportunities"))
    assert stages["Fnac integration"] == "closed_lost"  # status "lost" beats the stage
    assert stages["Bonduelle - Traçabilité"] == "closed_won"  # statut "gagnée"
    assert stages["Auchan - Inventaire RFID"] == "qualification"
    assert rows(db_path, "SELECT close_date FROM opportunities WHERE name LIKE 'Auchan%'") == [
        ("2027-02-28",)
    ]
    do_import(runner, db_path, "pipedrive_notes_en.csv")
    result = do_import(runner, db_path, "pipedrive_notes_fr.csv")
    assert "2 new" in result.output
    assert rows(db_path, "SELECT created_at FROM notes WHERE external_id = '8201'") == [
        ("2026-11-12T09:30:00",)
    ]


def test_accounts_are_deduplicated_by_fuzzy_name(runner: CliRunner, db_path: Path) -> None:
    db = open_db(db_path)
    db["accounts"].insert({"id": 50, "name": "Initech", "created_at": "2026-01-01T00:00:00"})
    db.close()
    do_import(runner, db_path, "salesforce_opportunities_en.csv")
    accounts = [r[0] for r in rows(db_path, "SELECT name FROM accounts ORDER BY id")]
    # "Carrefour SA" and "CARREFOUR" in one file are one account.
    assert accounts == ["Initech", "Carrefour SA", "Acme, Inc.", "Globex Ltd"]
    updated = do_import(runner, db_path, "salesforce_opportunities_en_updated.csv")
    # "Initech LLC" lands on the existing "Initech".
    assert rows(
        db_path, "SELECT account_id FROM opportunities WHERE name = 'Initech - Phase 2'"
    ) == [(50,)]
    assert "'Initech LLC' is the same as 'Initech'" in updated.output
    do_import(runner, db_path, "hubspot_deals_en.csv")
    do_import(runner, db_path, "hubspot_deals_fr.csv")
    names = {r[0] for r in rows(db_path, "SELECT name FROM accounts")}
    assert "Groupe Renault" not in names and "Renault Group" in names
    assert "AIRBUS S.A.S." not in names and "Airbus" in names


def test_contacts_deduplicated_within_account(runner: CliRunner, db_path: Path) -> None:
    db = open_db(db_path)
    db["accounts"].insert({"id": 1, "name": "Carrefour", "created_at": "2026-01-01T00:00:00"})
    db["contacts"].insert(
        {"id": 7, "account_id": 1, "name": "DUPONT Marie", "created_at": "2026-01-01T00:00:00"}
    )
    db.close()
    do_import(runner, db_path, "salesforce_opportunities_en.csv")
    assert rows(db_path, "SELECT COUNT(*) FROM contacts WHERE name LIKE '%Dupont%'") == [(1,)]
    assert rows(
        db_path,
        "SELECT oc.contact_id FROM opportunity_contacts oc JOIN opportunities o "
        "ON o.id = oc.opportunity_id WHERE o.name = 'Carrefour - WMS rollout'",
    ) == [(7,)]


@pytest.mark.parametrize(
    "deals,notes",
    [
        ("salesforce_opportunities_en.csv", "salesforce_tasks_en.csv"),
        ("salesforce_opportunities_fr.csv", "salesforce_tasks_fr.csv"),
        ("hubspot_deals_fr.csv", "hubspot_notes_fr.csv"),
        ("pipedrive_deals_en.csv", "pipedrive_notes_en.csv"),
        ("pipedrive_deals_fr.csv", "pipedrive_notes_fr.csv"),
    ],
)
def test_reimporting_the_same_files_changes_nothing(
    runner: CliRunner, db_path: Path, deals: str, notes: str
) -> None:
    do_import(runner, db_path, deals)
    do_import(runner, db_path, notes)
    before = dump(db_path)
    again = do_import(runner, db_path, deals)
    assert "0 new, 0 updated," in again.output and "0 bad rows" in again.output
    again_notes = do_import(runner, db_path, notes)
    assert "0 new, 0 updated," in again_notes.output
    assert dump(db_path) == before


def test_updated_export_records_history(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, "salesforce_opportunities_en.csv")
    result = do_import(runner, db_path, "salesforce_opportunities_en_updated.csv")
    assert "1 new, 2 updated, 2 unchanged, 0 bad rows" in result.output
    assert "4 history changes" in result.output
    history = rows(
        db_path,
        "SELECT o.external_id, h.field, h.old_value, h.new_value, h.source, h.changed_at "
        "FROM opportunity_history h JOIN opportunities o ON o.id = h.opportunity_id "
        "ORDER BY h.id",
    )
    assert [h[:5] for h in history] == [
        ("0065g00000AbCdE1", "stage", "proposal", "negotiation", "salesforce"),
        ("0065g00000AbCdE1", "amount", "120000.0", "135000.0", "salesforce"),
        ("0065g00000AbCdE1", "close_date", "2026-12-15", "2027-01-15", "salesforce"),
        ("0065g00000AbCdE3", "stage", "discovery", "closed_lost", "salesforce"),
    ]
    assert history[0][5] == "2026-11-20T12:00:00"  # KAMCOACH_TODAY pinned by conftest
    deal = rows(
        db_path,
        "SELECT stage, amount, close_date, stage_changed_at FROM opportunities "
        "WHERE external_id = '0065g00000AbCdE1'",
    )
    assert deal == [("negotiation", 135000.0, "2027-01-15", "2026-11-20T12:00:00")]
    # The same history through the store's own query, as `deals show` and flags read it.
    deal_id = rows(db_path, "SELECT id FROM opportunities WHERE external_id='0065g00000AbCdE1'")
    db = open_db(db_path)
    assert [h["field"] for h in repo.deal_history(db, deal_id[0][0])] == [
        "stage",
        "amount",
        "close_date",
    ]
    db.close()
    # Importing the updated export again records nothing more.
    do_import(runner, db_path, "salesforce_opportunities_en_updated.csv")
    assert rows(db_path, "SELECT COUNT(*) FROM opportunity_history") == [(4,)]


def test_bad_rows_are_reported_with_row_numbers(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    report = tmp_path / "bad.csv"
    result = run(
        runner,
        db_path,
        "import",
        str(DATA / "salesforce_bad_rows.csv"),
        "--skip-bad-rows",
        "--bad-rows",
        str(report),
    )
    assert result.exit_code == 0, result.output
    assert "8 bad rows (row numbers count the header as row 1)" in result.output
    assert "2 new, 0 updated, 0 unchanged, 8 bad rows" in result.output
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,reason"
    reasons = {int(line.split(",", 1)[0]): line.split(",", 1)[1] for line in lines[1:]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 10, 11]
    assert "unknown Salesforce stage 'Dream Stage'" in reasons[3]
    assert "'12k' is not a number" in reasons[4]
    assert "'2027-02-30' does not exist" in reasons[5]
    assert "no deal name" in reasons[6]
    assert "no account name" in reasons[7]
    assert "negative" in reasons[8]
    assert "has 3 values but the header has 6" in reasons[10]
    assert "same deal as row 2" in reasons[11]
    assert sorted(r[0] for r in rows(db_path, "SELECT name FROM opportunities")) == [
        "Eiffage - BIM",
        "Vinci - Chantier connecté",
    ]


def test_bad_rows_write_nothing_by_default(runner: CliRunner, db_path: Path) -> None:
    """A file with bad rows is refused as a whole unless --skip-bad-rows is given."""
    do_import(runner, db_path, "pipedrive_deals_en.csv")
    before = dump(db_path)
    result = run(runner, db_path, "import", str(DATA / "salesforce_bad_rows.csv"))
    assert result.exit_code == 1
    assert "8 bad rows (row numbers count the header as row 1)" in result.output  # the list
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "8 bad rows (first: row 3:" in error[0]
    assert "nothing written" in error[0] and "--skip-bad-rows" in error[0]
    assert "Traceback" not in result.output
    assert dump(db_path) == before
    dry = run(runner, db_path, "import", str(DATA / "salesforce_bad_rows.csv"), "--dry-run")
    assert dry.exit_code == 0 and "a real import needs --skip-bad-rows" in dry.output
    assert dump(db_path) == before


def test_dry_run_writes_nothing(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, "salesforce_opportunities_en.csv")
    before = dump(db_path)
    result = do_import(runner, db_path, "salesforce_opportunities_en_updated.csv", "--dry-run")
    assert "Dry run" in result.output and "Nothing written" in result.output
    assert "1 new, 2 updated, 2 unchanged" in result.output
    assert "Opportunity Name" in result.output and "external_id" in result.output  # the mapping
    assert dump(db_path) == before


def test_failed_import_leaves_database_exactly_as_it_was(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_db(db_path)
    importer.import_file(db, DATA / "salesforce_opportunities_en.csv")
    db.close()
    before = dump(db_path)

    def explode(*_args: object) -> None:
        raise sqlite3.IntegrityError("simulated failure after all inserts")

    monkeypatch.setattr(importer, "set_meta", explode)
    db = open_db(db_path)
    with pytest.raises(InputError, match="nothing written"):
        importer.import_file(db, DATA / "salesforce_opportunities_en_updated.csv")
    db.close()
    assert dump(db_path) == before


def test_ambiguous_dates_are_reported_not_guessed(runner: CliRunner, db_path: Path) -> None:
    result = run(runner, db_path, "import", str(DATA / "ambiguous_dates.csv"))
    assert result.exit_code == 1
    assert "dates are ambiguous: '03/04/2027'" in result.output
    assert "--date-format" in result.output
    assert rows(db_path, "SELECT COUNT(*) FROM opportunities") == [(0,)]
    do_import(runner, db_path, "ambiguous_dates.csv", "--date-format", "dmy")
    assert rows(
        db_path, "SELECT close_date FROM opportunities WHERE name='Thales - Cyber audit'"
    ) == [("2027-04-03",)]


def test_notes_for_unknown_deals_are_bad_rows(runner: CliRunner, db_path: Path) -> None:
    result = do_import(runner, db_path, "hubspot_notes_en.csv", "--skip-bad-rows")
    assert "0 new" in result.output and "2 bad rows" in result.output
    assert "no HubSpot deal with id '9001'" in result.output or "no deal named" in result.output


def test_changed_note_text_updates_the_note(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    do_import(runner, db_path, "pipedrive_deals_en.csv")
    do_import(runner, db_path, "pipedrive_notes_en.csv")
    edited = tmp_path / "notes.csv"
    text = (DATA / "pipedrive_notes_en.csv").read_text(encoding="utf-8")
    edited.write_text(text.replace("Demo went well.", "Demo went very well."), encoding="utf-8")
    result = run(runner, db_path, "import", str(edited))
    assert "0 new, 1 updated, 1 unchanged" in result.output
    assert rows(db_path, "SELECT text FROM notes WHERE external_id = '7001'")[0][0].startswith(
        "Demo went very well."
    )


def test_team_mapping_file_adds_a_stage(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "team.toml"
    mapping.write_text('crm = "salesforce"\n[stages]\n"Dream Stage" = "discovery"\n', "utf-8")
    result = run(
        runner,
        db_path,
        "import",
        str(DATA / "salesforce_bad_rows.csv"),
        "--mapping",
        str(mapping),
        "--skip-bad-rows",
    )
    assert result.exit_code == 0, result.output
    assert "7 bad rows" in result.output
    assert rows(db_path, "SELECT stage FROM opportunities WHERE name = 'Vinci - Sécurité'") == [
        ("discovery",)
    ]


def test_forced_mapping_that_does_not_fit_names_missing_fields(
    runner: CliRunner, db_path: Path
) -> None:
    result = run(
        runner, db_path, "import", str(DATA / "hubspot_deals_en.csv"), "--mapping", "pipedrive"
    )
    assert result.exit_code == 1
    assert "cannot find the column for" in result.output and "'Deal Name'" in result.output


def test_mapping_file_without_toml_suffix_is_read_and_checked(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """`--mapping team.txt` is a file, not an unknown CRM name: its content is what is wrong."""
    mapping = tmp_path / "team.txt"
    mapping.write_text("crm salesforce\n", "utf-8")
    result = run(
        runner, db_path, "import", str(DATA / "salesforce_bad_rows.csv"), "--mapping", str(mapping)
    )
    assert result.exit_code == 1
    assert "team.txt: invalid TOML" in result.output and "unknown CRM" not in result.output
    assert rows(db_path, "SELECT COUNT(*) FROM opportunities") == [(0,)]


def test_unclosed_quote_is_named_and_nothing_is_written(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity Name,Account Name,Stage,Amount,Close Date\n"
        'Deal A,Acme,Prospecting,"1,000",2026-12-01\n'
        'Deal B,Acme,Prospecting,"2,000,2026-12-01\n'
        "Deal C,Beta,Closed Won,3000,2026-12-01\n",
        encoding="utf-8",
    )
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 1
    assert "error:" in result.output and "1 bad row (first: row 3:" in result.output
    assert "runs over 2 lines: an unclosed quote?" in result.output
    assert rows(db_path, "SELECT COUNT(*) FROM opportunities") == [(0,)]


def test_own_export_round_trips_through_a_spreadsheet(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """`export deals` -> edit -> `import`: unchanged rows write nothing, edits become history."""
    do_import(runner, db_path, "salesforce_opportunities_en.csv")
    for excel in ((), ("--excel",)):
        exported = tmp_path / f"deals{len(excel)}.csv"
        result = run(runner, db_path, "export", "deals", *excel, "-o", str(exported))
        assert result.exit_code == 0, result.output
        before = dump(db_path)
        again = do_import(runner, db_path, str(exported))
        assert "kamcoach opportunities export" in again.output  # detected
        assert "0 new, 0 updated, 4 unchanged, 0 bad rows" in again.output
        assert dump(db_path) == before
    with exported.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh, delimiter=";"))
    first = table[0]
    first["stage"], first["close_date"] = "commit", "2027-06-30"
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(first))
        writer.writeheader()
        writer.writerows(table)
    result = do_import(runner, db_path, str(edited))
    assert "0 new, 1 updated, 3 unchanged" in result.output
    changed = rows(
        db_path,
        "SELECT field, new_value FROM opportunity_history WHERE opportunity_id = "
        f"{int(first['id'])} ORDER BY field",
    )
    assert ("stage", "commit") in changed and ("close_date", "2027-06-30") in changed


def test_unreadable_inputs_are_one_line_errors(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    missing = run(runner, db_path, "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "no such file" in missing.output
    binary = tmp_path / "deals.csv"
    binary.write_bytes(b"\x00\x01\x02binary\x00junk" * 10)
    result = run(runner, db_path, "import", str(binary))
    assert result.exit_code == 1
    assert "binary data, not a CSV text file" in result.output
    assert "Traceback" not in result.output


def test_imported_database_is_protected_from_demo(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, "hubspot_deals_en.csv")
    db = open_db(db_path)
    assert repo.get_meta(db, "contents") == "user"
    with pytest.raises(DemoRefused):
        load_demo(db)
    db.close()


def test_fuzzy_dedupe_keeps_numbered_and_different_companies_apart(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity Name,Account Name,Stage\n"
        "A,Client 12,Prospecting\n"
        "B,Client 13,Prospecting\n"
        "C,Orange,Prospecting\n"
        "D,Orano,Prospecting\n"
        "E,Carrefour France,Prospecting\n"
        "F,carrefour,Prospecting\n"
        "G,Carrefour S.A.,Prospecting\n",
        encoding="utf-8",
    )
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 0, result.output
    assert [r[0] for r in rows(db_path, "SELECT name FROM accounts ORDER BY id")] == [
        "Client 12",
        "Client 13",
        "Orange",
        "Orano",
        "Carrefour France",
        "carrefour",
    ]


def test_large_file_goes_through_the_progress_bar(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    lines = ["Deal - ID,Deal - Title,Deal - Organization,Deal - Stage,Deal - Value"]
    lines += [f"{i},Deal {i},Org {i % 50},Lead In,{i * 10}" for i in range(6000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    db = open_db(db_path)
    plan = importer.plan_import(db, path, progress=lambda done, total: calls.append((done, total)))
    db.close()
    assert calls[0] == (1000, 6000) and calls[-1] == (6000, 6000)
    assert plan.summary()["new"] == 6000 and plan.summary()["new_accounts"] == 50
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "6000 new, 0 updated, 0 unchanged, 0 bad rows" in result.output
