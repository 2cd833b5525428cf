"""The PostgreSQL side of `bench/events.py`: services against raw psycopg, and raw psycopg
composing each message (the most the services could reach), 1 and N processes, in alternating
rounds."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from bench.rounds import alternate
from bench.same_shape import composer, instruct, one_event, sample_message, submitted
from tests.helpers import postgres_schema


def _services_worker(barrier: Any, ended: Any, url: str, references: list[str]) -> None:
    from workflow.db import engine_for

    engine = engine_for(url)
    instruct(engine, references[:1])  # connected, statements and templates compiled
    barrier.wait()  # the clock starts now
    instruct(engine, references[1:])
    ended.put(time.perf_counter())


def _raw_worker(barrier: Any, ended: Any, dsn: str, references: list[str],
                message: tuple[str, str, str] | None) -> None:
    """The statements by hand; with no ``message``, each message composed (`composer`)."""
    import psycopg

    written = message if message is not None else composer()

    with psycopg.connect(dsn) as connection:
        for number, reference in enumerate(references):
            if number == 1:
                barrier.wait()  # after one event, as the services' side
            with connection.transaction():
                one_event(connection.execute, reference, written)
        ended.put(time.perf_counter())


def _run(target: Any, shares: list[tuple[Any, ...]]) -> float:
    """Seconds from the moment every worker is ready (imports done, connected) to the moment
    the last one has done its last event: each worker tells when (the monotonic clock is the
    machine's, the same in every process), so its exit is not counted."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shares) + 1)
    ended = context.Queue()
    processes = [context.Process(target=target, args=(barrier, ended, *share))
                 for share in shares]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    last = max(ended.get(timeout=600) for _ in processes)
    for process in processes:
        process.join()
        assert process.exitcode == 0
    return last - started


def pairs(base: str, count: int, rounds: int, processes: int,
          synchronous: str) -> list[tuple[float, ...]]:
    """Alternating rounds, each of ``count`` start_instruction per process on fresh dossiers:
    through our services, then by hand through psycopg, then by hand composing each message,
    each side on its own schema (the two by hand share one), with ``synchronous_commit`` as
    given (``off``: the commit waits for no disk)."""
    from psycopg.conninfo import make_conninfo
    from sqlalchemy.engine import make_url

    ours_url, ours_drop = postgres_schema(base)
    theirs_url, theirs_drop = postgres_schema(base)
    try:
        # each process's first event of a round warms it up, before the clock starts
        ours_references = submitted(ours_url, (count + 1) * processes * rounds)
        theirs_references = submitted(theirs_url, 2 * (count + 1) * processes * rounds)
        message = sample_message()
        # the schema and the setting travel in the URL's options, read by SQLAlchemy and libpq
        ours_url += f"%20-csynchronous_commit%3D{synchronous}"
        theirs_url += f"%20-csynchronous_commit%3D{synchronous}"
        given = make_url(theirs_url)
        dsn = make_conninfo(host=given.host, port=given.port, user=given.username,
                            password=given.password, dbname=given.database,
                            options=given.query["options"])
        size = (count + 1) * processes

        def ours(number: int) -> float:
            share = ours_references[number * size:(number + 1) * size]
            return count * processes / _run(
                _services_worker, [(ours_url, share[p::processes]) for p in range(processes)])

        def by_hand(share: list[str], given: tuple[str, str, str] | None) -> float:
            return count * processes / _run(
                _raw_worker, [(dsn, share[p::processes], given) for p in range(processes)])

        def theirs(number: int) -> float:
            return by_hand(theirs_references[2 * number * size:(2 * number + 1) * size], message)

        def composing(number: int) -> float:
            return by_hand(theirs_references[(2 * number + 1) * size:(2 * number + 2) * size],
                           None)

        return alternate(ours, theirs, composing, rounds=rounds)
    finally:
        ours_drop()
        theirs_drop()
