"""The delivery side of the outbox: claim due rows, record each result, requeue and retry.

Each claim and each result is its own short transaction; sending happens outside any transaction,
so a crash leaves a row `inflight` (requeued later with the same Message-ID), never lost.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import col, select

from workflow.db import UnitOfWork, by_key
from workflow.errors import NotFound, Refused
from workflow.french import count_fr
from workflow.records import Outbox


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, and when to give up."""

    first_delay: timedelta = timedelta(minutes=1)
    longest_delay: timedelta = timedelta(hours=6)
    max_attempts: int = 10
    max_age: timedelta = timedelta(days=3)
    stuck_after: timedelta = timedelta(minutes=10)

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        base = min(self.first_delay * 2 ** max(attempts - 1, 0), self.longest_delay)
        return base * rng.uniform(0.5, 1.5)

    def retry_at(self, attempts: int, created_at: datetime, now: datetime,
                 rng: random.Random) -> datetime | None:
        """When to try a temporary failure again, or None: given up (too many tries, too old)."""
        if attempts < self.max_attempts and now - created_at < self.max_age:
            return now + self.delay(attempts, rng)
        return None


# The statuses of a message as people read them (the stored values stay in JSON).
STATUS_LABELS = {
    "held": "en attente de la clôture de séance",
    "queued": "en file",
    "inflight": "en cours d'envoi",
    "retrying": "à réessayer",
    "sent": "envoyé",
    "dead": "abandonné",
}


@dataclass(frozen=True)
class Claimed:
    """What the sender needs of a claimed row, detached from any session."""

    id: int
    recipient: str
    subject: str
    text: str
    html: str
    ics: str | None
    message_id: str
    created_at: datetime
    attempts: int
    attachment: tuple[str, str] | None = None


def _of(query: Any, guichet: str | None, model: Any = Outbox) -> Any:
    """``query`` on one guichet's rows, or on every guichet's when ``guichet`` is None."""
    return query if guichet is None else query.where(col(model.guichet_id) == guichet)


def requeue_stuck(engine: Engine, *, now: datetime, policy: RetryPolicy,
                  guichet: str | None = None, model: Any = Outbox) -> int:
    """Rows left `inflight` by a crashed sender go back to the queue (a message keeps its
    Message-ID); ``model``: the outbox, or the webhooks' deliveries."""
    with UnitOfWork(engine, write=True) as uow:
        result = uow.session.execute(_of(
            update(model)
            .where(col(model.status) == "inflight",
                   col(model.claimed_at) < now - policy.stuck_after), guichet, model)
            .values(status="retrying", next_attempt_at=now,
                    last_error="envoi interrompu (processus arrêté) : nouvel essai")
        )
        uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def take_due(session: Any, *, now: datetime, limit: int, guichet: str | None = None,
             model: Any = Outbox) -> list[Any]:
    """Up to ``limit`` due rows of ``model``, marked in flight in the caller's transaction
    (SKIP LOCKED where supported: two senders never take the same row)."""
    rows = session.exec(_of(
        select(model)
        .where(col(model.status).in_(["queued", "retrying"]),
               col(model.next_attempt_at) <= now), guichet, model)
        .order_by(col(model.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status, row.claimed_at, row.attempts = "inflight", now, row.attempts + 1
        session.add(row)
    return list(rows)


def claim(engine: Engine, *, now: datetime, limit: int,
          guichet: str | None = None) -> list[Claimed]:
    """Take up to ``limit`` due messages in one short transaction."""
    with UnitOfWork(engine, write=True) as uow:
        claimed = []
        for row in take_due(uow.session, now=now, limit=limit, guichet=guichet):
            assert row.id is not None
            attachment = (row.attachment_name, row.attachment) if (
                row.attachment_name and row.attachment is not None) else None
            claimed.append(Claimed(row.id, row.recipient, row.subject, row.text, row.html,
                                   row.ics, row.message_id, row.created_at, row.attempts,
                                   attachment))
        uow.commit()
    return claimed


def record_many(engine: Engine, results: list[tuple[Claimed, Any, datetime]], *,
                policy: RetryPolicy, rng: random.Random) -> list[tuple[str, str | None]]:
    """Store what the server said of each message, at the moment it said it, in one
    transaction: sent, retrying (with the next attempt time) or dead; returns each status and
    the error kept with it. Until it commits, the messages stay in flight: a crash before then
    sends them once more, with the same Message-ID."""
    done = []
    # A bare connection, not an ORM session: this runs for every message sent.
    with engine.execution_options(comite_write=True).begin() as connection:
        for message, (kind, reply), now in results:
            values: dict[str, Any] = {"claimed_at": None, "last_error": reply}
            later = (policy.retry_at(message.attempts, message.created_at, now, rng)
                     if kind == "temporary" else None)
            if kind == "sent":
                values.update(status="sent", sent_at=now, last_error=None)
            elif later is not None:
                values.update(status="retrying", next_attempt_at=later)
            else:
                values.update(status="dead")
                if kind == "temporary":
                    values["last_error"] = (
                        f"{reply} ; abandonné après {count_fr(message.attempts, 'essai')} en "
                        f"{count_fr((now - message.created_at).days, 'jour')}")
            connection.execute(update(Outbox).where(col(Outbox.id) == message.id,
                                                    col(Outbox.status) == "inflight")
                               .values(**values))
            done.append((str(values["status"]), values["last_error"]))
    return done


def listing(engine: Engine, *, status: str | None = None,
            guichet: str | None = None) -> list[dict[str, Any]]:
    with UnitOfWork(engine) as uow:
        query = _of(select(Outbox), guichet).order_by(col(Outbox.id))
        if status is not None:
            query = query.where(col(Outbox.status) == status)
        return [
            {"id": row.id, "to": row.recipient, "subject": row.subject, "status": row.status,
             "attempts": row.attempts, "message_id": row.message_id, "reference": row.reference,
             "kind": row.kind, "last_error": row.last_error,
             "next_attempt_at": row.next_attempt_at.isoformat() if row.status in (
                 "queued", "retrying") else None,
             "sent_at": row.sent_at.isoformat() if row.sent_at else None}
            for row in uow.session.exec(query)
        ]


def retry(engine: Engine, *, message: int, now: datetime, guichet: str | None = None,
          by: Any = None) -> None:
    """Requeue a dead message (same Message-ID), after someone fixed the cause; ``guichet``, when
    given, is the only one whose messages may be requeued. On the site ``by`` is who asks: a
    coordinator of that guichet (the command line is the operator's, and names nobody)."""
    if by is not None:
        from workflow.context import require_coordinator

        require_coordinator(by)
    with UnitOfWork(engine, write=True) as uow:
        row = by_key(uow.session, Outbox, message)
        if row is None or guichet not in (None, row.guichet_id):
            raise NotFound(f"aucun message n°{message}"
                           + (f" dans le guichet « {guichet} »" if guichet else ""), field="ID")
        if row.status != "dead":
            raise Refused(f"le message n°{message} est « {row.status} » : seul un message "
                          "abandonné (dead) peut être relancé")
        row.status, row.next_attempt_at, row.attempts = "retrying", now, 0
        uow.session.add(row)
        uow.commit()
