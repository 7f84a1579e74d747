"""Keep CSV cells from running as spreadsheet formulas, and read our own cells back.

Why: a deal named ``=HYPERLINK("http://evil","click")`` or a note starting
with ``@SUM(...)`` becomes a live formula when a manager opens our CSV in
Excel or LibreOffice (CSV injection). As OWASP recommends, a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading single quote, which spreadsheets show as text. Real numbers (a
negative amount) are not text and stay numbers.

The quote is undone on import so ``kamcoach export`` -> ``kamcoach import``
gives back the same values: :func:`restore` is the exact inverse of
:func:`neutralise` (a text that already starts with quotes before a trigger
character gets one more quote, so nothing is ever lost).
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS = "=+-@\t\r"

_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")


def neutralise(value: Any) -> Any:
    """The cell to write: text that a spreadsheet would run gets a leading ``'``."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The value :func:`neutralise` was given, for a cell read back from a CSV."""
    if text[:1] == "'" and _QUOTED.match(text):
        return text[1:]
    return text
