"""`comite serve`: APScheduler ticks every minute, the outbox is delivered continuously.

APScheduler only ticks: what is due lives in the database (due_work, outbox), so a tick that
runs late, twice, or in two processes still does each piece of work once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from schedules.jobs import tick
from workflow.db import Renderer

log = logging.getLogger("comite")


def one_line(error: Exception) -> str:
    first = str(error).strip().splitlines()
    return f"{type(error).__name__}: {first[0] if first else ''}"


def tick_job(engine: Engine, render: Renderer, clock: Callable[[], datetime],
             guichet: str | None = None) -> None:
    try:
        tick(engine, now=clock(), render=render, report=lambda done: log.info("tick : %s", done),
             guichet=guichet)
    except Exception as error:  # noqa: BLE001 - the next tick catches up on what this one missed
        log.error("tick : interrompu (%s) ; nouvel essai à la prochaine minute", one_line(error))


async def serve(engine: Engine, render: Renderer, clock: Callable[[], datetime],
                delivery: Any, *, poll_seconds: float = 5.0,
                stop: asyncio.Event | None = None, guichet: str | None = None,
                web: Any = None, hooks: Callable[[], dict[str, int]] | None = None) -> None:
    """Run until SIGTERM or SIGINT (or ``stop`` is set): tick every minute, deliver mail and
    the webhooks (``hooks``, run in a thread) meanwhile; every guichet of the base, or only
    ``guichet``; and serve the web app (``web``, a uvicorn server) beside them."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    scheduler = AsyncIOScheduler(job_defaults={"coalesce": True, "misfire_grace_time": None,
                                               "max_instances": 1})
    scheduler.add_job(tick_job, "interval", minutes=1, args=(engine, render, clock, guichet),
                      next_run_time=datetime.now().astimezone(), id="tick")
    scheduler.start()
    pages = asyncio.create_task(web.serve()) if web is not None else None
    log.info("comite serve : démarré")
    try:
        while not stop.is_set():
            try:
                totals = await delivery.run()
            except Exception as error:  # noqa: BLE001 - the service outlives a lost database
                # A database restart or a dropped connection: what was claimed stays in flight
                # and is taken back later (stuck_after); try again at the next round.
                log.error("courriels : interrompu (%s) ; nouvel essai dans %g s", one_line(error),
                          poll_seconds)
                totals = Counter()
            for status in ("sent", "retrying", "dead", "requeued"):
                if totals.get(status):
                    log.info("courriels : %s × %d", status, totals[status])
            if hooks is not None:
                try:
                    delivered = await asyncio.to_thread(hooks)
                except Exception as error:  # noqa: BLE001 - as for mail: next round
                    log.error("webhooks : interrompu (%s)", one_line(error))
                    delivered = {}
                for status, count in sorted(delivered.items()):
                    log.info("webhooks : %s × %d", status, count)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
    finally:
        if pages is not None:
            web.should_exit = True
            await pages
        scheduler.shutdown(wait=True)
        log.info("comite serve : arrêté proprement")
