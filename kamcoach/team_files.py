"""Reading the team's TOML files (flag thresholds, team settings) and layering them.

A team file overrides the bundled one key by key; both are read the same way
and any problem is one :class:`PlaybookError` naming the file, so the two
loaders (``review.config`` for ``flags.toml``, ``team`` for ``team.toml``)
share these two functions instead of each keeping a copy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from kamcoach.errors import PlaybookError


def read_toml(path: Path) -> dict[str, Any]:
    """The table in ``path``; PlaybookError naming the file when it cannot be read or parsed."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise PlaybookError(path, "", f"cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(path, "", f"not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise PlaybookError(path, "", f"not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise PlaybookError(path, "", "not valid TOML (nested too deeply)") from None


def merge_tables(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on top, sub-tables merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged
