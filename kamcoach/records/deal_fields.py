"""What a user typed for a deal's fields, checked and turned into stored values.

Shared by creation and edits (:mod:`kamcoach.records.deals`), so ``deals add``,
``deals edit`` and the TUI's form refuse the same values with the same words,
before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import Any

from kamcoach.domain.stages import DEAL_TYPES, STAGES
from kamcoach.errors import InputError
from kamcoach.io.values import parse_amount
from kamcoach.storage import repo

#: The fields ``edit_deal`` changes, in the order the CLI and the form list them.
EDITABLE: tuple[str, ...] = (
    "stage",
    "amount",
    "currency",
    "close_date",
    "owner",
    "type",
    "playbook",
    "name",
)
#: What a closed deal still takes: corrections of what was sold, to whom, when.
EDITABLE_WHEN_CLOSED = frozenset({"amount", "currency", "close_date", "owner", "type", "name"})
_CURRENCY = re.compile(r"[A-Z]{3}")


def text_value(value: Any, what: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise InputError(f"{what} is empty")
    if not text.isprintable():
        raise InputError(f"{what} {text!r} holds a line break or a control character")
    return text


def need_reason(reason: str | None, why: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InputError(f"give a reason ({why})")
    return text


def _currency(value: Any) -> str:
    code = str(value or "").strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise InputError(f"currency {value!r} is not a 3-letter code like EUR")
    return code


def day(value: Any, what: str) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InputError(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None


def _playbook(value: Any, playbook_ids: Collection[str]) -> str:
    pid = str(value or "").strip()
    if pid not in playbook_ids:
        raise InputError(f"unknown playbook {pid!r} (known: {', '.join(sorted(playbook_ids))})")
    return pid


def check_fields(fields: dict[str, Any], playbook_ids: Collection[str]) -> dict[str, Any]:
    """Each field as stored, or InputError naming the first bad one (nothing written yet)."""
    clean: dict[str, Any] = {}
    written_in: str | None = None  # the currency an amount was typed with ("$50,000")
    for key, value in fields.items():
        if key == "stage":
            if value not in STAGES:
                raise InputError(f"unknown stage {value!r} (allowed: {', '.join(STAGES)})")
        elif key == "type":
            if value not in DEAL_TYPES:
                raise InputError(f"unknown deal type {value!r} (allowed: {', '.join(DEAL_TYPES)})")
        elif key == "amount":
            value, written_in = _amount(value)
        elif key == "currency":
            value = _currency(value)
        elif key == "close_date":
            value = day(value, "close date")
        elif key == "owner":
            value = text_value(value, "owner")
        elif key == "name":
            value = text_value(value, "deal name")
        elif key == "playbook":
            value = _playbook(value, playbook_ids)
        else:
            raise InputError(f"{key!r} cannot be edited (editable: {', '.join(EDITABLE)})")
        clean[key] = value
    if written_in is not None and clean.setdefault("currency", written_in) != written_in:
        raise InputError(
            f"amount {fields['amount']!r} is in {written_in} but the currency is "
            f"{clean['currency']}"
        )
    return clean


def _amount(value: Any) -> tuple[float, str | None]:
    """A number, or text as a CRM cell is read ("25 000", "1.234,56 €"); never negative."""
    currency = None
    if isinstance(value, str):
        try:
            parsed = parse_amount(value)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if parsed is None:
            raise InputError("amount is empty")
        value, currency = parsed
    repo.validate_deal_fields({"amount": value})
    amount = float(value)
    if amount < 0:
        raise InputError(f"amount {amount:g} is negative")
    return amount, currency


def _nocase(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass").lower()  # bytes.lower() folds ASCII only


def same_value(key: str, old: Any, new: Any) -> bool:
    """True when ``new`` is what the deal already holds (the same rep, in any case)."""
    if key == "amount":
        return old is not None and abs(float(old) - float(new)) < 0.005
    if key == "owner":  # as reps.name COLLATE NOCASE compares: ASCII letters only
        return _nocase(str(old or "").strip()) == _nocase(str(new))
    return bool(old == new)
