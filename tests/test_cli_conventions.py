"""Issue 13 conventions: `-h` everywhere, bare `kamcoach` takes the `tui` options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.cli.main import main
from tests.test_cli_help import COMMANDS


@pytest.mark.parametrize(
    "path,command", COMMANDS, ids=[" ".join(p) or "kamcoach" for p, _ in COMMANDS]
)
def test_dash_h_is_help_on_every_command(
    runner: CliRunner, path: tuple[str, ...], command: click.Command
) -> None:
    short = runner.invoke(main, [*path, "-h"])
    assert short.exit_code == 0, short.output
    assert short.output == runner.invoke(main, [*path, "--help"]).output
    assert "-h, --help" in short.output


def test_bare_kamcoach_takes_the_tui_options(
    runner: CliRunner, demo_db: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kamcoach --no-model` opens the app without loading the model, as `kamcoach tui --no-model`."""
    from kamcoach.tui.app import KamcoachApp

    seen: list[bool] = []
    real_run = KamcoachApp.run

    def headless_run(self: KamcoachApp, **_: Any) -> Any:
        seen.append(self.preload_model)

        async def leave(pilot: Any) -> None:
            await pilot.pause()
            pilot.app.exit()

        return real_run(self, headless=True, auto_pilot=leave)

    monkeypatch.setattr(KamcoachApp, "run", headless_run)
    for args in (["--no-model"], ["tui", "--no-model"]):
        result = runner.invoke(main, ["--db", str(db_path), *args])
        assert result.exit_code == 0, result.output
    assert seen == [False, False]
    help_text = runner.invoke(main, ["-h"]).output
    assert "--no-model" in help_text


def test_tui_option_with_another_command_is_refused(
    runner: CliRunner, demo_db: Database, db_path: Path
) -> None:
    result = runner.invoke(main, ["--db", str(db_path), "--no-model", "deals", "list"])
    assert result.exit_code == 2
    assert "--no-model opens the terminal app" in result.output
