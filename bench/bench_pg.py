"""The PostgreSQL side of `bench/events.py`: services against raw psycopg, 1 and N processes."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from bench.same_shape import instruct, one_event, sample_message, submitted
from tests.helpers import postgres_schema


def _services_worker(barrier: Any, url: str, references: list[str]) -> None:
    from workflow.db import engine_for

    engine = engine_for(url)
    barrier.wait()  # imported and connected: the clock starts now
    instruct(engine, references)


def _raw_worker(barrier: Any, dsn: str, references: list[str],
                message: tuple[str, str, str]) -> None:
    import psycopg

    with psycopg.connect(dsn) as connection:
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


def services(base: str, count: int, processes: int) -> float:
    url, drop = postgres_schema(base)
    try:
        references = submitted(url, count * processes)
        shares = [(url, references[p::processes]) for p in range(processes)]
        return count * processes / _run(_services_worker, shares)
    finally:
        drop()


def raw(base: str, count: int, processes: int) -> float:
    from sqlalchemy.engine import make_url

    url, drop = postgres_schema(base)
    # libpq reads the schema from the URL's options, as SQLAlchemy does.
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        references, message = submitted(url, count * processes), sample_message()
        shares = [(dsn, references[p::processes], message) for p in range(processes)]
        return count * processes / _run(_raw_worker, shares)
    finally:
        drop()
