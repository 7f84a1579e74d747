"""Bounded fuzz test of the CLI entry points (issue 11, "Bad input").

Random deal ids, option values, notes, JSONL batches, CSV imports, team TOML
files and ``KAMCOACH_TODAY`` values through ``kamcoach.cli.main:main``: no
traceback, every failure one ``error:`` line, no database changed by a failed
command (the rules and generators live in ``tests/cli_fuzz.py``). Bounded so
this file stays well under a minute; ``benchmarks/fuzz_cli.py`` runs the same
generators over thousands of inputs and the areas other changes own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from tests.cli_fuzz import Case, Workspace, cases
from tests.cli_fuzz import classify as classify_result

FUZZ_EXAMPLES = 100


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    ws = Workspace()
    yield ws
    ws.close()


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_cli_never_tracebacks_and_fails_cleanly(workspace: Workspace, case: Case) -> None:
    findings = workspace.run(case)
    assert not findings, "\n\n".join(f.describe() for f in findings)


def test_the_rules_catch_what_they_must(workspace: Workspace) -> None:
    """The checker itself: a traceback and a multi-line error are findings, a clean error is not."""
    import click
    from click.testing import CliRunner

    @click.command()
    @click.argument("what")
    def probe(what: str) -> None:
        if what == "boom":
            raise ValueError("boom")
        if what == "two":
            click.echo("error: one\nerror: two", err=True)
            raise SystemExit(1)
        if what == "clean":
            click.echo("warning: a skipped line\nerror: clear", err=True)
            raise SystemExit(1)

    runner = CliRunner()
    assert classify_result(runner.invoke(probe, ["boom"])) == ("traceback", "ValueError: boom")
    kind = classify_result(runner.invoke(probe, ["two"]))
    assert kind is not None and kind[0] == "unclear error"
    assert classify_result(runner.invoke(probe, ["clean"])) is None
    assert classify_result(runner.invoke(probe, [])) is None  # click usage error, exit 2


def test_the_fingerprint_sees_a_changed_row(workspace: Workspace) -> None:
    import sqlite3

    from tests.cli_fuzz import Call, _databases

    with workspace.fresh(Case(calls=(Call(("deals", "list")),))) as ws:
        before = _databases(ws)
        assert set(before) == {"kamcoach.db", "other.sqlite"}
        conn = sqlite3.connect(ws / "kamcoach.db")
        conn.execute("UPDATE opportunities SET amount = amount + 1 WHERE id = 1")
        conn.commit()
        conn.close()
        after = _databases(ws)
    assert before["kamcoach.db"] != after["kamcoach.db"]
    assert before["other.sqlite"] == after["other.sqlite"]
