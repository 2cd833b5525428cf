"""The PostgreSQL side of `bench/events.py`: services against raw psycopg, 1 and N processes."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from typing import Any

from sqlalchemy import create_engine, text


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


# The statements our service sends for one start_instruction, written by hand: the same tables,
# rows and round trips, with none of our Python in between (no ORM, guards or templates).
READ = """SELECT d.*, g.*, s.* FROM dossier d JOIN guichet g ON g.id = d.guichet_id
LEFT JOIN staff s ON s.guichet_id = g.id AND lower(s.email) = %s AND s.active
WHERE d.reference = %s"""
AUDIT = """INSERT INTO audit (dossier_id, action, event, from_state, to_state, at, actor, data)
VALUES (%s, 'dossier.start_instruction', 'start_instruction', %s, 'instruction', now(), %s,
'{}') RETURNING id"""
UPDATE = """UPDATE dossier SET state = 'instruction', version = version + 1, updated_at = now()
WHERE id = %s AND version = %s"""
OUTBOX = """INSERT INTO outbox (dedup_key, message_id, recipient, subject, text, html, reference,
kind, status, attempts, next_attempt_at, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, 'instruction_started', 'queued', 0, now(), now())"""


def _raw_worker(barrier: Any, dsn: str, schema: str, references: list[str],
                message: tuple[str, str, str]) -> None:
    import psycopg

    actor = "instructeur.29@example.org"
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as connection:
        barrier.wait()
        for reference in references:
            with connection.transaction():
                cursor = connection.execute(READ, (actor, reference))
                row = cursor.fetchone()
                assert row is not None
                names = [column.name for column in cursor.description or []]
                dossier: dict[str, Any] = {}
                for name, value in zip(names, row, strict=True):
                    dossier.setdefault(name, value)  # the dossier's columns come first
                audit = connection.execute(AUDIT, (dossier["id"], dossier["state"],
                                                   actor)).fetchone()
                assert audit is not None
                updated = connection.execute(UPDATE, (dossier["id"], dossier["version"]))
                assert updated.rowcount == 1
                connection.execute(OUTBOX, (f"audit:{audit[0]}:{dossier['owner_email']}",
                                            f"<{uuid.uuid4().hex}@bench.example.org>",
                                            dossier["owner_email"], *message, reference))


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


def _filled(base: str, count: int) -> tuple[str, str, list[str]]:
    """A schema of ours with the guichet loaded and ``count`` dossiers submitted."""
    from tests.helpers import Desk, form, make_engine

    schema, url = schema_url(base)
    engine = make_engine(url)
    desk = Desk(engine)
    references = [desk.submit(form(applicant={"department": "29"})) for _ in range(count)]
    engine.dispose()
    return schema, url, references


def services(base: str, count: int, processes: int) -> float:
    schema, url, references = _filled(base, count * processes)
    try:
        shares = [(url, references[p::processes]) for p in range(processes)]
        return count * processes / _run(_services_worker, shares)
    finally:
        drop(base, schema)


def raw(base: str, count: int, processes: int) -> float:
    from sqlalchemy.engine import make_url

    from notifications.render import render
    from notifications.samples import SAMPLES

    schema, _, references = _filled(base, count * processes)
    dsn = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    subject, text_part, html, _ = render("instruction_started", SAMPLES["instruction_started"])
    try:
        shares = [(dsn, schema, references[p::processes], (subject, text_part, html))
                  for p in range(processes)]
        return count * processes / _run(_raw_worker, shares)
    finally:
        drop(base, schema)
