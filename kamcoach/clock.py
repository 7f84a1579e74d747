"""One place for "now", so reviews and flags can be reproduced.

``KAMCOACH_TODAY=YYYY-MM-DD`` pins the date (useful for tests, demos and for
replaying last week's pipeline review). The pinned value is checked here, and
once at CLI start-up (:func:`check_pinned_today`), so a typo or a date at the
edge of the calendar ends as one ``error:`` line: year 1 made the demo and the
coaching report subtract past ``date.min`` deep inside the date arithmetic.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time

from kamcoach.errors import InputError

TODAY_ENV = "KAMCOACH_TODAY"
EARLIEST_TODAY = date(1900, 1, 1)
LATEST_TODAY = date(2999, 12, 31)
"""Bounds of a pinned date: far from ``date.min``/``date.max``, so every
window the reviews compute (years of history, months ahead) stays in range."""


def _pinned() -> date | None:
    """The date ``KAMCOACH_TODAY`` pins, None when unset; InputError when unusable."""
    raw = os.environ.get(TODAY_ENV)
    if not raw:
        return None
    problem = (
        f"{TODAY_ENV}={raw!r}: expected a date YYYY-MM-DD between "
        f"{EARLIEST_TODAY.isoformat()} and {LATEST_TODAY.isoformat()}"
    )
    try:
        pinned = date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(problem) from None
    if not EARLIEST_TODAY <= pinned <= LATEST_TODAY:
        raise InputError(problem)
    return pinned


def check_pinned_today() -> None:
    """Raise InputError now if ``KAMCOACH_TODAY`` is set to something unusable."""
    _pinned()


def today() -> date:
    pinned = _pinned()
    if pinned is not None:
        return pinned
    return date.today()


def now() -> datetime:
    pinned = _pinned()
    if pinned is not None:
        return datetime.combine(pinned, time(12, 0), tzinfo=UTC)
    return datetime.now(UTC).replace(microsecond=0)


def iso_now() -> str:
    return now().strftime("%Y-%m-%dT%H:%M:%S")


def iso_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")
