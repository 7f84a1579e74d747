"""Where kamcoach finds its bundled data and keeps the user's files.

The bundled ``playbooks/`` and ``data/`` folders live at the top of the source
checkout; a wheel carries them as ``kamcoach/_bundled/``. Looking in both places
lets the same code run from a checkout, an editable install and a wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

from kamcoach.errors import InputError

_PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    inside = _PACKAGE_DIR / "_bundled" / name
    if inside.is_dir():
        return inside
    checkout = _PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"kamcoach installation is incomplete: neither {inside} nor {checkout} exists"
    )


def playbooks_dir() -> Path:
    """The bundled playbooks folder."""
    return _bundled("playbooks")


def data_dir() -> Path:
    """The bundled data folder (demo pipeline)."""
    return _bundled("data")


def expand_user(path: str | Path, what: str = "path") -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded; InputError when that user is unknown.

    ``Path.expanduser`` raises a bare RuntimeError for ``~nosuchuser/x.db``
    (from ``--db`` or an environment variable); the user should read which
    value is wrong instead.
    """
    try:
        return Path(path).expanduser()
    except RuntimeError:
        head = str(path).split("/", 1)[0]
        raise InputError(
            f"{what} {str(path)!r}: cannot expand {head!r} (no such user or no home folder)"
        ) from None


def config_dir() -> Path:
    """The user's configuration folder (team playbooks, flag thresholds, mappings).

    ``KAMCOACH_CONFIG_DIR`` wins, then ``$XDG_CONFIG_HOME/kamcoach``, then
    ``~/.config/kamcoach``.
    """
    explicit = os.environ.get("KAMCOACH_CONFIG_DIR")
    if explicit:
        return expand_user(explicit, "KAMCOACH_CONFIG_DIR")
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return expand_user(base, "XDG_CONFIG_HOME") / "kamcoach"


def user_data_dir() -> Path:
    """The user's data folder, home of the default database."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return expand_user(base, "XDG_DATA_HOME") / "kamcoach"


def default_db_path() -> Path:
    """``KAMCOACH_DB`` if set, else ``kamcoach.db`` in the user's data folder."""
    explicit = os.environ.get("KAMCOACH_DB")
    if explicit:
        return expand_user(explicit, "KAMCOACH_DB")
    return user_data_dir() / "kamcoach.db"
