"""The ``--force`` option shared by every command that writes a file.

The checks themselves live in :mod:`kamcoach.io.safe_write`; commands only
declare the option here so its name and help read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def force_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--force",
        is_flag=True,
        help="Overwrite the output file if it exists (never the database or an input file).",
    )
