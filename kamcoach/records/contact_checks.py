"""What a contact's values must look like before they are written.

Kept apart from the writes (:mod:`kamcoach.records.contacts`) because the CSV
import of contacts and the proposals read from notes check the same values:
one vocabulary, one e-mail rule, one idea of "the same person".
Every check raises :class:`InputError` with the value and what was expected.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from kamcoach.clock import today
from kamcoach.domain.ids import is_utf8
from kamcoach.domain.stages import BUYING_ROLES, INFLUENCE, STANCES
from kamcoach.errors import InputError

#: Longest name, title or e-mail kept (a CRM cell pasted whole is a mistake, not a name).
MAX_TEXT = 200

# One "@", something before it, a domain with a dot after it, no spaces or brackets:
# plausible, not RFC 5322 (a typo like "marc.lemaire@valmont" is what we catch).
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\".]+(\.[^@\s<>()\[\],;:\".]+)+$")


def clean_text(value: object, what: str, *, required: bool = False) -> str | None:
    """``value`` stripped; None when empty (an error when ``required``); one line only."""
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise InputError(f"{what} is empty")
        return None
    if not is_utf8(text):
        raise InputError(f"{what} {text!r} is not valid UTF-8 text")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text):
        raise InputError(f"{what} {text!r} holds a line break or control character")
    if len(text) > MAX_TEXT:
        raise InputError(f"{what} is {len(text)} characters long (at most {MAX_TEXT})")
    return text


def _word(value: object) -> str:
    """'Economic buyer', 'economic-buyer' -> 'economic_buyer' (how people type them)."""
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def _choice(value: object, allowed: tuple[str, ...], what: str) -> str | None:
    if value is None or not str(value).strip():
        return None
    word = _word(value)
    if word not in allowed:
        raise InputError(f"unknown {what} {str(value)!r} (allowed: {', '.join(allowed)})")
    return word


def buying_role(value: object) -> str:
    """A buying role; empty means 'unknown' (the contact's role is not known yet)."""
    return _choice(value, BUYING_ROLES, "buying role") or "unknown"


def deal_role(value: object) -> str | None:
    """A per-deal role override; empty means "as the contact's buying role" (None).

    'unknown' cannot override anything: leaving the role out says the same.
    """
    role = _choice(value, BUYING_ROLES, "deal role")
    if role == "unknown":
        raise InputError(
            "deal role 'unknown' overrides nothing: leave the deal role out to use "
            "the contact's buying role"
        )
    return role


def stance(value: object) -> str | None:
    return _choice(value, STANCES, "stance")


def influence(value: object) -> str | None:
    return _choice(value, INFLUENCE, "influence")


def email(value: object) -> str | None:
    text = clean_text(value, "e-mail")
    if text is None:
        return None
    if not _EMAIL.match(text):
        raise InputError(f"e-mail {text!r} does not look like name@company.tld")
    return text


def contact_date(value: object) -> str | None:
    """A last-contact date as ISO text (YYYY-MM-DD), never in the future."""
    if value is None or not str(value).strip():
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(f"last contact date {str(value)!r} is not YYYY-MM-DD") from None
    if day > today():
        raise InputError(f"last contact date {day.isoformat()} is in the future")
    return day.isoformat()


def same_person_key(name: str) -> str:
    """Accent-, case- and spacing-blind form of a name: 'Hélène  DUBOIS' == 'helene dubois'.

    Hyphens count as spaces ('Jean-Marc' == 'Jean Marc'): CRMs and people write both.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().replace("-", " ").split())
