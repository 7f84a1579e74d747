"""A user's own preferences, read from ``config.toml`` in the config folder.

Team rules (playbooks, flag thresholds, rates) live in team files that every
member shares; what belongs to one person (their name as the author of notes
and reviews, their e-mail) lives here, so two people sharing a team folder
never sign each other's notes.

    [user]
    name = "Camille Martin"
    email = "camille@example.com"
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kamcoach.errors import InputError
from kamcoach.paths import config_dir

#: Keys ``[user]`` accepts; anything else is a typo the user should hear about.
USER_KEYS = ("name", "email")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    email: str | None = None


def config_file() -> Path:
    return config_dir() / "config.toml"


def load_user(path: Path | None = None) -> User:
    """Who is using kamcoach: ``[user]`` in config.toml, else ``KAMCOACH_USER``, else the login.

    A missing file is normal (first run); a broken one is an error naming the
    file and key, never a silent fallback that would sign notes with the wrong name.
    """
    path = path or config_file()
    data: dict[str, object] = {}
    if path.is_file():
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not valid TOML ({exc})") from None
    section = data.get("user", {})
    if not isinstance(section, dict):
        raise InputError(f"{path}: user: expected a table ([user])")
    unknown = sorted(set(section) - set(USER_KEYS))
    if unknown:
        raise InputError(
            f"{path}: user.{unknown[0]}: unknown key (allowed: {', '.join(USER_KEYS)})"
        )
    for key in USER_KEYS:
        value = section.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InputError(f"{path}: user.{key}: expected a non-empty string")
    name = section.get("name") or os.environ.get("KAMCOACH_USER") or _login()
    email = section.get("email")
    return User(name=str(name).strip(), email=str(email).strip() if email else None)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME/USER
        return "me"
