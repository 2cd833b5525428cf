"""The one clock of the engine: the real one, or a fixed instant to replay a past campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
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


def parse_instant(text: str, tz: str = "Europe/Paris") -> datetime:
    """An ISO date or datetime; without an offset it is read in the guichet's timezone."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def local_day(instant: datetime, tz: str) -> date:
    return instant.astimezone(ZoneInfo(tz)).date()


def shown(instant: datetime, tz: str) -> str:
    """ISO 8601 with the guichet's offset."""
    return instant.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")
