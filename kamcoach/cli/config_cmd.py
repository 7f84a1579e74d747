"""``kamcoach config show|edit|path``: your preferences (config.toml), seen and changed.

The file is never rewritten by kamcoach: ``edit`` opens it in your editor
(created first from a commented template when missing) and checks it when the
editor exits; a mistake is named with the file and key, and the file is kept
as you left it so you can fix it.
"""

from __future__ import annotations

import json
import os

import click
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console, format_option
from kamcoach.errors import InputError


@click.group("config")
def config() -> None:
    """Your preferences in config.toml: name, default owner and playbook, language, keys.

    \b
    Example:
      kamcoach config show
      kamcoach config edit
    """


@config.command("path")
def path_() -> None:
    """Print the path of config.toml (it may not exist yet).

    \b
    Example:
      kamcoach config path
    """
    from kamcoach.preferences import config_file

    click.echo(str(config_file()))


@config.command("show")
@format_option(("table", "json"))
@pass_ctx
def show(obj: Ctx, fmt: str) -> None:
    """Print the preferences in force and the file they come from, marking the defaults.

    \b
    Example:
      kamcoach config show
      kamcoach config show --format json
    """
    from kamcoach.preferences import load_preferences
    from kamcoach.preferences_file import check_playbook, settings

    prefs = load_preferences()
    check_playbook(prefs, tuple(obj.playbooks.playbooks))
    rows = settings(prefs)
    exists = prefs.path is not None and prefs.path.is_file()
    if fmt == "json":
        payload = {
            "path": str(prefs.path),
            "exists": exists,
            "settings": {s.key: {"value": s.value, "default": not s.from_file} for s in rows},
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    out = console()
    out.print(Text("file: ", style="bold").append(str(prefs.path)), soft_wrap=True)
    if not exists:
        out.print("(not created yet: every value is a default; `kamcoach config edit`)")
    width = max(len(s.key) for s in rows)
    for s in rows:
        line = Text(f"{s.key:<{width}}  ")
        line.append(s.value if s.value is not None else "—")
        if not s.from_file:
            line.append(f"  (default: {s.default})", style="dim")
        out.print(line, soft_wrap=True)


@config.command("edit")
@pass_ctx
def edit(obj: Ctx) -> None:
    """Open config.toml in $VISUAL or $EDITOR, then check it.

    A missing file is first created from a template that documents every key
    (all commented out). After the editor exits the file is checked; a
    mistake is reported with the file and key, and the file is kept as you
    left it: run the command again to fix it.

    \b
    Example:
      kamcoach config edit
      EDITOR=nano kamcoach config edit
    """
    from kamcoach.preferences import config_file, load_preferences
    from kamcoach.preferences_file import check_playbook, create_from_template

    path = config_file()
    if create_from_template(path):
        click.echo(f"created {path} from the template", err=True)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    try:
        click.edit(filename=str(path), editor=editor)
    except click.ClickException as exc:
        raise InputError(f"cannot run the editor: {exc.format_message()}") from None
    try:
        prefs = load_preferences(path)
        check_playbook(prefs, tuple(obj.playbooks.playbooks))
    except InputError as exc:
        raise InputError(f"{exc} (the file is kept: `kamcoach config edit` to fix it)") from None
    click.echo(f"{path}: ok", err=True)


def register(group: click.Group) -> None:
    group.add_command(config)
