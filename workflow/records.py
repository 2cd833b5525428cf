"""The tables of the engine's own work: the outbox, due work, frozen minutes, reference counters.

Apart from the dossier's tables (workflow.models) so that a command that only reads dossiers,
such as `dossier show`, does not build them at start-up; every table is registered before a
schema is created or compared (workflow.db.create_schema, the migrations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from workflow.models import _json, _utc


class Outbox(SQLModel, table=True):
    __table_args__ = (Index("ix_outbox_status", "guichet_id", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    guichet_id: str = Field(foreign_key="guichet.id")  # whose From, relay and templates
    dedup_key: str = Field(unique=True)
    message_id: str = Field(unique=True)
    recipient: str
    subject: str
    text: str
    html: str
    ics: str | None = None
    attachment_name: str | None = None
    attachment: str | None = None  # text (CSV) attached to the message
    reference: str | None = None
    kind: str
    status: str = "queued"  # held, queued, inflight, retrying, sent, dead
    held_session_id: int | None = Field(default=None, foreign_key="committee_session.id")
    attempts: int = 0
    last_error: str | None = None
    claimed_at: datetime | None = _utc(nullable=True)
    next_attempt_at: datetime = _utc()
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)


class ReferenceCounter(SQLModel, table=True):
    __tablename__ = "reference_counter"
    guichet_id: str = Field(primary_key=True, foreign_key="guichet.id")
    year: int = Field(primary_key=True)
    last: int = 0


class DueWork(SQLModel, table=True):
    """A piece of scheduled work: unique on its key, claimed once by a conditional update."""

    __tablename__ = "due_work"
    __table_args__ = (
        Index("ix_due_work_pending", "status", "due_at"),  # the tick of every guichet
        Index("ix_due_work_guichet", "guichet_id", "status", "due_at"),  # one guichet's
    )
    id: int | None = Field(default=None, primary_key=True)
    guichet_id: str = Field(foreign_key="guichet.id")
    key: str = Field(unique=True)  # kind:dossier:session:period, monthly_list:guichet:month
    kind: str
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="committee_session.id", index=True)
    period: str = ""
    due_at: datetime = _utc()
    status: str = "pending"  # pending, done, cancelled, failed, expired
    done_at: datetime | None = _utc(nullable=True)
    error: str | None = None  # why a failed row failed


class Minutes(SQLModel, table=True):
    """The procès-verbal of a session as frozen at its close, with the hash that seals it."""

    session_id: int = Field(primary_key=True, foreign_key="committee_session.id")
    content: dict[str, Any] = _json()
    sha256: str
    frozen_at: datetime = _utc()


class WebhookDelivery(SQLModel, table=True):
    """One transition for one URL of the guichet's ``[[webhooks]]``, written in the same
    transaction as the transition, delivered later (notifications.webhooks)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_status", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    guichet_id: str = Field(foreign_key="guichet.id")
    url: str
    body: str  # the JSON sent, signed as it is
    status: str = "queued"  # queued, inflight, retrying, sent, dead, gone
    attempts: int = 0
    last_error: str | None = None
    claimed_at: datetime | None = _utc(nullable=True)
    next_attempt_at: datetime = _utc()
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)


class WebhookGone(SQLModel, table=True):
    """A URL whose receiver answered 410 Gone: it gets no more deliveries."""

    __tablename__ = "webhook_gone"
    guichet_id: str = Field(primary_key=True, foreign_key="guichet.id")
    url: str = Field(primary_key=True)
    at: datetime = _utc()
