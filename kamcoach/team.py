"""Team settings: the bundled ``playbooks/team.toml`` plus the team's ``<config dir>/team.toml``.

What a whole team agrees on and no playbook holds (the playbook a new deal
gets when nobody names one; later the currencies it works in) lives in one
small file every member shares, next to ``flags.toml``. The team's file is
merged over the bundled one key by key, and both are validated strictly: an
unknown key or a playbook that does not exist is one error naming the file and
the dotted key, never a silently ignored typo that would score every imported
deal against the wrong playbook.

    [defaults]
    playbook = "meddpicc"
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kamcoach.errors import PlaybookError
from kamcoach.paths import config_dir, playbooks_dir
from kamcoach.team_files import merge_tables, read_toml

#: The file's name, bundled and in the config folder.
TEAM_FILE = "team.toml"


@dataclass(frozen=True, slots=True)
class TeamSettings:
    default_playbook: str
    """Playbook of a deal created or imported without one (``[defaults] playbook``)."""
    sources: tuple[Path, ...] = ()
    """The files read, bundled first: the last one holds the team's choices."""


def bundled_team_file() -> Path:
    return playbooks_dir() / TEAM_FILE


def team_settings_file() -> Path:
    return config_dir() / TEAM_FILE


Check = Callable[[Path, str, Any, Collection[str]], None]


def _playbook(path: Path, where: str, value: Any, known: Collection[str]) -> None:
    if not isinstance(value, str) or not value.strip():
        raise PlaybookError(path, where, f"expected a playbook id, got {value!r}")
    if value not in known:
        raise PlaybookError(
            path, where, f"unknown playbook {value!r} (known: {', '.join(sorted(known))})"
        )


#: section -> key -> check. Adding a setting is one line here and one field above.
SCHEMA: dict[str, dict[str, Check]] = {
    "defaults": {"playbook": _playbook},
}


def _validate(data: dict[str, Any], path: Path, known: Collection[str]) -> None:
    for section, body in data.items():
        keys = SCHEMA.get(section)
        if keys is None:
            raise PlaybookError(path, section, f"unknown key (allowed: {', '.join(SCHEMA)})")
        if not isinstance(body, dict):
            raise PlaybookError(path, section, f"expected a table ([{section}])")
        for key, value in body.items():
            where = f"{section}.{key}"
            check = keys.get(key)
            if check is None:
                raise PlaybookError(path, where, f"unknown key (allowed: {', '.join(keys)})")
            check(path, where, value, known)


def load_team_settings(
    playbook_ids: Collection[str] | None = None,
    *,
    bundled: Path | None = None,
    team: Path | None = None,
    use_team: bool = True,
) -> TeamSettings:
    """Read the bundled settings, then the team's file if it exists, each validated on its own.

    ``playbook_ids`` are the playbooks a default may name (the loaded
    playbooks when omitted), so a team file naming a playbook the team
    removed fails here, at start, not on the first deal created.
    """
    if playbook_ids is None:
        from kamcoach.playbooks.loader import load_playbooks

        playbook_ids = tuple(load_playbooks().playbooks)
    bundled = bundled or bundled_team_file()
    data = read_toml(bundled)
    _validate(data, bundled, playbook_ids)
    sources = [bundled]
    team = team if team is not None else (team_settings_file() if use_team else None)
    if team is not None and team.is_file():
        extra = read_toml(team)
        _validate(extra, team, playbook_ids)
        data = merge_tables(data, extra)
        sources.append(team)
    defaults = data.get("defaults", {})
    if "playbook" not in defaults:
        raise PlaybookError(bundled, "defaults.playbook", "missing required key")
    return TeamSettings(default_playbook=defaults["playbook"], sources=tuple(sources))
