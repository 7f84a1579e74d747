"""One place for "now", so reviews and flags can be reproduced.

``KAMCOACH_TODAY=YYYY-MM-DD`` pins the date (useful for tests, demos and for
replaying last week's pipeline review).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time


def today() -> date:
    pinned = os.environ.get("KAMCOACH_TODAY")
    if pinned:
        return date.fromisoformat(pinned)
    return date.today()


def now() -> datetime:
    pinned = os.environ.get("KAMCOACH_TODAY")
    if pinned:
        return datetime.combine(date.fromisoformat(pinned), time(12, 0), tzinfo=UTC)
    return datetime.now(UTC).replace(microsecond=0)


def iso_now() -> str:
    return now().strftime("%Y-%m-%dT%H:%M:%S")


def iso_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")
