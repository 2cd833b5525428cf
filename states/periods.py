"""Calendar quarters as report periods (``2021-Q4``): pure date arithmetic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = re.fullmatch(r"(?!0000)(\d{4})-Q([1-4])", text.strip())  # no year 0 in a calendar
        if not match:
            raise ValueError(f"« {text} » n'est pas un trimestre (forme attendue : 2021-Q4)")
        return cls(int(match[1]), int(match[2]))

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.number}"
