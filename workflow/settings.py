"""Settings read from COMITE_* variables (and the global options) into one object, lazily."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import Engine

from workflow.clock import Clock, FixedClock, SystemClock, parse_instant
from workflow.errors import InvalidInput


@dataclass
class Settings:
    database_url: str | None = None
    now: str | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @cached_property
    def url(self) -> str:
        url = self.database_url or self.environ.get("COMITE_DATABASE_URL") or "sqlite:///comite.db"
        if "://" not in url:  # a bare path means a SQLite file
            url = f"sqlite:///{url}"
        return url

    @cached_property
    def clock(self) -> Clock:
        text = self.now or self.environ.get("COMITE_NOW")
        if not text:
            return SystemClock()
        try:
            return FixedClock(parse_instant(text))
        except ValueError:
            raise InvalidInput(f"« {text} » n'est pas une date ISO 8601 (ex. 2021-06-22T10:00)",
                               field="--now") from None

    def instant(self) -> datetime:
        return self.clock.now()

    def actor(self, given: str | None) -> str | None:
        return given or self.environ.get("COMITE_ACTOR") or None

    @cached_property
    def engine(self) -> Engine:
        from workflow.db import engine_for

        return engine_for(self.url)
