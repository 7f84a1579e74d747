"""Bad input ends as one ``error:`` line, never a traceback (issue 11, "Bad input").

Each test here failed on the code before the fix: a traceback (ValueError,
OverflowError, UnicodeDecodeError, RecursionError, UnicodeEncodeError) or a
batch stopped at its first bad item.
"""
# ruff: noqa: F811

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.domain.ids import SQLITE_MAX_INT, parse_id
from tests.analysis_fixtures import fr_nlp, playbooks  # noqa: F401
from tests.kc_seed import seed_small

BAD_IDS = ["²", "³²", str(2**63), "9" * 40, "1" * 5000, "\udcff", "Acme \udcc3"]
"""Not ids; the last two are how Python reads command-line bytes that are not UTF-8."""


def _one_error_line(result: Result) -> str:
    """The single stderr line of a failed command (asserting it is exactly that)."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture
def seeded(db: Database, db_path: Path) -> Path:
    seed_small(db)
    return db_path


def test_parse_id_reads_only_what_sqlite_can_hold() -> None:
    assert parse_id("12") == 12
    assert parse_id(" 7 ") == 7
    assert parse_id("0" * 30 + "7") == 7
    assert parse_id(str(SQLITE_MAX_INT)) == SQLITE_MAX_INT
    assert parse_id(42) == 42
    for bad in ["²", "", "-1", "1.5", "12a", str(SQLITE_MAX_INT + 1), "9" * 5000]:
        assert parse_id(bad) is None, bad
    assert parse_id(2**64) is None and parse_id(-1) is None


@pytest.mark.parametrize(
    "deal",
    BAD_IDS,
    ids=["sup2", "sup32", "2**63", "40nines", "5000ones", "undecodable", "undecodable-name"],
)
@pytest.mark.parametrize(
    "command", [["deals", "show"], ["prep"], ["deals", "analyze"]], ids=" ".join
)
def test_a_bad_deal_id_is_one_line(
    runner: CliRunner, seeded: Path, command: list[str], deal: str
) -> None:
    result = runner.invoke(main, ["--db", str(seeded), *command, deal])
    line = _one_error_line(result)
    assert "no deal with id or name" in line


def test_an_undecodable_owner_matches_nothing(runner: CliRunner, seeded: Path) -> None:
    """Bytes that are not UTF-8 on the command line used to crash the SQL binding."""
    # No rep has such a name: one error line (issue 13: an unknown owner is never an empty list).
    for command in (["deals", "list"], ["coach"]):
        result = runner.invoke(main, ["--db", str(seeded), *command, "--owner", "\udcff"])
        assert "unknown owner '\\udcff'" in _one_error_line(result)


def test_a_good_id_still_finds_the_deal(runner: CliRunner, seeded: Path) -> None:
    result = runner.invoke(main, ["--db", str(seeded), "deals", "show", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deal"]["id"] == 1


@pytest.mark.parametrize("value", ["garbage", "0001-01-01", "9999-12-31", "2026-13-01"])
@pytest.mark.parametrize(
    "command", [["pipeline"], ["coach"], ["demo"], ["deals", "list"]], ids=" ".join
)
def test_a_bad_pinned_today_is_one_line(
    runner: CliRunner,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    value: str,
) -> None:
    monkeypatch.setenv("KAMCOACH_TODAY", value)
    result = runner.invoke(main, ["--db", str(db_path), *command])
    line = _one_error_line(result)
    assert "KAMCOACH_TODAY" in line and value in line
    assert not db_path.exists()  # refused before the database was even created


def test_the_pinned_today_bounds_are_usable(
    runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first and last accepted dates work end to end (the demo computes dates around them)."""
    for value in ("1900-01-01", "2999-12-31"):
        monkeypatch.setenv("KAMCOACH_TODAY", value)
        path = db_path.with_name(f"{value}.db")
        for command in (["demo"], ["coach"], ["pipeline"]):
            result = runner.invoke(main, ["--db", str(path), *command])
            assert result.exit_code == 0, (value, command, result.output)


def _team_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "team"
    (folder / "playbooks").mkdir(parents=True)
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(folder))
    return folder


DEEP_TOML = "a = " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b'[stale_deal]\ndays = "\xff\xfe"\n', "not UTF-8"), (DEEP_TOML.encode(), "nested")],
    ids=["latin1", "deep"],
)
def test_a_broken_team_flags_file_is_one_line(
    runner: CliRunner,
    seeded: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    problem: str,
) -> None:
    team = _team_config(tmp_path, monkeypatch)
    (team / "flags.toml").write_bytes(content)
    for command in (["pipeline"], ["pipeline", "--format", "json"]):
        line = _one_error_line(runner.invoke(main, ["--db", str(seeded), *command]))
        assert str(team / "flags.toml") in line and problem in line


@pytest.mark.parametrize(
    "relative", ["playbooks/team.toml", "playbooks/language/fr.toml"], ids=["playbook", "cues"]
)
def test_a_deeply_nested_team_toml_is_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: str
) -> None:
    team = _team_config(tmp_path, monkeypatch)
    path = team / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEEP_TOML, encoding="utf-8")
    from kamcoach.analysis.language import load_language

    load_language.cache_clear()  # the cue files are read once per process
    try:
        result = runner.invoke(main, ["analyze", "-", "--lang", "fr"], input="Le DAF valide.")
    finally:
        load_language.cache_clear()
    line = _one_error_line(result)
    assert str(path) in line and "nested too deeply" in line


def test_jsonl_nested_and_surrogate_lines_are_skipped_with_their_number(
    runner: CliRunner, tmp_path: Path, fr_nlp
) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text(
        '{"id": "a", "text": "Budget approved: $50k."}\n'
        '{"id": "deep", "text": "x", "extra": ' + "[" * 5000 + "]" * 5000 + "}\n"
        '{"id": "lone", "text": "abc \\ud800 def"}\n'
        '{"id": "\\udc80", "text": "fine text"}\n'
        '{"id": NaN, "text": "fine text"}\n'
        '{"id": "c", "text": "Pas de budget.", "lang": "fr"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["analyze", str(path), "--format", "jsonl", "--playbook", "bant"])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "c"]
    errors = result.stderr.splitlines()
    assert errors[-1] == f"error: {path}: 4 bad lines skipped, 2 notes analysed"
    assert [line.split(": ", 2)[1].rsplit(":", 1)[1] for line in errors[:-1]] == [
        "2",
        "3",
        "4",
        "5",
    ]
    assert all(line.startswith("warning: ") for line in errors[:-1])
    assert "nested too deeply" in errors[0] and "lone surrogate" in errors[1]


def test_deals_analyze_all_goes_on_past_an_unknown_playbook(
    runner: CliRunner, seeded: Path, db: Database, fr_nlp
) -> None:
    db.execute("UPDATE opportunities SET playbook = 'retired' WHERE id = 2")
    db.conn.commit()
    result = runner.invoke(
        main, ["--db", str(seeded), "deals", "analyze", "--all", "--format", "jsonl"]
    )
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    analysed = [json.loads(line)["deal"] for line in result.stdout.splitlines()]
    assert 2 not in analysed and len(analysed) >= 2
    errors = result.stderr.splitlines()
    assert errors[0].startswith("warning: deal #2 skipped: unknown playbook 'retired'")
    assert errors[-1] == f"error: 1 deal skipped, {len(analysed)} analysed"
    saved = {r[0] for r in db.execute("SELECT DISTINCT opportunity_id FROM reviews").fetchall()}
    assert set(analysed) <= saved


def test_an_error_quoting_stored_names_stays_one_line(
    runner: CliRunner, seeded: Path, db: Database
) -> None:
    """A stored owner holding a newline or a terminal escape is quoted, not obeyed."""
    db.execute("UPDATE opportunities SET owner = ? WHERE id = 2", ["Sam\nGreen \x1b[2J"])
    db.conn.commit()
    result = runner.invoke(main, ["--db", str(seeded), "pipeline", "--owner", "nobody"])
    line = _one_error_line(result)
    assert "unknown owner 'nobody'" in line and "Sam\\nGreen \\x1b[2J" in line
