"""Every command teaches: it has help, and its help ends with an example."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from kamcoach.cli.main import main


def _walk(
    group: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from _walk(command, (*path, name))


COMMANDS = list(_walk(main))


@pytest.mark.parametrize(
    "path,command", COMMANDS, ids=[" ".join(p) or "kamcoach" for p, _ in COMMANDS]
)
def test_command_help_ends_with_an_example(
    runner: CliRunner, path: tuple[str, ...], command: click.Command
) -> None:
    assert command.help, f"{' '.join(path)} has no help"
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    tail = result.output.split("Example", 1)
    assert len(tail) == 2, f"`kamcoach {' '.join(path)} --help` shows no example"
    assert "kamcoach" in tail[1]


def test_core_commands_are_registered() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {
        "demo",
        "playbooks list",
        "playbooks show",
        "playbooks check",
        "accounts list",
        "deals list",
        "deals show",
        "deals analyze",
        "doctor",
        "analyze",
        "pipeline",
        "coach",
        "prep",
        "tui",
        "import",
        "export",
    } <= names
