"""The PostgreSQL side of `bench/events.py`: services against raw psycopg, 1 and N processes."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from typing import Any

from sqlalchemy import create_engine, text

RAW_SCHEMA = """
CREATE TABLE dossier (id SERIAL PRIMARY KEY, reference TEXT UNIQUE, state TEXT, version INT,
                      updated_at TIMESTAMP);
CREATE TABLE audit (id SERIAL PRIMARY KEY, dossier_id INT, action TEXT, event TEXT,
                    from_state TEXT, to_state TEXT, at TIMESTAMP, actor TEXT, data TEXT);
CREATE TABLE outbox (id SERIAL PRIMARY KEY, dedup_key TEXT UNIQUE, message_id TEXT,
                     recipient TEXT, subject TEXT, text TEXT, html TEXT, status TEXT);
"""


def schema_url(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(base).begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base else "?"
    return schema, f"{base}{separator}options=-csearch_path%3D{schema}"


def drop(base: str, schema: str) -> None:
    with create_engine(base).begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def _services_worker(barrier: Any, url: str, references: list[str]) -> None:
    from notifications.render import render
    from tests.helpers import INSTRUCTOR, at
    from workflow import events
    from workflow.db import UnitOfWork, engine_for
    from workflow.dossiers import Request

    engine = engine_for(url)
    barrier.wait()  # imported and connected: the clock starts now
    for reference in references:
        with UnitOfWork(engine, write=True, render=render) as uow:
            events.start_instruction(uow, Request(reference, INSTRUCTOR["29"],
                                                  at("2021-05-10 09:00")))
            uow.commit()


def _raw_worker(barrier: Any, dsn: str, schema: str, numbers: list[int]) -> None:
    import psycopg

    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as connection:
        barrier.wait()
        for n in numbers:
            with connection.transaction():
                row = connection.execute("SELECT id, state, version FROM dossier "
                                         "WHERE reference = %s", (f"R-{n}",)).fetchone()
                assert row is not None
                updated = connection.execute(
                    "UPDATE dossier SET state = %s, version = version + 1, updated_at = now() "
                    "WHERE id = %s AND version = %s", ("instruction", row[0], row[2]))
                assert updated.rowcount == 1
                audit = connection.execute(
                    "INSERT INTO audit (dossier_id, action, event, from_state, to_state, at, "
                    "actor, data) VALUES (%s, %s, %s, %s, %s, now(), %s, %s) RETURNING id",
                    (row[0], "dossier.start_instruction", "start_instruction", row[1],
                     "instruction", "i@example.org", "{}")).fetchone()
                assert audit is not None
                connection.execute(
                    "INSERT INTO outbox (dedup_key, message_id, recipient, subject, text, html, "
                    "status) VALUES (%s, %s, %s, 's', 't', 'h', 'queued')",
                    (f"audit:{audit[0]}", f"<{n}@x>", "o@example.org"))


def _run(target: Any, shares: list[tuple[Any, ...]]) -> float:
    """Seconds from the moment every worker is ready (imports done) to the last one's end."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shares) + 1)
    processes = [context.Process(target=target, args=(barrier, *share)) for share in shares]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for process in processes:
        process.join()
        assert process.exitcode == 0
    return time.perf_counter() - started


def services(base: str, count: int, processes: int) -> float:
    from tests.helpers import Desk, form, make_engine

    schema, url = schema_url(base)
    try:
        engine = make_engine(url)
        desk = Desk(engine)
        references = [desk.submit(form(applicant={"department": "29"}))
                      for _ in range(count * processes)]
        engine.dispose()
        shares = [(url, references[p::processes]) for p in range(processes)]
        return count * processes / _run(_services_worker, shares)
    finally:
        drop(base, schema)


def raw(base: str, count: int, processes: int) -> float:
    from sqlalchemy.engine import make_url

    schema, _ = schema_url(base)
    dsn = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        import psycopg

        with psycopg.connect(dsn, options=f"-csearch_path={schema}", autocommit=True) as conn:
            conn.execute(RAW_SCHEMA)
            with conn.cursor() as cursor:
                cursor.executemany("INSERT INTO dossier (reference, state, version) "
                                   "VALUES (%s, 'submitted', 1)",
                                   [(f"R-{n}",) for n in range(count * processes)])
        numbers = list(range(count * processes))
        shares = [(dsn, schema, numbers[p::processes]) for p in range(processes)]
        return count * processes / _run(_raw_worker, shares)
    finally:
        drop(base, schema)
