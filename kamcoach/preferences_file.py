"""config.toml as the user sees it: the commented template, and where each value comes from.

:mod:`kamcoach.preferences` reads the file; this module serves
``kamcoach config show`` (the effective values, marking the defaults) and
``kamcoach config edit`` (a new file starts from a template that documents
every key, all commented out, so it changes nothing until the user says so).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from kamcoach.preferences import Preferences

TEMPLATE = """\
# kamcoach preferences: yours alone (team rules live in team.toml, flags.toml).
# Every key is optional; remove the '#' to set one. `kamcoach config show`
# prints what is in force and which values are defaults.

# [user]
# name = "Camille Martin"        # author of your notes and reviews (default: $KAMCOACH_USER, else your login)
# email = "camille@example.com"

# [defaults]
# owner = "Camille Martin"       # owner of deals you add without --owner; `--mine` on pipeline and deals list
# playbook = "meddpicc"          # playbook of deals you add without --playbook (before team.toml's default)

# [interface]
# language = "fr"                # en or fr: headings, footer, help (default: from $LANG)

# [keys]                         # key overrides in the terminal app: binding id = key
# "deal.note" = "ctrl+n"
"""


@dataclass(frozen=True, slots=True)
class Setting:
    """One effective preference: its dotted key, value, and whether the file set it."""

    key: str
    value: str | None
    from_file: bool
    default: str
    """Where the value comes from when the file does not set it."""


def settings(prefs: Preferences) -> list[Setting]:
    """Every preference in force, file values marked apart from defaults."""
    raw: dict[str, object] = {}
    if prefs.path is not None and prefs.path.is_file():
        with prefs.path.open("rb") as fh:
            raw = tomllib.load(fh)  # load_preferences has already checked it

    def given(section: str, key: str) -> bool:
        table = raw.get(section)
        return isinstance(table, dict) and key in table

    rows = [
        Setting("user.name", prefs.user.name, given("user", "name"), "$KAMCOACH_USER or login"),
        Setting("user.email", prefs.user.email, given("user", "email"), "none"),
        Setting(
            "defaults.owner",
            prefs.default_owner,
            given("defaults", "owner"),
            "none: deals you add are yours (user.name)",
        ),
        Setting(
            "defaults.playbook",
            prefs.default_playbook,
            given("defaults", "playbook"),
            "none: team.toml's default",
        ),
        Setting("interface.language", prefs.language, given("interface", "language"), "from $LANG"),
    ]
    rows += [Setting(f'keys."{k}"', v, True, "") for k, v in sorted(prefs.keys.items())]
    if not prefs.keys:
        rows.append(Setting("keys", None, False, "none: the app's own keys"))
    return rows


def create_from_template(path: Path) -> bool:
    """Write the template at ``path`` unless a file is there; True when it was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE, encoding="utf-8")
    return True


def check_playbook(prefs: Preferences, playbook_ids: tuple[str, ...]) -> None:
    """``[defaults] playbook`` must name a loaded playbook: said with the file and key."""
    from kamcoach.errors import InputError

    wanted = prefs.default_playbook
    if wanted is not None and wanted not in playbook_ids:
        raise InputError(
            f"{prefs.path}: defaults.playbook: unknown playbook {wanted!r} "
            f"(known: {', '.join(playbook_ids)})"
        )
