"""Reading a row id or a name typed by a user.

One place decides what counts as an id, so every command that takes a deal
or account (``deals show``, ``deals analyze``, ``prep``...) agrees: decimal
digits only (those ``int`` reads), within SQLite's INTEGER range.
``str.isdigit`` is not enough: it accepts ``²``, which ``int`` refuses, and a
number past 2**63 - 1 cannot even be bound as a SQLite parameter. Anything else is not an id, so the caller looks it up as a name
and reports "no deal with id or name ..." in one line.
"""

from __future__ import annotations

SQLITE_MAX_INT = 2**63 - 1
"""The largest value a SQLite INTEGER (and so a rowid) can hold."""


def parse_id(text: str | int) -> int | None:
    """The row id ``text`` spells (0 to 2**63 - 1), or None when it is not one."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if 0 <= text <= SQLITE_MAX_INT else None
    value = str(text).strip()
    # Length first: 19 digits hold every valid id, and int() of a huge digit
    # string is slow (and refused past 4300 digits) for no benefit.
    if not value.isdecimal() or len(value.lstrip("0")) > 19:
        return None
    number = int(value)
    return number if number <= SQLITE_MAX_INT else None


def is_utf8(text: str) -> bool:
    """False for text no UTF-8 store can hold, so no stored name can match it.

    Python reads bytes of a command line that are not UTF-8 as lone
    surrogates (``surrogateescape``); SQLite refuses to bind such a string
    with a UnicodeEncodeError. A lookup by such a name simply finds nothing.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
