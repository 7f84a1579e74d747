"""Matching a typed search against names, the way a user expects from ``/`` in a list.

Each word of the query must appear somewhere in one of the fields (deal name,
account, owner...), in any order, ignoring case and accents: "trac lyon" finds
"Traçabilité – entrepôts Lyon". Plain substrings rather than fuzzy scores, so
the rows kept are predictable and "3 of 42" never hides a row the user can see
the words of. Interface-neutral: the TUI and the core filters share it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any


def fold(text: object) -> str:
    """``text`` lower-cased without accents ("Traçabilité" -> "tracabilite")."""
    decomposed = unicodedata.normalize("NFKD", "" if text is None else str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_terms(query: str) -> list[str]:
    """The words of a query, folded: each must appear for a row to match."""
    return fold(query).split()


def haystack(fields: Iterable[object]) -> str:
    """A row's searchable fields folded into one string (callers may keep it between keys)."""
    return "\x00".join(fold(f) for f in fields)


def matcher(query: str) -> Callable[[Iterable[object]], bool]:
    """A test of one row's fields against ``query`` (an empty query keeps every row)."""
    terms = search_terms(query)

    def matches(fields: Iterable[object]) -> bool:
        if not terms:
            return True
        text = haystack(fields)
        return all(term in text for term in terms)

    return matches


def sort_key(value: object) -> tuple[int, Any]:
    """Order any cell value: numbers and dates as such, text without case or accents,
    empty values last (so a click on "Amount" never sorts "9k" after "10k")."""
    if value is None or value == "":
        return (2, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    if hasattr(value, "isoformat"):  # date, datetime
        return (0, value.isoformat())
    return (1, fold(value))
