"""Money read as people type it, shown in French; quarters as report periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from states.money import AmountError, eur_fr, eur_json, parse_eur, share_of
from states.periods import Quarter


@pytest.mark.parametrize(("typed", "cents"), [
    ("5000", 500_000), ("5000.00", 500_000), ("5 000", 500_000), ("5000,50", 500_050),
    ("5\u202f000,5", 500_050), ("1 188 000 €", 118_800_000), (5000, 500_000),
    (Decimal("12.34"), 1234), ("0,01", 1),
])
def test_amounts_are_read_as_people_type_them(typed, cents):
    assert parse_eur(typed) == cents


@pytest.mark.parametrize("typed", ["abc", "5.000.00", "12,345", "", 1.5, True, "5e3"])
def test_unreadable_amounts_are_refused(typed):
    with pytest.raises(AmountError):
        parse_eur(typed)


def test_amounts_print_as_two_decimal_strings_and_french_text():
    assert eur_json(118_800_000) == "1188000.00"
    assert eur_json(None) is None
    assert eur_fr(123_456_78) == "123\u202f456,78 €"


def test_share_of_a_cost_rounds_down_to_the_cent():
    assert share_of(1001, Decimal("0.5")) == 500
    assert share_of(4_800_000, Decimal("1")) == 4_800_000


@pytest.mark.parametrize(("day", "quarter", "first", "last"), [
    (date(2021, 1, 1), "2021-Q1", date(2021, 1, 1), date(2021, 3, 31)),
    (date(2021, 7, 14), "2021-Q3", date(2021, 7, 1), date(2021, 9, 30)),
    (date(2021, 12, 31), "2021-Q4", date(2021, 10, 1), date(2021, 12, 31)),
])
def test_quarters_of_days(day, quarter, first, last):
    q = Quarter.of(day)
    assert (str(q), q.first_day, q.last_day) == (quarter, first, last)
    assert Quarter.parse(quarter) == q


def test_quarter_after_q4_is_next_years_q1():
    assert Quarter.parse("2021-Q4").next() == Quarter(2022, 1)


@pytest.mark.parametrize("text", ["2021-Q5", "2021Q1", "Q1-2021", "", "0000-Q1"])
def test_malformed_periods_are_refused(text):
    with pytest.raises(ValueError):
        Quarter.parse(text)


@pytest.mark.parametrize("text", ["0001-Q1", "0999-Q4", "2021-Q3", "9999-Q4"])
def test_a_quarter_reads_back_as_it_is_written(text):
    assert str(Quarter.parse(text)) == text
