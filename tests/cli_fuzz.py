"""Fuzzing the CLI entry points: generated invocations and the rules every one must keep.

Shared by the bounded property test (``tests/test_cli_fuzz.py``) and the long
run (``benchmarks/fuzz_cli.py``). Each :class:`Case` (``tests/cli_fuzz_inputs.py``)
runs on a fresh copy of a seeded database, its calls through click's
``CliRunner`` on ``kamcoach.cli.main:main``: in-process, so thousands of
inputs take minutes, not hours.

The rules (issue 11, "Bad input"), checked by :meth:`Workspace.run`:

- no traceback: ``result.exception`` is None or ``SystemExit``, and no
  "Traceback" text in the output;
- a failure is clear: a non-zero exit prints exactly one ``error: ...`` line
  on stderr, last, after any ``warning: ...`` lines (click's own usage
  errors, exit 2 with ``Error: ...``, count as clear);
- a failure changes no database: every SQLite file of the workspace has the
  same schema, rows and journal mode before and after a failed call. One
  declared exception: ``deals analyze --all`` that skipped some deals (exit 1)
  keeps the reviews it saved for the others, and says so;
- a command that only reads (lists, reports, exports, ``analyze``,
  ``prep --no-analyse``, ``import --dry-run``) changes no database even when
  it succeeds: an ``-o`` aimed at the database must not destroy it.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner, Result

from kamcoach.cli.main import main
from tests.cli_fuzz_inputs import (
    AREAS,
    DB,
    GROUPS,
    HOSTILE_OUTPUTS,
    PINNED_TODAY,
    TEAM,
    Call,
    Case,
    cases,
)

__all__ = ["AREAS", "KINDS", "PINNED_TODAY", "Call", "Case", "Tally", "Workspace", "cases"]
# ---------------------------------------------------------------- running


KINDS = (
    "traceback",
    "unclear error",
    "database changed on failure",
    "read-only command changed a database",
)


@dataclass
class Finding:
    kind: str  # one of KINDS
    detail: str
    call: Call
    case: Case

    def describe(self) -> str:
        return f"{self.kind}: {self.detail}\n  in call: {self.call}\n{self.case.describe()}"

    @property
    def area(self) -> str:
        """Which part of kamcoach the broken call most likely exercises."""
        args, env = self.call.args, dict(self.call.env)
        if "--db" in args or "KAMCOACH_DB" in env:
            return "dbpath"
        if any(
            a in ("-o", "--bad-rows") and b in HOSTILE_OUTPUTS for a, b in itertools.pairwise(args)
        ):
            return "outputs"
        return "names" if self.case.names else "core"

    @property
    def signature(self) -> str:
        """Findings with the same command, kind and message start are one problem."""
        command = " ".join(
            self.call.args[:2] if self.call.args[0] in GROUPS else self.call.args[:1]
        )
        return f"{self.area} | {command} | {self.kind} | {self.detail[:70]}"


@dataclass
class Tally:
    """What a fuzz run saw, for the report."""

    cases: int = 0
    calls: int = 0
    failures: int = 0  # non-zero exits (expected for bad input)
    findings: list[Finding] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per command, for the report

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


def _fingerprint(path: Path) -> str | None:
    """Schema, rows and journal mode of one SQLite file; None if it is not one."""
    try:
        if path.read_bytes()[:16] != b"SQLite format 3\x00":
            return None
    except OSError:
        return None
    digest = hashlib.sha256()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        digest.update(str(conn.execute("PRAGMA journal_mode").fetchone()).encode())
        tables = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') "
            "ORDER BY name"
        ).fetchall()
        for name, sql in tables:
            digest.update(f"{name}\x00{sql}".encode(errors="surrogatepass"))
            if sql and sql.upper().startswith("CREATE TABLE"):
                rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()
                for row in sorted(map(repr, rows)):
                    digest.update(row.encode(errors="surrogatepass"))
    except sqlite3.DatabaseError as exc:
        digest.update(f"unreadable: {exc}".encode())
    finally:
        conn.close()
    return digest.hexdigest()


def _databases(ws: Path) -> dict[str, str]:
    """Fingerprint of every SQLite file under ``ws``, by relative path."""
    out: dict[str, str] = {}
    for path in sorted(ws.rglob("*")):
        if path.is_file() and not path.name.endswith(("-wal", "-shm", "-journal")):
            digest = _fingerprint(path)
            if digest is not None:
                out[str(path.relative_to(ws))] = digest
    return out


def classify(result: Result) -> tuple[str, str] | None:
    """The rule a finished call broke, as (kind, detail), or None."""
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        return "traceback", f"{type(exc).__name__}: {str(exc)[:300]}"
    if "Traceback (most recent call last)" in result.output:
        return "traceback", result.output[-300:]
    if result.exit_code == 0:
        return None
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if result.exit_code == 2 and any(line.startswith("Error: ") for line in lines):
        return None  # click's usage error: "Usage: ...", "Error: ..."
    errors = [line for line in lines if line.startswith("error: ")]
    others = [line for line in lines if not line.startswith(("error: ", "warning: "))]
    if len(errors) != 1 or others or lines[-1] != errors[0]:
        return "unclear error", f"exit {result.exit_code}, stderr {result.stderr[-400:]!r}"
    return None


READ_ONLY = {"deals list", "deals show", "accounts list", "pipeline", "coach", "export"}
READ_ONLY |= {"playbooks list", "playbooks show", "playbooks check", "analyze", "doctor"}
READ_ONLY |= {"review", "deals history", "notes list", "contacts list", "contacts show"}
READ_ONLY |= {"proposals list", "reps list", "reps show"}


def read_only(args: tuple[str, ...]) -> bool:
    """Whether a call must leave every database as it was even when it succeeds.

    ``prep`` refreshes the deal's analysis unless ``--no-analyse``; ``import``
    writes unless ``--dry-run``; ``deals analyze`` saves reviews.
    """
    command = " ".join(args[:2] if args[0] in GROUPS else args[:1])
    if command == "prep":
        return "--no-analyse" in args
    if command == "import":
        return "--dry-run" in args
    return command in READ_ONLY


def _resolve(text: str, ws: Path) -> str:
    return str(ws) + text[3:] if text.startswith("@ws") else text


class Workspace:
    """A seeded template database, copied fresh for every case."""

    def __init__(self) -> None:
        from kamcoach.storage.db import open_db
        from tests.kc_seed import seed_small

        self.root = Path(tempfile.mkdtemp(prefix="kc-fuzz-"))
        self.template = self.root / "template.db"
        db = open_db(self.template)
        try:
            seed_small(db)
        finally:
            db.close()
        (self.root / "other.sqlite").unlink(missing_ok=True)
        other = sqlite3.connect(self.root / "other.sqlite")
        other.execute("CREATE TABLE t (x)")
        other.execute("INSERT INTO t VALUES (1)")
        other.commit()
        other.close()
        self.runner = CliRunner()
        self._n = 0

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    @contextmanager
    def fresh(self, case: Case) -> Iterator[Path]:
        self._n += 1
        ws = self.root / f"case{self._n}"
        ws.mkdir()
        try:
            shutil.copyfile(self.template, ws / DB)
            shutil.copyfile(self.root / "other.sqlite", ws / "other.sqlite")
            (ws / TEAM / "playbooks").mkdir(parents=True)
            for name, data in case.files:
                (ws / name).parent.mkdir(parents=True, exist_ok=True)
                (ws / name).write_bytes(data)
            if case.names:
                conn = sqlite3.connect(ws / DB)
                for i, name in enumerate(case.names):
                    conn.execute(
                        "UPDATE opportunities SET name = ?, owner = ? WHERE id = ?",
                        [name, name, 3 - i],
                    )
                    conn.execute("UPDATE accounts SET name = ? WHERE id = ?", [name, 2 - i])
                    conn.execute("UPDATE notes SET author = ? WHERE id = ?", [name, 4 - i])
                conn.commit()
                conn.close()
            yield ws
        finally:
            shutil.rmtree(ws, ignore_errors=True)

    def run(self, case: Case, tally: Tally | None = None) -> list[Finding]:
        """Run every call of ``case``; the broken rules, if any."""
        from kamcoach.analysis.language import load_language

        tally = tally if tally is not None else Tally()
        tally.cases += 1
        findings: list[Finding] = []
        with self.fresh(case) as ws:
            for call in case.calls:
                load_language.cache_clear()  # team cue files are read once per process
                env: dict[str, str | None] = {
                    "KAMCOACH_DB": None,
                    "KAMCOACH_CONFIG_DIR": str(ws / TEAM),
                    "XDG_CONFIG_HOME": str(ws / "xdg-config"),
                    "XDG_DATA_HOME": str(ws / "xdg-data"),
                }
                env.update({k: _resolve(v, ws) for k, v in call.env})
                args = [_resolve(a, ws) for a in call.args]
                if "--db" not in call.args and not any(k == "KAMCOACH_DB" for k, _ in call.env):
                    args = ["--db", str(ws / DB), *args]
                before = _databases(ws)
                started = time.perf_counter()
                result = self.runner.invoke(main, args, input=call.stdin, env=env)
                command = " ".join(call.args[:2] if call.args[0] in GROUPS else call.args[:1])
                tally.seconds[command] = tally.seconds.get(command, 0.0) + (
                    time.perf_counter() - started
                )
                load_language.cache_clear()
                tally.calls += 1
                broken = classify(result)
                if broken:
                    detail = broken[1].replace(str(ws), "@ws")
                    findings.append(Finding(broken[0], detail, call, case))
                failed = result.exit_code != 0
                tally.failures += failed
                if failed or read_only(call.args):
                    after = _databases(ws)
                    changed = ", ".join(k for k in before if before[k] != after.get(k))
                    partial = "warning: deal #" in result.stderr  # declared partial batch
                    if changed and failed and not partial:
                        findings.append(Finding("database changed on failure", changed, call, case))
                    elif changed and not failed:
                        findings.append(
                            Finding("read-only command changed a database", changed, call, case)
                        )
        tally.findings.extend(findings)
        return findings
