"""Issue 13: shell completion of deal ids and names and of owners, through click's machinery.

Driven as the shell drives it (``_KAMCOACH_COMPLETE=bash_complete`` with
``COMP_WORDS``/``COMP_CWORD``) on the real entry point; the database is only
read, a missing one is never created, a broken one completes nothing quietly.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main

README = Path(__file__).resolve().parent.parent / "README.md"


def _complete(runner: CliRunner, words: list[str], shell: str = "bash") -> list[str]:
    """What the shell would offer for the last word of ``kamcoach WORDS``."""
    result = runner.invoke(
        main,
        [],
        prog_name="kamcoach",
        env={
            "_KAMCOACH_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": " ".join(["kamcoach", *words]),
            "COMP_CWORD": str(len(words)),
        },
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def _ids(db: Database, name: str) -> str:
    return str(db.execute("SELECT id FROM opportunities WHERE name = ?", [name]).fetchone()[0])


def test_deal_arguments_complete_ids_and_names(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    db = ["--db", str(db_path)]
    assert _complete(runner, [*db, "deals", "show", "Store"]) == ["Store ops analytics"]
    # ids for digits: every id starting with what was typed
    ids = _complete(runner, [*db, "prep", "2"])
    assert (
        ids and all(i.startswith("2") for i in ids) and _ids(demo_db, "Store ops analytics") in ids
    )
    # names containing the text come after those starting with it; any case
    assert "Renewal – Salesforce connector" in _complete(runner, [*db, "notes", "add", "salesf"])
    for path in (["deals", "close"], ["review"], ["deals", "next-step"], ["contacts", "link", "X"]):
        assert _complete(runner, [*db, *path, "Store ops"]) == ["Store ops analytics"], path


def test_owner_options_complete_owners(runner: CliRunner, demo_db: Database, db_path: Path) -> None:
    db = ["--db", str(db_path)]
    assert _complete(runner, [*db, "pipeline", "--owner", "cam"]) == ["Camille Martin"]
    assert _complete(runner, [*db, "deals", "list", "--owner", "Sar"]) == ["Sarah Collins"]
    assert _complete(runner, [*db, "deals", "list", "--stage", "ne"]) == ["negotiation"]
    everyone = _complete(runner, [*db, "coach", "--owner", ""])
    assert {"Camille Martin", "Julien Roux", "Sarah Collins", "Thomas Nguyen"} <= set(everyone)


def test_completion_never_creates_nor_fails(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    assert _complete(runner, ["--db", str(missing), "deals", "show", ""]) == []
    assert not missing.exists()
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database at all" * 100)
    assert _complete(runner, ["--db", str(broken), "pipeline", "--owner", "a"]) == []
    assert broken.read_bytes() == b"not a database at all" * 100


def test_readme_documents_completion() -> None:
    text = README.read_text(encoding="utf-8")
    assert "_KAMCOACH_COMPLETE=bash_source kamcoach" in text
    assert "_KAMCOACH_COMPLETE=zsh_source kamcoach" in text
