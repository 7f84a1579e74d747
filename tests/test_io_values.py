"""Amount and date parsing for CRM exports: strict, locale-aware, never guessing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kamcoach.io.values import (
    AmbiguousDates,
    MixedDates,
    detect_date_style,
    parse_amount,
    parse_date,
    parse_datetime,
)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1 234,56 €", (1234.56, "EUR")),
        ("1\u00a0234\u00a0567,50\u00a0€", (1234567.5, "EUR")),
        ("1\u202f234,5 EUR", (1234.5, "EUR")),
        ("$1,234.56", (1234.56, "USD")),
        ("USD 1,000,000.00", (1000000.0, "USD")),
        ("1.234,56", (1234.56, None)),
        ("1,234", (1234.0, None)),
        ("1.234", (1234.0, None)),
        ("1.234.567", (1234567.0, None)),
        ("1,5", (1.5, None)),
        ("42000.5", (42000.5, None)),
        ("80000", (80000.0, None)),
        ("£ 12", (12.0, "GBP")),
        ("12EUR", (12.0, "EUR")),
        ("1'234.50 CHF", (1234.5, "CHF")),
        ("(1,200.00)", (-1200.0, None)),
        ("-5000", (-5000.0, None)),
    ],
)
def test_parse_amount_reads_every_locale(text: str, expected: tuple[float, str | None]) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["", "   ", None])
def test_parse_amount_empty_is_none(text: str | None) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    "text,reason",
    [
        ("EUR 12k", "not a number"),
        ("abc", "not a number"),
        ("12,3456", "without guessing"),
        ("1234,567", "without guessing"),
        ("1.2.3", "groups are not of three digits"),
        ("1,23.456,7", "unreadable"),
        ("12 - 15", "not a number"),
    ],
)
def test_parse_amount_refuses_what_it_cannot_read(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_amount(text)


def test_date_style_day_first_proved_by_one_value() -> None:
    style = detect_date_style(["03/04/2027", "25/03/2027", "2027-01-01"])
    assert style.order == "dmy"
    assert "25/03/2027" in style.reason


def test_date_style_month_first_proved_by_one_value() -> None:
    assert detect_date_style(["3/4/2027", "12/15/2026 2:30 PM"]).order == "mdy"


def test_date_style_ambiguous_file_is_reported_not_guessed() -> None:
    with pytest.raises(AmbiguousDates) as info:
        detect_date_style(["03/04/2027", "05/06/2027", ""])
    assert info.value.example == "03/04/2027"


def test_date_style_forced_order_wins() -> None:
    assert detect_date_style(["03/04/2027"], "mdy").order == "mdy"
    assert detect_date_style(["03/04/2027"], "dmy").order == "dmy"


def test_date_style_mixed_orders_are_refused() -> None:
    with pytest.raises(MixedDates):
        detect_date_style(["25/03/2027", "03/25/2027"])


def test_date_style_iso_and_dotted_and_same_day_month() -> None:
    assert detect_date_style(["2027-03-04", "2027-04-03T10:00:00Z"]).order == "iso"
    assert detect_date_style(["03.04.2027"]).order == "dmy"
    # 05/05 reads the same both ways: nothing to report.
    assert detect_date_style(["05/05/2027"]).order == "dmy"


@pytest.mark.parametrize(
    "text,order,expected",
    [
        ("2027-03-04", "dmy", date(2027, 3, 4)),
        ("03/04/2027", "dmy", date(2027, 4, 3)),
        ("03/04/2027", "mdy", date(2027, 3, 4)),
        ("04.03.2027", "mdy", date(2027, 3, 4)),  # dotted dates are always day-first
        ("4/3/27", "dmy", date(2027, 3, 4)),
    ],
)
def test_parse_date(text: str, order: str, expected: date) -> None:
    assert parse_date(text, order) == expected


def test_parse_datetime_with_times() -> None:
    assert parse_datetime("3/5/2024 2:30 PM", "mdy") == datetime(2024, 3, 5, 14, 30)
    assert parse_datetime("2024-03-05 10:12") == datetime(2024, 3, 5, 10, 12)
    assert parse_datetime("2024-03-05T10:00:00.000Z") == datetime(2024, 3, 5, 10, 0)
    assert parse_datetime("12/11/2026 09:30", "dmy") == datetime(2026, 11, 12, 9, 30)


@pytest.mark.parametrize("text", ["2027-02-30", "13/13/2027", "tomorrow", "2027-1"])
def test_parse_date_rejects_impossible_or_unknown(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text, "dmy")


def test_parse_amount_refuses_amounts_beyond_the_bound() -> None:
    """400 nines read as float infinity; anything above MAX_AMOUNT is refused either way."""
    assert parse_amount("1 000 000 000 000 000") == (1e15, None)
    for text in ("9" * 400, "1 000 000 000 000 001 €", "-" + "9" * 400, "$" + "9" * 320):
        with pytest.raises(ValueError, match="above the largest amount accepted"):
            parse_amount(text)
