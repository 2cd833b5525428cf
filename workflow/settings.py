"""Settings read from COMITE_* variables (and the global options) into one object, lazily."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from workflow.clock import Clock, FixedClock, SystemClock, parse_instant
from workflow.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class Settings:
    database_url: str | None = None
    now: str | None = None
    guichet: str | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @cached_property
    def url(self) -> str:
        url = self.database_url or self.environ.get("COMITE_DATABASE_URL") or "sqlite:///comite.db"
        if "://" not in url:  # a bare path means a SQLite file
            url = f"sqlite:///{url}"
        return url

    @cached_property
    def clock(self) -> Clock:
        # an empty --now is a mistake; an empty COMITE_NOW is the usual way to unset it
        text = self.now if self.now is not None else (self.environ.get("COMITE_NOW") or None)
        if text is None:
            return SystemClock()
        try:
            return FixedClock(parse_instant(text))
        except ValueError:
            raise InvalidInput(f"« {text} » n'est pas une date (2021-06-22, 22/06/2021, avec ou "
                               "sans heure : 2021-06-22T10:00)", field="--now") from None

    def instant(self) -> datetime:
        return self.clock.now()

    @property
    def guichet_id(self) -> str | None:
        """The guichet named by --guichet or COMITE_GUICHET; None lets a base of one choose."""
        if self.guichet is None:  # an empty COMITE_GUICHET is the usual way to unset it
            return (self.environ.get("COMITE_GUICHET") or "").strip() or None
        if not self.guichet.strip():
            raise InvalidInput("--guichet vide : donner l'identifiant d'un guichet (comite "
                               "guichet list)", field="--guichet")
        return self.guichet.strip()

    def choose_guichet(self, named: str) -> None:
        """--guichet given after the command: it must not contradict the one given before."""
        if self.guichet is not None and self.guichet.strip() != named.strip():
            raise InvalidInput(f"deux guichets donnés ({self.guichet}, {named}) : n'en donner "
                               "qu'un", field="--guichet")
        self.guichet = named

    def actor(self, given: str | None) -> str | None:
        return given or self.environ.get("COMITE_ACTOR") or None

    @cached_property
    def engine(self) -> Engine:
        from workflow.db import engine_for

        return engine_for(self.url)
