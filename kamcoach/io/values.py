"""Parse the amounts and dates that CRM exports contain, strictly.

CRM exports are written by people in many locales: "1 234,56 €" from a
French Excel, "$1,234.56" from a US Salesforce org, "1.234,56" from a German
one. A wrong guess silently turns 1,234 euros into 1.234 euros, so these
parsers accept only forms they can read without doubt and raise
``ValueError`` with a short reason otherwise (the importer turns it into a
bad-row report). Dates are detected per file, not per value, because
"03/04/2025" alone cannot say whether it is March or April.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from kamcoach.domain.amounts import amount_problem

# ---------------------------------------------------------------- amounts

CURRENCY_SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "$": "USD",
    "US$": "USD",
    "£": "GBP",
    "¥": "JPY",
    "CHF": "CHF",
}

_SYMBOLS_LONGEST_FIRST = sorted(CURRENCY_SYMBOLS, key=len, reverse=True)
#: Digits with at most two decimals after a dot: no grouping, nothing to guess.
_PLAIN = re.compile(r"\d+(?:\.\d{1,2})?")
#: Comma-grouped thousands, optional one or two decimals after a dot.
_US_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")
_CODE = re.compile(r"[A-Z]{3}")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_NUMBER = re.compile(r"\d[\d.,]*")


def parse_amount(text: str | None) -> tuple[float, str | None] | None:
    """``"1 234,56 €"`` -> ``(1234.56, "EUR")``; empty -> ``None``; unreadable -> ValueError.

    Rules, chosen so no value is read two ways:
    - spaces, no-break spaces and apostrophes group thousands;
    - with both ``.`` and ``,`` the last one is the decimal mark;
    - a single ``.`` or ``,`` followed by exactly three digits groups thousands
      ("1,234" and "1.234" are 1234: CRM amounts never carry three decimals);
    - followed by one or two digits it is the decimal mark;
    - a currency symbol (€ $ £) or ISO code (EUR, USD...) may stand before or after;
    - "12k", words or several numbers are refused;
    - so are amounts beyond :data:`~kamcoach.domain.amounts.MAX_AMOUNT` either
      way (400 nines would otherwise be stored as infinity).
    """
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    negative = False
    body = raw
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body.startswith("-"):
        negative, body = True, body[1:].strip()
    currency: str | None = None
    if _PLAIN.fullmatch(body):  # "120000", "45000.5": most cells, read at once
        return _checked(float(body), raw, negative)
    # A symbol or code stands before or after the digits: none when both ends are digits.
    if not (body[:1].isdigit() and body[-1:].isdigit()):
        currency, body = _split_currency(body)
    body = body.strip()
    if body.startswith("-") and not negative:
        negative, body = True, body[1:]
    if _US_GROUPED.fullmatch(body):  # "120,000.00": what the general rules below read
        return _checked(float(body.replace(",", "")), raw, negative, currency)
    body = _SPACES.sub("", body)
    if not body or not _NUMBER.fullmatch(body):
        raise ValueError(f"amount {raw!r} is not a number")
    return _checked(_read_number(body, raw), raw, negative, currency)


def _split_currency(body: str) -> tuple[str | None, str]:
    """The currency a symbol or ISO code before or after the number names, and the rest."""
    for symbol in _SYMBOLS_LONGEST_FIRST:
        if body.startswith(symbol) or body.endswith(symbol):
            if symbol.isalpha() and not _standalone(body, symbol):
                continue
            rest = body[len(symbol) :] if body.startswith(symbol) else body[: -len(symbol)]
            return CURRENCY_SYMBOLS[symbol], rest
    head, tail = body[:3], body[-3:]
    if _CODE.fullmatch(head) and _standalone(body, head):
        return head, body[3:]
    if _CODE.fullmatch(tail) and _standalone(body, tail):
        return tail, body[:-3]
    return None, body


def _checked(
    value: float, raw: str, negative: bool, currency: str | None = None
) -> tuple[float, str | None]:
    problem = amount_problem(value)  # value has no sign here: the bound (or a NaN)
    if problem:
        shown = raw if len(raw) <= 24 else f"{raw[:20]}... ({len(raw)} characters)"
        raise ValueError(f"amount {shown!r} {problem}")
    return (-value if negative else value, currency)


def _standalone(body: str, code: str) -> bool:
    """A letter code counts only when separated from the digits ("EUR 12", "12 EUR", "12EUR")."""
    rest = body[len(code) :] if body.startswith(code) else body[: -len(code)]
    rest = rest.strip()
    return bool(rest) and (rest[0].isdigit() or rest[-1].isdigit() or rest[0] in "-(")


def _read_number(body: str, raw: str) -> float:
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, _, frac = body.rpartition(decimal)
        if decimal in whole or not _grouped(whole, group) or len(frac) > 2:
            raise ValueError(f"amount {raw!r} mixes separators in an unreadable way")
        return float(whole.replace(group, "") + "." + frac)
    mark = "." if dots else ("," if commas else "")
    if not mark:
        return float(body)
    count = dots or commas
    whole, _, frac = body.rpartition(mark)
    if count > 1:
        if not _grouped(body, mark):
            raise ValueError(f"amount {raw!r}: {mark!r} groups are not of three digits")
        return float(body.replace(mark, ""))
    if len(frac) == 3 and whole and len(whole) <= 3:
        return float(whole + frac)
    if 1 <= len(frac) <= 2 and whole:
        return float(whole + "." + frac)
    raise ValueError(f"amount {raw!r} cannot be read without guessing the decimal mark")


def _grouped(text: str, group: str) -> bool:
    parts = text.split(group)
    return (
        1 <= len(parts[0]) <= 3
        and all(p.isdigit() for p in parts)
        and all(len(p) == 3 for p in parts[1:])
    )


# ---------------------------------------------------------------- dates

DATE_ORDERS = ("dmy", "mdy")

_ISO = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_NUMERIC = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:,?[T ]+(\d{1,2})[:h](\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
)


@dataclass(frozen=True, slots=True)
class DateStyle:
    """How the dates of one file are written: ``iso`` only, or numeric ``dmy``/``mdy``."""

    order: str  # "dmy", "mdy" or "iso" (no numeric dates seen)
    reason: str  # why: shown to the user next to the mapping


class AmbiguousDates(ValueError):
    """Every numeric date in the file reads both as day/month and month/day."""

    def __init__(self, example: str) -> None:
        self.example = example
        super().__init__(example)


class MixedDates(ValueError):
    """Some dates can only be day-first and others only month-first."""

    def __init__(self, dmy_example: str, mdy_example: str) -> None:
        self.dmy_example = dmy_example
        self.mdy_example = mdy_example
        super().__init__(f"{dmy_example} / {mdy_example}")


_SEEN_MAX = 4096


@dataclass(slots=True)
class DateEvidence:
    """What the dates read so far prove about their day/month order.

    Fed one value at a time, so a file's dates can be judged while it is
    streamed; one per column, merged in column order, gives the same examples
    as reading the columns one after the other.
    """

    dmy_proof: str | None = None
    mdy_proof: str | None = None
    ambiguous: str | None = None
    dotted: bool = False
    numeric: bool = False
    #: Values already counted (adding one twice changes nothing); bounded.
    _seen: set[str] = field(default_factory=set, repr=False, compare=False)

    def add(self, value: str) -> None:
        seen = self._seen
        if value in seen:
            return
        if len(seen) >= _SEEN_MAX:
            seen.clear()
        seen.add(value)
        text = value.strip()
        if not text or _ISO.fullmatch(text):
            return
        match = _NUMERIC.fullmatch(text)
        if not match:
            return
        self.numeric = True
        first, sep, second = int(match.group(1)), match.group(2), int(match.group(3))
        self.dotted = self.dotted or sep == "."
        if first > 12 and second <= 12:
            self.dmy_proof = self.dmy_proof or text
        elif second > 12 and first <= 12:
            self.mdy_proof = self.mdy_proof or text
        elif first != second and first <= 12 and second <= 12:
            self.ambiguous = self.ambiguous or text

    def merge(self, other: DateEvidence) -> None:
        """Add ``other``'s evidence; this one's examples, read first, win."""
        self.dmy_proof = self.dmy_proof or other.dmy_proof
        self.mdy_proof = self.mdy_proof or other.mdy_proof
        self.ambiguous = self.ambiguous or other.ambiguous
        self.dotted = self.dotted or other.dotted
        self.numeric = self.numeric or other.numeric

    def style(self, forced: str | None = None) -> DateStyle:
        """The order the evidence proves; see :func:`detect_date_style`."""
        if forced is not None and forced not in DATE_ORDERS:
            raise ValueError(f"date format {forced!r} is not one of {', '.join(DATE_ORDERS)}")
        if forced:
            return DateStyle(forced, f"--date-format {forced}")
        if self.dmy_proof and self.mdy_proof:
            raise MixedDates(self.dmy_proof, self.mdy_proof)
        if self.dmy_proof:
            return DateStyle("dmy", f"day first ({self.dmy_proof!r} has a day above 12)")
        if self.mdy_proof:
            return DateStyle("mdy", f"month first ({self.mdy_proof!r} has a day above 12)")
        if self.dotted:
            return DateStyle("dmy", "day first (dotted dates)")
        if self.ambiguous:
            raise AmbiguousDates(self.ambiguous)
        if self.numeric:
            return DateStyle("dmy", "day and month never differ")
        return DateStyle("iso", "ISO (yyyy-mm-dd)")


def detect_date_style(values: Iterable[str], forced: str | None = None) -> DateStyle:
    """Look at every date of a file and decide how numeric dates are ordered.

    A value like "25/03/2025" proves day-first, "03/25/2025" proves month-first.
    Dotted dates ("25.03.2025") are day-first by convention. When nothing
    proves an order and some value would change meaning ("03/04/2025"),
    :class:`AmbiguousDates` is raised unless ``forced`` ("dmy"/"mdy") is given.
    """
    if forced is not None and forced not in DATE_ORDERS:
        raise ValueError(f"date format {forced!r} is not one of {', '.join(DATE_ORDERS)}")
    evidence = DateEvidence()
    for value in values:
        evidence.add(value)
    return evidence.style(forced)


def parse_datetime(text: str | None, order: str = "dmy") -> datetime | None:
    """Read one date (optionally with a time) in the file's ``order``; empty -> None."""
    if text is None or not text.strip():
        return None
    return _parse_datetime(text.strip(), order)


@lru_cache(maxsize=4096)
def _parse_datetime(raw: str, order: str) -> datetime:
    """Cached: an export repeats the same close dates on thousands of rows."""
    hour = minute = second = 0
    match = _ISO.fullmatch(raw)
    if match:
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if match.group(4):
            hour, minute = int(match.group(4)), int(match.group(5))
            second = int(match.group(6) or 0)
    else:
        match = _NUMERIC.fullmatch(raw)
        if not match:
            raise ValueError(
                f"date {raw!r} is not a date (expected YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY)"
            )
        first, second_part = int(match.group(1)), int(match.group(3))
        if match.group(2) == "." or order != "mdy":
            day, month = first, second_part
        else:
            month, day = first, second_part
        year = int(match.group(4))
        if year < 100:
            year += 2000
        if match.group(5):
            hour, minute = int(match.group(5)), int(match.group(6))
            second = int(match.group(7) or 0)
            half = (match.group(8) or "").lower()
            if half == "pm" and hour < 12:
                hour += 12
            elif half == "am" and hour == 12:
                hour = 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"date {raw!r} does not exist ({exc})") from None


def parse_date(text: str | None, order: str = "dmy") -> date | None:
    """Like :func:`parse_datetime` but keeps the day only."""
    moment = parse_datetime(text, order)
    return moment.date() if moment else None


def parse_percent(text: str) -> float:
    """A win probability as a percent: "20", "20 %", "20,5%" or a fraction "0.2".

    CRMs export probabilities either way (Salesforce "Probability (%)" as 20,
    HubSpot's deal probability as 0.2): a number with a decimal separator and
    no percent sign that is at most 1 is read as a fraction.
    """
    raw = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    percent = raw.endswith("%")
    number = raw.rstrip("%").strip().replace(",", ".")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a probability") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} is not a probability")
    if not percent and "." in number and 0 <= value <= 1:
        value *= 100
    if not 0 <= value <= 100:
        raise ValueError(f"{text!r} is not between 0 and 100 %")
    return value
