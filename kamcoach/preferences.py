"""A user's own preferences, read from ``config.toml`` in the config folder.

Team rules (playbooks, flag thresholds, rates) live in team files that every
member shares; what belongs to one person (their name as the author of notes
and reviews, their e-mail) lives here, so two people sharing a team folder
never sign each other's notes.

    [user]
    name = "Camille Martin"
    email = "camille@example.com"

    [defaults]
    owner = "Camille Martin"      # --owner when a command is not given one
    playbook = "meddpicc"         # playbook of a deal added without one (else the team's)

    [interface]
    language = "fr"               # en or fr: headings, footer, help (default: from $LANG)

    [keys]                        # key overrides: binding id = key
    "deal.note" = "ctrl+n"

What the app remembers by itself (the theme) goes in a separate state file
(:mod:`kamcoach.state`), so this file and its comments are never rewritten.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kamcoach.errors import InputError
from kamcoach.paths import config_dir

#: Keys ``[user]`` accepts; anything else is a typo the user should hear about.
USER_KEYS = ("name", "email")
DEFAULTS_KEYS = ("owner", "playbook")
INTERFACE_KEYS = ("language",)
SECTIONS = ("user", "defaults", "interface", "keys")
LANGUAGES = ("en", "fr")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    email: str | None = None


def config_file() -> Path:
    return config_dir() / "config.toml"


@dataclass(frozen=True, slots=True)
class Preferences:
    """Everything config.toml says, validated; defaults when the file is absent."""

    user: User
    default_owner: str | None = None
    default_playbook: str | None = None
    #: "en" or "fr"; from ``$LANG`` when config.toml does not say.
    language: str = "en"
    #: Binding id ("deal.note", "app.help") -> key ("ctrl+n").
    keys: dict[str, str] = field(default_factory=dict)
    #: The file read (it may not exist).
    path: Path | None = None


def _read(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None


def _section(
    path: Path, data: dict[str, object], name: str, allowed: tuple[str, ...] | None
) -> dict[str, object]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise InputError(f"{path}: {name}: expected a table ([{name}])")
    if allowed is not None:
        unknown = sorted(set(section) - set(allowed))
        if unknown:
            raise InputError(
                f"{path}: {name}.{unknown[0]}: unknown key (allowed: {', '.join(allowed)})"
            )
    for key, value in section.items():
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{path}: {name}.{key}: expected a non-empty string")
    return section


def _env_language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def load_preferences(path: Path | None = None) -> Preferences:
    """config.toml read and checked: a missing file is normal (first run); a broken one
    is an error naming the file and key, never a silent fallback that would, say, sign
    notes with the wrong name or file deals under the wrong owner."""
    path = path or config_file()
    data = _read(path)
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise InputError(f"{path}: {unknown[0]}: unknown section (allowed: {', '.join(SECTIONS)})")
    user = _section(path, data, "user", USER_KEYS)
    defaults = _section(path, data, "defaults", DEFAULTS_KEYS)
    interface = _section(path, data, "interface", INTERFACE_KEYS)
    keys = _section(path, data, "keys", None)
    language = str(interface.get("language", "")).strip().lower() or _env_language()
    if language not in LANGUAGES:
        raise InputError(
            f"{path}: interface.language: {language!r} is not one of {', '.join(LANGUAGES)}"
        )
    name = user.get("name") or os.environ.get("KAMCOACH_USER") or _login()
    email = user.get("email")
    owner = defaults.get("owner")
    playbook = defaults.get("playbook")
    return Preferences(
        user=User(name=str(name).strip(), email=str(email).strip() if email else None),
        default_owner=str(owner).strip() if owner else None,
        default_playbook=str(playbook).strip() if playbook else None,
        language=language,
        keys={str(k): str(v).strip() for k, v in keys.items()},
        path=path,
    )


def load_user(path: Path | None = None) -> User:
    """Who is using kamcoach: ``[user]`` in config.toml, else ``KAMCOACH_USER``, else the login."""
    return load_preferences(path).user


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME/USER
        return "me"
