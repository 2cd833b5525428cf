"""The tables. Money in integer cents, datetimes stored as UTC, one version column per dossier."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.orm import declared_attr
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, stored as naive UTC, aware UTC out: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every instant carries its offset")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _utc(**kwargs: Any) -> Any:
    nullable = kwargs.pop("nullable", False)
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, **kwargs))


def table(model: Any) -> Any:
    """The Core table behind a model, for reads and writes that need no ORM object."""
    return model.__table__


def _json(nullable: bool = False, kind: Any = JSON) -> Any:
    return Field(sa_column=Column(kind, nullable=nullable))


class KeptJSON(TypeDecorator[dict[str, Any]]):
    """JSON whose decoding is kept per process, by text: for a guichet's settings (its TOML,
    some kilobytes), which every transaction reads and only `init` changes. Each read gets its
    own copy of the top level. Where the driver decodes JSON itself (psycopg), it is a plain JSON.
    """

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        decode: Any = super().result_processor(dialect, coltype)
        if decode is None:
            return None
        kept = lru_cache(maxsize=256)(decode)  # a national base: a guichet per prefecture

        def process(value: Any) -> Any:
            return None if value is None else dict(kept(value))

        return process


class Guichet(SQLModel, table=True):
    # A reference (BZH-2021-0007) names its guichet by its prefix: one prefix, one guichet.
    __table_args__ = (Index("ix_guichet_reference_prefix", "reference_prefix", unique=True),)
    id: str = Field(primary_key=True)
    name: str
    reference_prefix: str
    timezone: str
    envelope_cents: int
    settings: dict[str, Any] = _json(kind=KeptJSON)
    loaded_at: datetime = _utc()


class Department(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("guichet_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    guichet_id: str = Field(foreign_key="guichet.id")
    code: str
    name: str
    contact_name: str
    contact_email: str


class Staff(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("guichet_id", "email"),)
    id: int | None = Field(default=None, primary_key=True)
    guichet_id: str = Field(foreign_key="guichet.id")
    email: str
    name: str
    role: str
    department: str | None = None
    active: bool = True


class CommitteeSession(SQLModel, table=True):
    __tablename__ = "committee_session"
    __table_args__ = (UniqueConstraint("guichet_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    guichet_id: str = Field(foreign_key="guichet.id")
    day: date
    state: str = "planned"
    moved_from: date | None = None
    sequence: int = 0  # bumped at each move, for the calendar invitation
    version: int = 1

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Dossier(SQLModel, table=True):
    __table_args__ = (
        Index("ix_dossier_state", "guichet_id", "state"),
        Index("ix_dossier_department", "guichet_id", "department"),
        Index("ix_dossier_siren", "guichet_id", "siren"),
        # Envelope sums. On PostgreSQL migration 0003 adds INCLUDE (awarded_cents), making them
        # an index-only scan; said here, that option would load the PostgreSQL dialect at every
        # start (17 ms), SQLite bases included.
        Index("ix_dossier_envelope", "guichet_id", "state", "department", "measure"),
    )
    # The ORM turns every update into a compare-and-swap on the version column.
    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
    id: int | None = Field(default=None, primary_key=True)
    guichet_id: str = Field(foreign_key="guichet.id")
    reference: str = Field(unique=True)
    revision: int = 1
    state: str = "submitted"
    version: int = 1
    measure: str
    department: str
    applicant_name: str
    applicant_kind: str
    population: int | None = None
    siren: str
    title: str
    title_key: str
    owner_email: str
    total_cost_cents: int
    requested_cents: int
    awarded_cents: int | None = None
    session_id: int | None = Field(default=None, foreign_key="committee_session.id")
    end_date: date
    signed_on: date | None = None
    form: dict[str, Any] = _json()
    submitted_at: datetime = _utc()
    updated_at: datetime = _utc()
    ds_number: str | None = Field(default=None, unique=True)
    # What the owner's links carry: a new one revokes every link sent so far (workflow.links).
    link_key: str | None = Field(default_factory=lambda: secrets.token_urlsafe(12))


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("session_id", "dossier_id"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="committee_session.id", index=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    position: int
    decision: str | None = None  # accept, request_revision, refuse, defer, withdraw
    decided_at: datetime | None = _utc(nullable=True)


class Audit(SQLModel, table=True):
    __table_args__ = (Index("ix_audit_guichet_event", "guichet_id", "event"),)
    id: int | None = Field(default=None, primary_key=True)
    guichet_id: str = Field(foreign_key="guichet.id")
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="committee_session.id", index=True)
    action: str  # dotted code: dossier.accept, session.move, guichet.load
    event: str
    from_state: str | None = None
    to_state: str | None = None
    at: datetime = _utc()
    actor: str
    reason: str | None = None
    data: dict[str, Any] = _json()
    channel: str | None = None  # cli, web, scheduler: set by the unit of work (workflow.db)


class Report(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("dossier_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    period: str
    progress: str
    percent_done: int
    end_date: date
    status: str
    companies: list[dict[str, Any]] = _json()
    received_at: datetime = _utc()


class SiteSecret(SQLModel, table=True):
    """The base's own secrets, made by its migrations: the key that signs the owners' links."""

    __tablename__ = "site_secret"
    name: str = Field(primary_key=True)
    value: str


class ApiToken(SQLModel, table=True):
    """A personal token for the HTTP API: shown once, kept as its SHA-256 (workflow.tokens)."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True)  # whose rights it carries: that person's, in each guichet
    name: str
    digest: str = Field(unique=True)
    shown: str  # its first characters, to recognise it in a list
    created_at: datetime = _utc()
    expires_at: datetime | None = _utc(nullable=True)
    last_used_at: datetime | None = _utc(nullable=True)
    revoked_at: datetime | None = _utc(nullable=True)
