"""Issue 13: every listing offers --format table|json|jsonl|csv|md (reports add html).

Checked on the commands themselves (choices and help say exactly the same),
on their output through the real entry point, and against the README.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.cli.output import FORMATS, REPORT_FORMATS

README = Path(__file__).resolve().parent.parent / "README.md"

LISTINGS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("accounts", "list"): (),
    ("contacts", "list"): (),
    ("deals", "list"): (),
    ("deals", "history"): ("22",),
    ("notes", "list"): ("22",),
    ("proposals", "list"): (),
    ("reps", "list"): (),
    ("playbooks", "list"): (),
}
REPORTS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("pipeline",): (),
    ("coach",): (),
    ("prep",): ("22", "--no-analyse"),
}


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


CASES = [(p, FORMATS) for p in LISTINGS] + [(p, REPORT_FORMATS) for p in REPORTS]


@pytest.mark.parametrize("path,formats", CASES, ids=[" ".join(p) for p, _ in CASES])
def test_format_choices_and_help_say_the_same(
    runner: CliRunner, path: tuple[str, ...], formats: tuple[str, ...]
) -> None:
    option = next(p for p in _command(path).params if p.name == "fmt")
    assert isinstance(option.type, click.Choice)
    assert tuple(option.type.choices) == formats
    help_text = " ".join(runner.invoke(main, [*path, "-h"]).output.split())
    assert f"Output format: {'|'.join(formats)}." in help_text


@pytest.mark.parametrize("path,formats", CASES, ids=[" ".join(p) for p, _ in CASES])
def test_every_format_renders(
    runner: CliRunner,
    demo_db: Database,
    db_path: Path,
    path: tuple[str, ...],
    formats: tuple[str, ...],
) -> None:
    args = {**LISTINGS, **REPORTS}[path]
    for fmt in formats:
        result = runner.invoke(main, ["--db", str(db_path), *path, *args, "--format", fmt])
        assert result.exit_code == 0, (fmt, result.output)
        out = result.stdout
        assert out.strip() or fmt == "jsonl", fmt  # no rows: no lines
        if fmt == "json":
            json.loads(out)
        elif fmt == "jsonl":
            assert all(isinstance(json.loads(line), dict) for line in out.splitlines())
        elif fmt == "csv":
            header = next(csv.reader(io.StringIO(out)))
            assert len(header) >= 2
        elif fmt == "md":
            assert "|" in out or out.startswith("#")
        elif fmt == "html":
            assert out.startswith("<!DOCTYPE html>")


def test_readme_states_the_formats() -> None:
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert f"`--format {'|'.join(FORMATS)}`" in readme
    assert f"`--format {'|'.join(REPORT_FORMATS)}`" in readme
    for path in (*LISTINGS, *REPORTS):
        assert f"`{' '.join(path)}`" in readme
