"""Test drivers: a guichet on a throwaway database, dossier forms, and the desk that acts on them."""

from __future__ import annotations

import copy
import itertools
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import select
from stdnum import luhn

from notifications.render import render
from workflow import events, guichet, loading, sessions, views
from workflow.db import PendingMessage, UnitOfWork, create_schema, engine_for
from workflow.dossiers import Request, submit
from workflow.models import Audit, Dossier, Guichet
from workflow.records import Outbox

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "bretagne-2021.toml"
PARIS = ZoneInfo("Europe/Paris")

COORDINATOR = "coordination.sgar@example.org"
INSTRUCTOR = {code: f"instructeur.{code}@example.org" for code in ("22", "29", "35", "56")}
MEMBER = "membre.dinum@example.org"
# A PostgreSQL database for the tests that run there too (they skip without it).
POSTGRES = os.environ.get("COMITE_TEST_DATABASE_URL")
# `comite` as an installed command runs it, in a process of its own.
COMITE = [sys.executable, "-c", "from command_line.main import main; main()"]

_serial = itertools.count(10_000)


def at(text: str) -> datetime:
    """A Paris wall-clock time: ``at("2021-06-22 10:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def siren(prefix: int | None = None) -> str:
    """A fresh SIREN with a valid checksum."""
    body = f"{prefix if prefix is not None else 21_000_000 + next(_serial):08d}"
    return body + luhn.calc_check_digit(body)


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def form(**changes: Any) -> dict[str, Any]:
    """A valid dossier form (commune of the 29, measure 3c), with ``changes`` merged in."""
    base = json.loads((ROOT / "examples" / "dossiers" / "kerbras-3c.json").read_text())
    base["applicant"]["siren"] = siren()
    base["signed_on"] = "2021-05-02"
    return merge(base, changes)


def report(**changes: Any) -> dict[str, Any]:
    base = json.loads((ROOT / "examples" / "reports" / "2021-q4.json").read_text())
    return merge(base, changes)


def queue_messages(engine: Engine, recipients: list[str], *,
                   created_at: datetime | None = None) -> None:
    """One acknowledgement of receipt (its sample context) per recipient, queued in one go."""
    from notifications.samples import SAMPLES

    context = SAMPLES["submitted"]
    with UnitOfWork(engine, write=True, render=render) as uow:
        guichet = uow.session.exec(select(Guichet.id)).one()  # the base's guichet
        for n, recipient in enumerate(recipients):
            uow.queue(PendingMessage(template="submitted", context=context, recipient=recipient,
                                     dedup_key=f"test:{n}:{recipient}", guichet=guichet,
                                     reference=context["reference"],
                                     created_at=created_at or datetime.now(UTC)))
        uow.commit()


def wait_until(condition: Callable[[], bool], limit: float = 30.0, every: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``limit`` seconds have passed; what it last said."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
    return True


def postgres_schema(base: str) -> tuple[str, Callable[[], None]]:
    """A fresh schema in the PostgreSQL database ``base``: a URL whose tables live in it, and
    what drops it (with whatever this process pooled on that URL)."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options=-csearch_path%3D{schema}"

    def drop() -> None:
        engine_for(url).dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return url, drop


def make_engine(url: str) -> Engine:
    engine = engine_for(url)
    create_schema(engine)
    config, text = guichet.read(EXAMPLE)
    with UnitOfWork(engine, write=True, render=render) as uow:
        loading.load(uow, config, text, now=at("2021-05-01 09:00"), folder=str(EXAMPLE.parent))
        uow.commit()
    return engine


@dataclass
class Desk:
    """Acts on the guichet through the services, one transaction per call."""

    engine: Engine

    def _write(self, fn: Any) -> Any:
        with UnitOfWork(self.engine, write=True, render=render) as uow:
            result = fn(uow)
            uow.commit()
            return result

    def _read(self, fn: Any) -> Any:
        with UnitOfWork(self.engine) as uow:
            return fn(uow.session)

    def submit(self, data: dict[str, Any] | None = None, *, now: str = "2021-05-03 10:00",
               actor: str | None = None) -> str:
        data = data if data is not None else form()
        return self._write(lambda uow: submit(uow, data=data, file=None, actor=actor,
                                              now=at(now))).reference

    def fire(self, event: str, reference: str, *, actor: str, now: str, reason: str | None = None,
             expected_version: int | None = None, **arguments: Any) -> Dossier:
        request = Request(reference=reference, actor=actor, now=at(now), reason=reason,
                          expected_version=expected_version)
        service = getattr(events, event)
        return self._write(lambda uow: service(uow, request, **arguments))

    def session(self, command: str, day: str, *, now: str, actor: str = COORDINATOR,
                new_day: str | None = None) -> Any:
        service = getattr(sessions, "open_session" if command == "open" else command)
        extra = {"new_day": date.fromisoformat(new_day)} if new_day else {}
        return self._write(lambda uow: service(uow, day=date.fromisoformat(day), actor=actor,
                                               now=at(now), **extra))

    def show(self, reference: str) -> dict[str, Any]:
        return self._read(lambda s: views.dossier(s, reference))

    def budget(self) -> dict[str, Any]:
        return self._read(views.budget)

    def session_show(self, day: str) -> dict[str, Any]:
        return self._read(lambda s: views.session_show(s, date.fromisoformat(day)))

    def outbox(self) -> list[Outbox]:
        return self._read(lambda s: list(s.exec(select(Outbox).order_by(Outbox.id))))

    def audit_count(self) -> int:
        return self._read(lambda s: s.exec(select(func.count()).select_from(Audit)).one())

    # Shortcuts along the usual path ---------------------------------------------------------

    def scheduled(self, data: dict[str, Any] | None = None, *, day: str = "2021-06-22") -> str:
        data = data if data is not None else form()
        reference = self.submit(data)
        instructor = INSTRUCTOR[data["applicant"]["department"]]
        self.fire("start_instruction", reference, actor=instructor, now="2021-05-10 09:00")
        self.fire("schedule", reference, actor=instructor, now="2021-05-11 09:00",
                  session_day=date.fromisoformat(day))
        return reference

    def held(self, day: str = "2021-06-22") -> None:
        """Convene and open the session of ``day`` unless already done."""
        state = self.session_show(day)["state"]
        if state == "planned":
            self.session("convene", day, now=f"{day} 08:00")
            state = "convened"
        if state == "convened":
            self.session("open", day, now=f"{day} 09:00")

    def accepted(self, data: dict[str, Any] | None = None, *, amount: int = 1_000_000,
                 day: str = "2021-06-22") -> str:
        reference = self.scheduled(data, day=day)
        self.held(day)
        self.fire("accept", reference, actor=COORDINATOR, now=f"{day} 10:00", amount=amount,
                  reason="Projet exemplaire")
        return reference

    def in_follow_up(self, data: dict[str, Any] | None = None, *, amount: int = 1_000_000) -> str:
        """Accepted in June 2021, agreement signed on 1 July 2021 (recorded the next day)."""
        data = data if data is not None else form()
        reference = self.accepted(data, amount=amount)
        self.session("close", "2021-06-22", now="2021-06-22 12:00")
        instructor = INSTRUCTOR[data["applicant"]["department"]]
        self.fire("send_agreement", reference, actor=instructor, now="2021-06-25 10:00")
        self.fire("sign_agreement", reference, actor=instructor, now="2021-07-02 10:00",
                  signed_on=date(2021, 7, 1))
        return reference
