"""The one clock of the engine: the real one, or a fixed instant to replay a past campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    instant: datetime

    def now(self) -> datetime:
        return self.instant


# The days the engine can store and compute with (calendars, reminders, lists), whatever is typed.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


class OutOfYears(ValueError):
    """A real day, but one the engine cannot work with: the message says the bounds."""


def within_years(day: date) -> date:
    """``day`` if the engine can work with it, else OutOfYears saying the bounds."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise OutOfYears(f"date hors des années possibles ({day.isoformat()} : de "
                         f"{FIRST_DAY.year} à {LAST_DAY.year})")
    return day


def read_day(text: str) -> date:
    """A day as people write it: ``2021-06-22`` or ``22/06/2021`` (ValueError otherwise)."""
    value = text.strip()
    if "/" in value:
        day, month, year = value.split("/")
        if len(year) != 4:
            raise ValueError(text)
        return within_years(date(int(year), int(month), int(day)))
    return within_years(date.fromisoformat(value))


def parse_day(text: str | None, field: str) -> date | None:
    """A date as people type it (``2021-06-22`` or ``22/06/2021``); the field names the culprit."""
    from workflow.errors import InvalidInput

    if text is None:
        return None
    try:
        return read_day(text)
    except ValueError:
        raise InvalidInput(f"« {text} » n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)",
                           field=field) from None


def parse_instant(text: str, tz: str = "Europe/Paris") -> datetime:
    """A day, with or without a time (``2021-05-04``, ``04/05/2021 10:00``,
    ``2021-05-04T10:00+02:00``), read in the guichet's timezone when it carries no offset."""
    value = text.strip()
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        day, _, clock = value.replace("T", " ", 1).partition(" ")
        instant = datetime.combine(read_day(day), time.fromisoformat(clock.strip()) if clock
                                   else time())
    within_years(instant.date())
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(tz))
    return instant.astimezone(UTC)


def local_day(instant: datetime, tz: str) -> date:
    return instant.astimezone(ZoneInfo(tz)).date()


def shown(instant: datetime, tz: str) -> str:
    """ISO 8601 with the guichet's offset."""
    return instant.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")
