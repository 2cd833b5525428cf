"""Events per second through the HTTP API against the same events through the service layer,
in the same run, on the same kind of base.

    python bench/api.py [--events 400] [--clients 4] [--db URL]

Each side takes its own ``--events`` dossiers, just filed, and fires ``start_instruction`` on
each once, with ``--clients`` threads at a time: the API side through
``POST /api/v1/dossiers/REF/events/start_instruction`` (a personal token, ``If-Match``) to the
app under uvicorn on 127.0.0.1, with one HTTP client per thread; the service side by calling
``workflow.events.start_instruction`` in one unit of work per event. The two alternate in short
rounds; the script prints both rates and their ratio. Without ``--db``: SQLite files in a
temporary folder (each side its own base).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.same_shape import submitted  # noqa: E402


def _split(items: list[str], parts: int) -> list[list[str]]:
    return [items[number::parts] for number in range(parts)]


def _in_threads(work, batches: list[list[str]]) -> float:
    """Run ``work(batch)`` for each batch in its own thread; the seconds it took in all."""
    threads = [threading.Thread(target=work, args=(batch,)) for batch in batches]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def through_services(engine, references: list[str], clients: int) -> float:
    from notifications.render import render
    from tests.helpers import INSTRUCTOR, at
    from workflow import events
    from workflow.db import UnitOfWork
    from workflow.dossiers import Request

    def work(batch: list[str]) -> None:
        for reference in batch:
            with UnitOfWork(engine, write=True, render=render, channel="api") as uow:
                events.start_instruction(uow, Request(reference, INSTRUCTOR["29"],
                                                      at("2021-05-10 09:00"),
                                                      expected_version=1))
                uow.commit()

    return len(references) / _in_threads(work, _split(references, clients))


def through_api(base: str, token: str, references: list[str], clients: int) -> float:
    import httpx2

    def work(batch: list[str]) -> None:
        with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}",
                                                   "If-Match": '"1"'}) as client:
            for reference in batch:
                answer = client.post(f"/api/v1/dossiers/{reference}/events/start_instruction")
                assert answer.status_code == 200, answer.text

    return len(references) / _in_threads(work, _split(references, clients))


def main() -> None:
    from tests.helpers import INSTRUCTOR, Desk, at
    from tests.web.test_browser import serving
    from web.app import WebSettings, create_app
    from workflow import tokens
    from workflow.db import engine_for

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--db", default=None, help="PostgreSQL URL (default: SQLite files)")
    arguments = parser.parse_args()
    per_round = arguments.events // arguments.rounds
    drops = []  # the PostgreSQL schemas made for the run, dropped at its end
    with tempfile.TemporaryDirectory() as folder:
        def base(name: str) -> tuple[str, list[str]]:
            if arguments.db:
                from tests.helpers import postgres_schema

                url, drop = postgres_schema(arguments.db)
                drops.append(drop)
            else:
                url = f"sqlite:///{Path(folder) / name}.db"
            return url, submitted(url, per_round * arguments.rounds)

        api_url, api_refs = base("api")
        service_url, service_refs = base("services")
        api_engine, service_engine = engine_for(api_url), engine_for(service_url)
        _, secret = Desk(api_engine)._write(lambda uow: tokens.create(
            uow, email=INSTRUCTOR["29"], name="bench", now=at("2021-05-10 08:00")))
        app = create_app(WebSettings(api_engine, clock=lambda: at("2021-05-10 09:00")))
        api_rates, service_rates = [], []
        with serving(app) as address:
            for number in range(arguments.rounds):
                chunk = slice(number * per_round, (number + 1) * per_round)
                api_rates.append(through_api(address, secret, api_refs[chunk],
                                             arguments.clients))
                service_rates.append(through_services(service_engine, service_refs[chunk],
                                                      arguments.clients))
        engine = "PostgreSQL" if arguments.db else "SQLite"
        print(f"{engine}, {arguments.clients} clients, {arguments.rounds} manches alternées de "
              f"{per_round} événements par côté")
        api, service = statistics.median(api_rates), statistics.median(service_rates)
        print(f"  par l'API HTTP        {api:8.1f} événements/s (médiane des manches)")
        print(f"  par les services      {service:8.1f} événements/s")
        ratios = [a / s for a, s in zip(api_rates, service_rates, strict=True)]
        print(f"  rapport {statistics.median(ratios):.2f} (manches : "
              f"{', '.join(f'{r:.2f}' for r in ratios)})")
        api_engine.dispose()
        service_engine.dispose()
    for drop in drops:
        drop()


if __name__ == "__main__":
    main()
