"""The pure calendar, as tables: holidays, business days, month ends, report due dates."""

from __future__ import annotations

from datetime import date

import pytest

from schedules.calendar import (
    agenda_closes,
    is_business_day,
    last_business_day,
    next_business_day,
    report_due,
    report_periods,
)
from states.periods import Quarter


@pytest.mark.parametrize(("day", "business"), [
    (date(2021, 7, 14), False),   # fête nationale, a Wednesday
    (date(2021, 11, 1), False),   # Toussaint, a Monday
    (date(2021, 11, 11), False),  # Armistice, a Thursday
    (date(2022, 5, 26), False),   # Ascension
    (date(2022, 6, 6), False),    # lundi de Pentecôte
    (date(2021, 7, 13), True),
    (date(2021, 11, 12), True),
    (date(2021, 10, 16), False),  # a Saturday
    (date(2021, 10, 17), False),  # a Sunday
])
def test_business_days_know_french_public_holidays(day, business):
    assert is_business_day(day) is business


@pytest.mark.parametrize(("year", "month", "last"), [
    (2021, 7, date(2021, 7, 30)),    # the 31st is a Saturday
    (2021, 10, date(2021, 10, 29)),  # the 31st is a Sunday
    (2021, 12, date(2021, 12, 31)),
    (2022, 4, date(2022, 4, 29)),    # the 30th is a Saturday
    (2021, 6, date(2021, 6, 30)),
])
def test_last_business_day_of_the_month(year, month, last):
    assert last_business_day(year, month) == last


@pytest.mark.parametrize(("period", "due"), [
    ("2021-Q2", date(2021, 7, 15)),
    ("2021-Q3", date(2021, 10, 15)),
    ("2021-Q4", date(2022, 1, 17)),  # 15 January 2022 is a Saturday
    ("2022-Q1", date(2022, 4, 15)),
    ("2022-Q3", date(2022, 10, 17)),  # 15 October 2022 is a Saturday
])
def test_reports_are_due_fifteen_days_after_the_quarter_on_a_business_day(period, due):
    assert report_due(Quarter.parse(period), 15) == due


def test_a_due_date_on_a_holiday_moves_to_the_next_business_day():
    assert report_due(Quarter.parse("2021-Q4"), 0) == date(2021, 12, 31)
    assert next_business_day(date(2021, 11, 1)) == date(2021, 11, 2)
    assert next_business_day(date(2021, 7, 14)) == date(2021, 7, 15)


def test_report_periods_run_from_the_signature_quarter_to_the_end_quarter():
    periods = report_periods(date(2021, 7, 1), date(2022, 6, 30))
    assert [str(p) for p in periods] == ["2021-Q3", "2021-Q4", "2022-Q1", "2022-Q2"]
    assert [str(p) for p in report_periods(date(2021, 9, 30), date(2021, 9, 1))] == ["2021-Q3"]


def test_agenda_closes_days_before_the_session():
    assert agenda_closes(date(2021, 6, 22), 7) == date(2021, 6, 15)
