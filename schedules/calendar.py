"""The guichet calendar as pure dates: French public holidays, business days, report periods and
due dates, month ends, and the dates hung off a committee session."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from states.periods import Quarter


@cache
def _holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.France(years=year))


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def next_business_day(day: date) -> date:
    """``day`` itself when it is a business day, else the first one after it."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def last_business_day(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    day = first_of_next - timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def report_periods(signed_on: date, end_date: date) -> list[Quarter]:
    """The quarters a laureate reports on: from the signature's to the planned end's."""
    quarter, last = Quarter.of(signed_on), Quarter.of(max(end_date, signed_on))
    periods = [quarter]
    while quarter < last:
        quarter = quarter.next()
        periods.append(quarter)
    return periods


def report_due(period: Quarter, days_after: int) -> date:
    """A report is due ``days_after`` the quarter's end, moved to a business day."""
    return next_business_day(period.last_day + timedelta(days=days_after))


def agenda_closes(session_day: date, days_before: int) -> date:
    return session_day - timedelta(days=days_before)
