"""What the app remembers by itself between runs (the theme), kept apart from config.toml.

config.toml is the user's file, with their comments: the app never rewrites it.
Things the app learns on its own go in ``state.json`` in the state folder
(``$XDG_STATE_HOME/kamcoach``, else ``~/.local/state/kamcoach``; ``KAMCOACH_STATE_DIR``
wins). A missing or unreadable state file is not an error: the app starts from defaults
and the next save replaces it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from kamcoach.paths import expand_user


def state_dir() -> Path:
    explicit = os.environ.get("KAMCOACH_STATE_DIR")
    if explicit:
        return expand_user(explicit, "KAMCOACH_STATE_DIR")
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return expand_user(base, "XDG_STATE_HOME") / "kamcoach"


def state_file() -> Path:
    return state_dir() / "state.json"


def load_state(path: Path | None = None) -> dict[str, Any]:
    path = path or state_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember(key: str, value: Any, path: Path | None = None) -> bool:
    """Store ``key`` in the state file (atomic replace); False when it cannot be written.

    Failing to remember a theme must never stop the app, so errors are swallowed
    and reported by the return value only.
    """
    path = path or state_file()
    data = load_state(path)
    data[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        return False
    return True
