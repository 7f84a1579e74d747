"""Which playbook an imported deal gets: its row's column, else --playbook, else team.toml.

Driven through `kamcoach import` (the real entry point) on real CSV files and
a real SQLite file; the team settings come from a team.toml in a temporary
config folder (KAMCOACH_CONFIG_DIR).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kamcoach.cli.main import main
from kamcoach.errors import PlaybookError
from kamcoach.team import load_team_settings

PLAYBOOK_IDS = ("bant", "meddic", "meddpicc")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def playbooks(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    try:
        return dict(conn.execute("SELECT name, playbook FROM opportunities").fetchall())
    finally:
        conn.close()


def count(db_path: Path, table: str) -> int:
    if not db_path.exists():
        return 0
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


SF_EN = ["Opportunity Name", "Account Name", "Stage", "Amount", "Close Date", "Playbook"]
SF_FR = ["Nom de l'opportunité", "Nom du compte", "Étape", "Montant", "Date de clôture", "Méthode"]


@pytest.mark.parametrize("header", [SF_EN, SF_FR], ids=["en", "fr"])
def test_a_playbook_column_sets_each_deal_playbook_by_id_or_name(
    runner: CliRunner, db_path: Path, tmp_path: Path, header: list[str]
) -> None:
    path = write_csv(
        tmp_path / "deals.csv",
        header,
        [
            ["WMS", "Carrefour", "Prospecting", "1000", "2027-01-31", "BANT"],
            ["ERP", "Danone", "Prospecting", "2000", "2027-02-28", "meddpicc"],
            ["CRM", "Orange", "Prospecting", "3000", "2027-03-31", ""],
        ],
    )
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 0, result.output
    assert playbooks(db_path) == {"WMS": "bant", "ERP": "meddpicc", "CRM": "meddic"}


def test_the_playbook_option_fills_rows_without_one_and_is_checked(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "deals.csv",
        SF_EN,
        [
            ["WMS", "Carrefour", "Prospecting", "1000", "2027-01-31", ""],
            ["ERP", "Danone", "Prospecting", "2000", "2027-02-28", "bant"],
        ],
    )
    bad = run(runner, db_path, "import", str(path), "--playbook", "spin")
    assert bad.exit_code == 1
    assert "error: --playbook 'spin': unknown playbook (known: bant, meddic, meddpicc)" in (
        bad.output
    )
    assert count(db_path, "opportunities") == 0
    result = run(runner, db_path, "import", str(path), "--playbook", "MEDDPICC")
    assert result.exit_code == 0, result.output
    assert playbooks(db_path) == {"WMS": "meddpicc", "ERP": "bant"}


def test_the_team_default_comes_from_team_toml_in_the_config_folder(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    (config / "team.toml").write_text('[defaults]\nplaybook = "bant"\n', encoding="utf-8")
    path = write_csv(
        tmp_path / "deals.csv",
        SF_EN[:5],
        [["WMS", "Carrefour", "Prospecting", "1000", "2027-01-31"]],
    )
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 0, result.output
    assert playbooks(db_path) == {"WMS": "bant"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('[defaults]\nplaybook = "spin"\n', "defaults.playbook: unknown playbook 'spin'"),
        ('[defaults]\nplaybok = "bant"\n', "defaults.playbok: unknown key (allowed: playbook)"),
        ('[default]\nplaybook = "bant"\n', "default: unknown key (allowed: defaults, currency)"),
        ("defaults = 3\n", "defaults: expected a table"),
        ("[defaults\n", "not valid TOML"),
    ],
)
def test_a_broken_team_toml_is_one_line_naming_file_and_key(
    runner: CliRunner,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str,
    problem: str,
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    team = config / "team.toml"
    team.write_text(content, encoding="utf-8")
    path = write_csv(
        tmp_path / "deals.csv", SF_EN[:5], [["WMS", "Carrefour", "Prospecting", "1", "2027-01-31"]]
    )
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error: ") and f"{team}: " in lines[-1]
    assert problem in lines[-1]
    assert count(db_path, "opportunities") == 0
    with pytest.raises(PlaybookError, match=r"team\.toml"):
        load_team_settings(PLAYBOOK_IDS, team=team)
    check = runner.invoke(main, ["playbooks", "check"])
    assert check.exit_code == 1 and problem in check.output and "Traceback" not in check.output


def test_playbooks_check_names_the_team_default(runner: CliRunner) -> None:
    result = runner.invoke(main, ["playbooks", "check"])
    assert result.exit_code == 0, result.output
    assert "team default playbook meddic" in result.output


def test_the_bundled_team_file_is_not_a_playbook_and_defaults_to_meddic() -> None:
    from kamcoach.playbooks.loader import load_playbooks

    assert "team" not in load_playbooks().playbooks
    assert load_team_settings(PLAYBOOK_IDS).default_playbook == "meddic"


def test_an_unknown_playbook_is_a_bad_row_and_a_dry_run_writes_nothing(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "deals.csv",
        SF_EN,
        [
            ["WMS", "Carrefour", "Prospecting", "1000", "2027-01-31", "meddic"],
            ["ERP", "Danone", "Prospecting", "2000", "2027-02-28", "SPIN selling"],
        ],
    )
    dry = run(runner, db_path, "import", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "│   3 │ column 'Playbook': unknown playbook 'SPIN" in dry.output  # the bad-rows table
    assert count(db_path, "opportunities") == 0
    refused = run(runner, db_path, "import", str(path))
    assert refused.exit_code == 1
    assert "row 3: column 'Playbook': unknown playbook 'SPIN selling'" in refused.output
    assert count(db_path, "opportunities") == 0
    skipped = run(runner, db_path, "import", str(path), "--skip-bad-rows")
    assert skipped.exit_code == 0, skipped.output
    assert playbooks(db_path) == {"WMS": "meddic"}


def test_reimport_with_another_playbook_records_the_change_in_history(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A changed Playbook cell is a change like any other; --playbook never moves a stored deal."""
    first = write_csv(
        tmp_path / "a.csv", SF_EN, [["WMS", "Carrefour", "Prospecting", "1000", "2027-01-31", ""]]
    )
    assert run(runner, db_path, "import", str(first)).exit_code == 0
    again = run(runner, db_path, "import", str(first), "--playbook", "bant")
    assert again.exit_code == 0 and "0 new, 0 updated, 1 unchanged" in again.output
    assert playbooks(db_path) == {"WMS": "meddic"}
    second = write_csv(
        tmp_path / "b.csv",
        SF_EN,
        [["WMS", "Carrefour", "Prospecting", "1000", "2027-01-31", "bant"]],
    )
    result = run(runner, db_path, "import", str(second))
    assert result.exit_code == 0 and "1 history changes" in result.output, result.output
    conn = sqlite3.connect(db_path)
    try:
        history = conn.execute(
            "SELECT field, old_value, new_value, source, author, reason FROM opportunity_history"
        ).fetchall()
    finally:
        conn.close()
    assert history == [("playbook", "meddic", "bant", "salesforce", None, None)]
    assert playbooks(db_path) == {"WMS": "bant"}


def test_an_import_records_owner_and_type_changes_like_a_hand_edit(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """The widened history: an import writes the rows a hand edit writes (one writer)."""
    header = ["Opportunity Name", "Account Name", "Stage", "Opportunity Owner", "Type"]
    first = write_csv(tmp_path / "a.csv", header, [["WMS", "Carrefour", "Prospecting", "Ann", ""]])
    assert run(runner, db_path, "import", str(first)).exit_code == 0
    second = write_csv(
        tmp_path / "b.csv", header, [["WMS", "Carrefour", "Prospecting", "Bob", "Renewal"]]
    )
    result = run(runner, db_path, "import", str(second))
    assert result.exit_code == 0 and "2 history changes" in result.output, result.output
    conn = sqlite3.connect(db_path)
    try:
        history = conn.execute(
            "SELECT field, old_value, new_value, source FROM opportunity_history ORDER BY id"
        ).fetchall()
        owner = conn.execute(
            "SELECT o.owner, r.name FROM opportunities o JOIN reps r ON r.id = o.rep_id"
        ).fetchall()
    finally:
        conn.close()
    assert history == [
        ("owner", "Ann", "Bob", "salesforce"),
        ("type", "new", "renewal", "salesforce"),
    ]
    assert owner == [("Bob", "Bob")]
