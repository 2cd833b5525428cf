"""Engines and the unit of work: one transaction that rolls back unless committed.

On SQLite: WAL, a busy timeout, foreign keys, synchronous=FULL, and write transactions that begin
IMMEDIATE, so two writers queue instead of failing half-way with "database is locked".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session, SQLModel

from workflow import models  # noqa: F401  (registers the tables)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # on the driver: a statement that returns nothing needs no SQLAlchemy execution around it
        write = connection.get_execution_options().get("comite_write", False)
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


KEY_RANGE = range(-2**63, 2**63)  # what an integer key column holds, on either engine


def by_key(session: Session, model: Any, key: int) -> Any:
    """The row of ``model`` whose integer key is ``key``, or None: a number someone typed that no
    key column could hold (``outbox retry 99999999999999999999``) names no row either."""
    return session.get(model, key) if key in KEY_RANGE else None


def _nul_is_bad_input(context: Any) -> None:
    """PostgreSQL stores no NUL character (0x00) in a text: one that someone typed, in a URL, a
    form or a document, is bad input for every adapter (exit 2, HTTP 422), whichever statement
    met it first; nothing was written."""
    from workflow.errors import InvalidInput

    if "NUL (0x00)" in str(context.original_exception):
        raise InvalidInput("caractère NUL (0x00) dans ce qui a été saisi : rien n'a été "
                           "enregistré") from None


def _bad_db(why: str) -> Exception:
    from workflow.errors import InvalidInput

    return InvalidInput(why, field="--db")


def _sqlite_file_possible(database: str | None) -> None:
    """A SQLite base is a file: its folder must exist and the path must not be a folder."""
    from pathlib import Path

    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.is_dir():
        raise _bad_db(f"{database} est un dossier, pas un fichier de base SQLite")
    if not path.parent.is_dir():
        raise _bad_db(f"le dossier {path.parent} n'existe pas (base {database})")


@cache
def engine_for(url: str) -> Engine:
    """The engine of ``url``; a URL that names no usable database is bad usage of --db."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _bad_db(f"« {url} » n'est pas une URL de base (sqlite:///fichier.db ou "
                      "postgresql+psycopg://utilisateur@hôte/base)") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            _sqlite_file_possible(parsed.database)
            engine = create_engine(url, connect_args={"timeout": 30})
            _sqlite_setup(engine)
            return engine
        engine = create_engine(url, pool_pre_ping=True)
        event.listen(engine, "handle_error", _nul_is_bad_input)
        return engine
    except NoSuchModuleError:
        raise _bad_db(f"type de base inconnu « {parsed.drivername} » (sqlite ou "
                      "postgresql+psycopg)") from None
    except ModuleNotFoundError as missing:
        raise _bad_db(f"le pilote de « {parsed.drivername} » n'est pas installé "
                      f"({missing.name}) : utiliser sqlite ou postgresql+psycopg") from None


def insert_new(session: Session, model: Any, rows: list[dict[str, Any]], *,
               unique: str | tuple[str, ...]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: rows another process already wrote are left alone."""
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))
    keys = list(unique) if isinstance(unique, tuple) else [unique]
    session.execute(statement.on_conflict_do_nothing(index_elements=keys), rows)


def create_schema(engine: Engine) -> None:
    from workflow import records  # noqa: F401  (the engine's own tables, registered too)

    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:  # what migration 0006 puts in: the key of the owners' links
        import secrets

        insert_new(session, models.SiteSecret, [
            {"name": "owner_links", "value": secrets.token_urlsafe(32)}], unique="name")
        session.commit()


@event.listens_for(Session, "before_flush")
def _stamp_channel(session: Session, _context: Any, _instances: Any) -> None:
    """Every audit row says how its action came (the unit of work's channel): one place."""
    for row in session.new:
        if isinstance(row, models.Audit) and row.channel is None:
            row.channel = session.info.get("channel")


@dataclass
class PendingMessage:
    """A message to render and queue when the unit of work commits."""

    template: str
    context: dict[str, Any]
    recipient: str
    dedup_key: str
    reference: str | None = None
    created_at: datetime | None = None
    held_session_id: int | None = None
    ics: str | None = None
    attachment: tuple[str, str] | None = None  # (file name, text)
    mail_domain: str = "comite.example.org"
    templates: str | None = None  # the guichet's own templates folder, tried first
    guichet: str = ""  # whose message it is


# render(template, context, override=folder) -> subject, text, html, calendar invitation
Renderer = Callable[..., tuple[str, str, str, str | None]]


@dataclass
class UnitOfWork:
    """``with UnitOfWork(engine, write=True) as uow: ...; uow.commit()``: all or nothing.

    ``guichet`` is the guichet the work is about (``--guichet``); None means the base's only one.
    Services read it with ``workflow.context.guichet``."""

    engine: Engine
    write: bool = False
    render: Renderer | None = None
    guichet: str | None = None
    channel: str | None = None  # how the work came: cli, web, scheduler (the audit says it)
    session: Session = field(init=False)
    messages: list[PendingMessage] = field(default_factory=list)

    def __enter__(self) -> UnitOfWork:
        bind = self.engine.execution_options(comite_write=True) if self.write else self.engine
        self.session = Session(bind=bind, expire_on_commit=False, autoflush=True,
                               info={"guichet": self.guichet, "write": self.write,
                                     "channel": self.channel})
        self.session.begin()
        return self

    def __exit__(self, *exc: object) -> None:
        # Closing rolls back whatever was not committed; loaded objects stay readable.
        self.session.close()

    def queue(self, message: PendingMessage) -> None:
        self.messages.append(message)

    def commit(self) -> None:
        if self.messages:
            if self.render is None:
                raise RuntimeError("a unit of work that queues messages needs a renderer")
            from workflow.outbox import store_messages

            store_messages(self.session, self.messages, self.render)
            self.messages = []
        self.session.commit()
