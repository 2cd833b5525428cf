"""Delivering the outbox of every guichet of the base, each through its own `[smtp]` settings.

Each guichet's messages leave with its From address, through its relay (the COMITE_SMTP_*
variables override every guichet's alike). The guichets are read again at each round, so a
guichet loaded while `comite serve` runs gets its mail delivered without a restart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from notifications.outbox import Claimed
from notifications.smtp import Delivery, Mailer, SmtpMailer, SmtpSettings
from workflow import context
from workflow.db import UnitOfWork


def relays(engine: Engine, environ: Mapping[str, str],
           guichet: str | None = None) -> list[tuple[str, SmtpSettings]]:
    """Each guichet (or only ``guichet``) with the SMTP settings its messages leave with."""
    with UnitOfWork(engine, guichet=guichet) as uow:
        return [(loaded.id, SmtpSettings.from_sources(loaded.config.smtp.model_dump(), environ))
                for loaded in context.every_guichet(uow.session)]


@dataclass
class EveryGuichet:
    """One delivery round for each guichet in turn; totals added up."""

    engine: Engine
    environ: Mapping[str, str]
    clock: Callable[[], datetime]
    connections: int = 8
    report: Callable[[Claimed, str, str | None], None] | None = None
    guichet: str | None = None  # only this one
    mailer: Callable[[SmtpSettings], Mailer] = SmtpMailer

    async def run(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for guichet, smtp in relays(self.engine, self.environ, self.guichet):
            delivery = Delivery(self.engine, self._mailer(smtp), smtp.mail_from, self.clock,
                                connections=self.connections, report=self.report,
                                guichet=guichet)
            totals.update(await delivery.run())
        return totals

    def _mailer(self, smtp: SmtpSettings) -> Callable[[], Any]:
        return lambda: self.mailer(smtp)
