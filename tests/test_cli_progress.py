"""Issue 13: a spinner or bar on stderr for slow steps, only on a terminal; the next command.

The progress is checked end to end: the real ``kamcoach import`` in a child
process whose stderr is a pseudo-terminal (and stdout a pipe), with the delay
before the spinner set to zero so the small test file shows it.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kamcoach.cli.main import main

DATA = Path(__file__).parent / "data" / "crm"
ROOT = Path(__file__).resolve().parent.parent


def test_import_prints_the_next_commands_and_no_progress_off_a_terminal(
    runner: CliRunner, db_path: Path
) -> None:
    result = runner.invoke(
        main, ["--db", str(db_path), "import", str(DATA / "hubspot_deals_en.csv")]
    )
    assert result.exit_code == 0, result.output
    db = f"--db {db_path}"
    assert result.stdout.splitlines()[-1] == (
        f"next: kamcoach {db} deals analyze --all, then kamcoach {db} pipeline"
    )
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr
    assert "Reading" not in result.stdout + result.stderr
    dry = runner.invoke(
        main, ["--db", str(db_path), "import", str(DATA / "hubspot_notes_en.csv"), "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines()[-1].startswith(f"next: kamcoach {db} import ")


def test_import_progress_goes_to_a_terminal_stderr_only(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KAMCOACH_PROGRESS_DELAY": "0",
        "COLUMNS": "100",
        "TERM": "xterm",
    }
    env.pop("NO_COLOR", None)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kamcoach",
            "--db",
            str(tmp_path / "k.db"),
            "import",
            str(DATA / "hubspot_deals_en.csv"),
        ],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(slave)
    terminal = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        terminal += chunk
    out, _ = child.communicate(timeout=60)
    os.close(master)
    assert child.returncode == 0, (out, terminal)
    assert b"Reading hubspot_deals_en.csv" in terminal
    assert b"\x1b" not in out and b"Reading" not in out
    assert b"next: kamcoach" in out
