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


def _raw_worker(barrier: Any, dsn: str, schema: str, references: list[str],
                message: tuple[str, str, str]) -> None:
    import psycopg

    from bench.same_shape import one_event

    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as connection:
        barrier.wait()
        for reference in references:
            with connection.transaction():
                one_event(connection.execute, reference, message)


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

    from bench.same_shape import sample_message

    schema, _, references = _filled(base, count * processes)
    dsn = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    message = sample_message()
    try:
        shares = [(dsn, schema, references[p::processes], message) for p in range(processes)]
        return count * processes / _run(_raw_worker, shares)
    finally:
        drop(base, schema)
