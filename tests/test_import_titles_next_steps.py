"""Import: an activity's subject becomes the note's title (never evidence); a CRM "Next Step"
column becomes the deal's next step."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kamcoach.cli.main import main
from kamcoach.storage import repo
from kamcoach.storage.db import open_db

DATA = Path(__file__).parent / "data" / "crm"

SF_DEALS = (
    "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date,Opportunity Owner,"
    "Next Step\n"
    "006A,Acme ERP,Acme SA,Proposal/Price Quote,120000,12/15/2026,Camille Martin,"
    "Demo to the CFO\n"
    "006B,Globex WMS,Globex,Needs Analysis,50000,1/31/2027,Sam Green,\n"
)


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def do_import(runner: CliRunner, db_path: Path, path: Path, *extra: str) -> Result:
    result = run(runner, db_path, "import", str(path), *extra)
    assert result.exit_code == 0, result.output
    return result


def rows(db_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def tasks(tmp_path: Path, *lines: str) -> Path:
    head = "Activity ID,Subject,Full Comments,Date,Assigned,Opportunity ID\n"
    return write(tmp_path, "tasks.csv", head + "".join(line + "\n" for line in lines))


# ---------------------------------------------------------------- titles


def test_subject_is_the_title_and_the_body_the_text(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    do_import(runner, db_path, write(tmp_path, "deals.csv", SF_DEALS))
    do_import(
        runner,
        db_path,
        tasks(
            tmp_path,
            "T1,Call with CFO re budget,Quick sync with the project team.,11/23/2026,Camille Martin,006A",
            "T2,Logged call,,11/24/2026,Camille Martin,006A",
        ),
    )
    assert rows(db_path, "SELECT external_id, title, text FROM notes ORDER BY external_id") == [
        ("T1", "Call with CFO re budget", "Quick sync with the project team."),
        # No body: the subject is the only text the row has (and says no more as text).
        ("T2", "Logged call", "Logged call"),
    ]


def test_existing_salesforce_tasks_keep_subject_apart(runner: CliRunner, db_path: Path) -> None:
    do_import(runner, db_path, DATA / "salesforce_opportunities_en.csv")
    do_import(runner, db_path, DATA / "salesforce_tasks_en.csv")
    got = rows(db_path, "SELECT title, text FROM notes WHERE title = 'Discovery call'")
    assert len(got) == 1 and got[0][1].startswith("Met Marie Dupont")


def test_a_meddic_cue_in_the_subject_is_never_evidence(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    pytest.importorskip("spacy")
    from kamcoach.analysis import analyze_text
    from kamcoach.playbooks.loader import load_playbooks

    subject, body = "Call with CFO re budget", "Quick sync with the project team, nothing new."
    # The cue is one: glued on the body, as the importer used to, it scores the economic buyer.
    glued = analyze_text(f"{subject}\n\n{body}", playbooks=load_playbooks(), lang="en")
    assert glued.scores["economic_buyer"].score > 0
    do_import(runner, db_path, write(tmp_path, "deals.csv", SF_DEALS))
    do_import(
        runner, db_path, tasks(tmp_path, f'T1,{subject},"{body}",11/23/2026,Camille Martin,006A')
    )
    result = run(runner, db_path, "deals", "analyze", "1")
    assert result.exit_code == 0, result.output
    db = open_db(db_path)
    try:
        review = repo.latest_review(db, 1, author_kind="analyser")
        assert review is not None
        quotes = [e.text for s in review.scores.values() for e in s.evidence]
        assert not any("CFO" in q for q in quotes), quotes
        assert review.scores["economic_buyer"].score == 0
    finally:
        db.close()


def test_a_red_flag_phrase_in_the_subject_raises_no_flag(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    do_import(runner, db_path, write(tmp_path, "deals.csv", SF_DEALS))
    do_import(
        runner,
        db_path,
        tasks(
            tmp_path,
            "T1,Budget frozen?,Quick sync with the project team.,11/23/2026,Camille Martin,006A",
            "T2,Weekly call,The budget is frozen until March.,11/23/2026,Camille Martin,006B",
        ),
    )
    out = run(runner, db_path, "pipeline", "--format", "csv").output
    flagged = {line.split(",")[0] for line in out.splitlines()[1:] if "red_flag" in line}
    assert flagged == {"2"}


def test_notes_imported_before_titles_are_split_not_duplicated(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    do_import(runner, db_path, write(tmp_path, "deals.csv", SF_DEALS))
    db = open_db(db_path)
    # As the importer stored them before: "subject\n\nbody", no title (with and without CRM id).
    for ext, text in (
        ("T1", "Kick-off\n\nPilot scope agreed."),
        (None, "QBR\n\nRenewal on track."),
    ):
        db["notes"].insert(
            {
                "opportunity_id": 1,
                "created_at": "2026-11-23T00:00:00",
                "author": "Camille Martin",
                "text": text,
                "content_hash": repo.content_hash(text),
                "external_id": ext,
                "source": "salesforce" if ext else None,
            }
        )
    db.close()
    result = do_import(
        runner,
        db_path,
        tasks(
            tmp_path,
            "T1,Kick-off,Pilot scope agreed.,11/23/2026,Camille Martin,006A",
            ",QBR,Renewal on track.,11/23/2026,Camille Martin,006A",
        ),
    )
    assert "0 new, 2 updated" in result.output
    assert rows(db_path, "SELECT title, text, content_hash FROM notes ORDER BY id") == [
        ("Kick-off", "Pilot scope agreed.", repo.content_hash("Pilot scope agreed.")),
        ("QBR", "Renewal on track.", repo.content_hash("Renewal on track.")),
    ]
    again = do_import(runner, db_path, tmp_path / "tasks.csv")
    assert "0 new, 0 updated, 2 unchanged" in again.output


def test_a_changed_subject_updates_the_title(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    do_import(runner, db_path, write(tmp_path, "deals.csv", SF_DEALS))
    do_import(runner, db_path, tasks(tmp_path, "T1,Call,Body.,11/23/2026,Camille Martin,006A"))
    result = do_import(
        runner, db_path, tasks(tmp_path, "T1,Call with Claire,Body.,11/23/2026,Camille Martin,006A")
    )
    assert "0 new, 1 updated" in result.output
    assert rows(db_path, "SELECT title, text FROM notes") == [("Call with Claire", "Body.")]


# ---------------------------------------------------------------- next steps


def steps(db_path: Path) -> list[tuple]:
    return rows(
        db_path,
        "SELECT o.external_id, s.what, s.source, s.set_by, s.done_at FROM next_steps s "
        "JOIN opportunities o ON o.id = s.opportunity_id ORDER BY s.id",
    )


def test_next_step_column_salesforce(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "deals.csv", SF_DEALS)
    dry = run(runner, db_path, "import", str(path), "--dry-run")
    assert "1 new next steps" in dry.output
    result = do_import(runner, db_path, path)
    assert "1 new next steps" in result.output
    assert steps(db_path) == [("006A", "Demo to the CFO", "import", None, None)]
    again = do_import(runner, db_path, path)  # the same export: the same step, nothing new
    assert "next steps" not in again.output and "0 updated, 2 unchanged" in again.output
    assert len(steps(db_path)) == 1
    moved = write(
        tmp_path,
        "deals2.csv",
        SF_DEALS.replace("Demo to the CFO", "Send the  proposal ").replace(
            "Sam Green,\n", "Sam Green,Call back in January\n"
        ),
    )
    result = do_import(runner, db_path, moved)
    assert "2 new next steps" in result.output
    assert steps(db_path)[1:] == [
        ("006A", "Send the proposal", "import", None, None),
        ("006B", "Call back in January", "import", None, None),
    ]


def test_next_step_set_by_hand_is_not_repeated_by_import(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, "deals.csv", SF_DEALS.replace("Demo to the CFO", ""))
    do_import(runner, db_path, path)
    run(runner, db_path, "deals", "next-step", "1", "--what", "Demo to the CFO")
    do_import(runner, db_path, write(tmp_path, "deals2.csv", SF_DEALS))
    assert [s[1:3] for s in steps(db_path)] == [("Demo to the CFO", "deal")]


@pytest.mark.parametrize(
    ("header", "encoding"),
    [
        (
            "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner,Associated Company,"
            "Next step",
            "utf-8",
        ),
        (
            "ID de fiche,Nom de la transaction,Phase de la transaction,Montant,Date de fermeture,"
            "Propriétaire de la transaction,Entreprise associée,Prochaine étape",
            "utf-8-sig",
        ),
    ],
)
def test_next_step_column_hubspot_en_and_fr(
    runner: CliRunner, db_path: Path, tmp_path: Path, header: str, encoding: str
) -> None:
    body = "9001,Renault - Fleet telematics,Appointment scheduled,95000,2027-03-31,Sophie Bernard,Renault SA,Envoyer la proposition\n"
    if "Phase" in header:
        body = body.replace("Appointment scheduled", "Rendez-vous programmé")
    do_import(runner, db_path, write(tmp_path, "hubspot.csv", header + "\n" + body, encoding))
    assert [s[1:3] for s in steps(db_path)] == [("Envoyer la proposition", "import")]
