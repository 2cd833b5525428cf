"""The staff pages against a bare Starlette handler that sends the same SQL and renders the
same template, in the same run, on a base of 10,000 dossiers.

    python bench/web.py [--dossiers 10000] [--requests 50] [--rounds 20]

Two pages: the dossier list (50 per page, one filter: a measure) and a dossier page. For each,
the statements the real route sends and the context it renders are caught on a first request;
the bare handler then replays those statements on a raw DBAPI connection and renders the same
template with that context: what is left between the two is the framework, the session and
CSRF middleware, the ORM and the rules. Both run in-process (httpx's ASGI transport, one
request at a time), in short alternating rounds (ours, bare, ours, bare…): the script prints
requests per second, p50 and p95 latency, the ratio of each pair of rounds and their median
(goal ≥ 0.5), which a slow moment of the machine moves far less than one long run's figure;
then the same for a route that does nothing, the framework's own floor.

The bare handler is a plain function, run in Starlette's thread pool as the site's routes run in
FastAPI's (see `bare`); the same handler as a coroutine holding the event loop is measured
beside it, the ratio against it printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402

from tests.helpers import COORDINATOR, EXAMPLE, at  # noqa: E402

PAGES = {"liste (50, une mesure)": "/g/bretagne-2021/dossiers?measure=3b",
         "dossier": "/g/bretagne-2021/dossiers/BZH-2021-05000"}


def base(folder: Path, count: int):
    """Bretagne with ``count`` dossiers, each with its submit in the history."""
    from notifications.render import render
    from workflow import guichet, loading
    from workflow.db import UnitOfWork, engine_for
    from workflow.migrate import upgrade

    url = f"sqlite:///{folder / 'web.db'}"
    engine = engine_for(url)
    upgrade(engine)
    source = EXAMPLE.read_text(encoding="utf-8")
    with UnitOfWork(engine, write=True, render=render) as uow:
        loading.load(uow, guichet.parse_text(source), source, now=at("2021-05-01 09:00"),
                     folder=str(EXAMPLE.parent))
        uow.commit()
    form = ('{"applicant": {"name": "Commune", "kind": "commune", "population": 1200, '
            '"siren": "212900096", "department": "29"}, "contact": {"first_name": "A", '
            '"last_name": "B", "email": "o@example.org"}, "presentation": "Un projet.", '
            '"stage": "idea", "commitment": true}')
    with engine.begin() as connection:
        connection.execute(text(f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
            INSERT INTO dossier (guichet_id, reference, revision, state, version, measure,
                department, applicant_name, applicant_kind, siren, title, title_key, owner_email,
                total_cost_cents, requested_cents, end_date, form, submitted_at, updated_at,
                population, link_key)
            SELECT 'bretagne-2021', printf('BZH-2021-%05d', i), 1, 'instruction', 1,
                (CASE i % 3 WHEN 0 THEN '3a' WHEN 1 THEN '3b' ELSE '3c' END),
                (CASE i % 4 WHEN 0 THEN '22' WHEN 1 THEN '29' WHEN 2 THEN '35' ELSE '56' END),
                'Commune ' || i, 'commune', '212900096', 'Projet ' || i, 'projet ' || i,
                'o@example.org', 2000000, 1500000, '2022-06-30', '{form}',
                '2021-05-03 08:00:00', '2021-05-03 08:00:00', 1200, hex(randomblob(9)) FROM n"""),
            {"count": count})
        connection.execute(text("""
            INSERT INTO audit (guichet_id, dossier_id, action, event, from_state, to_state, at,
                actor, data)
            SELECT guichet_id, id, 'dossier.submit', 'submit', NULL, 'submitted',
                '2021-05-03 08:00:00', 'o@example.org', '{}' FROM dossier"""))
    return engine


class Caught:
    """The statements a request sends and the template it renders, caught on the way."""

    def __init__(self, engine, templates) -> None:
        self.engine, self.templates = engine, templates
        self.statements: list[tuple[str, object]] = []
        self.template: tuple[str, dict] | None = None

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        self._original = self.templates.TemplateResponse

        def keep(request, name, context, **kwargs):
            self.template = (name, dict(context))
            return self._original(request, name, context, **kwargs)

        self.templates.TemplateResponse = keep
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        self.templates.TemplateResponse = self._original

    def _statement(self, _connection, _cursor, statement, parameters, _context, _many) -> None:
        if not statement.startswith("BEGIN"):  # the bare side begins its own transaction
            self.statements.append((statement, parameters))


def bare(engine, templates, caught: dict[str, Caught], *, on_loop: bool = False):
    """A Starlette app that, for each page, sends the caught statements on a raw connection and
    renders the caught template with the caught context.

    Its handler is a plain function, which Starlette runs in its thread pool as FastAPI runs the
    site's routes: a handler that blocks on the database must not hold the event loop, or one
    slow page stalls every other request. With ``on_loop``, the same handler as a coroutine that
    does hold the loop: the fastest this work can go, printed beside the goal, not as it."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    def handler(path: str):
        found = caught[path]
        name, context = found.template  # type: ignore[misc]
        template = templates.env.get_template(name)

        def answer(request):
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("BEGIN")  # as the site's unit of work does, on the driver
                for statement, parameters in found.statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                raw.rollback()
            finally:
                raw.close()
            return HTMLResponse(template.render({**context, "request": request}))

        async def answer_on_loop(request):
            return answer(request)

        return answer_on_loop if on_loop else answer

    return Starlette(routes=[Route(path.split("?")[0], handler(path)) for path in caught])


async def timings(app, path: str, count: int, cookie: str) -> list[float]:
    """``count`` requests for ``path``, one at a time, each carrying the logged-in person's
    cookie, as a browser sends it: the bare side gets the same request and ignores it."""
    import httpx2

    took = []
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app),
                                  base_url="http://bench", headers={"cookie": cookie}) as client:
        for _ in range(count):
            started = time.perf_counter()
            answer = await client.get(path)
            took.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.status_code
    return took


async def logged_in(app) -> str:
    """The coordinator's session cookie once settled: logged in, then a first page seen (which
    gives the session its form token), as a browser holds it after login. A cookie taken right
    after the login would have the site write a new one on every page."""
    import httpx2

    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app),
                                  base_url="http://bench") as client:
        page = await client.get("/connexion")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        await client.post("/connexion", data={"csrf": token, "email": COORDINATOR})
        first = await client.get("/g/bretagne-2021/dossiers")
        assert first.status_code == 200 and "set-cookie" in first.headers, first.status_code
        cookie = f"comite={client.cookies['comite']}"
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app),
                                  base_url="http://bench", headers={"cookie": cookie}) as client:
        settled = await client.get("/g/bretagne-2021/dossiers")
        assert settled.status_code == 200 and "set-cookie" not in settled.headers
    return cookie


def line(side: str, took: list[float]) -> float:
    rate = len(took) / sum(took)
    cuts = statistics.quantiles(took, n=20)
    print(f"  {side:<34} {rate:8.1f} req/s   p50 {statistics.median(took) * 1000:6.2f} ms"
          f"   p95 {cuts[18] * 1000:6.2f} ms")
    return rate


def report(label: str, rounds: list[tuple[list[float], list[float], list[float]]], *,
           bare: str = "Starlette nu, même SQL", goal: str = " (objectif ≥ 0,5)") -> None:
    """Each side's figures over all rounds, then the ratio of each pair of rounds (ours against
    the bare plain function, then against the bare coroutine) and their medians."""
    print(label)
    line("pages de comite", [t for ours, _, _ in rounds for t in ours])
    line(f"{bare} (def)", [t for _, theirs, _ in rounds for t in theirs])
    line(f"{bare} (async)", [t for _, _, on_loop in rounds for t in on_loop])
    ratios = [sum(theirs) / sum(ours) for ours, theirs, _ in rounds]
    fastest = [sum(on_loop) / sum(ours) for ours, _, on_loop in rounds]
    print(f"  rapports par manche : {' '.join(f'{r:.2f}' for r in ratios)}")
    print(f"  rapport médian {statistics.median(ratios):.2f}{goal} ; face au gestionnaire qui "
          f"tient la boucle : {statistics.median(fastest):.2f}")


def alternated(apps: tuple[object, object, object], path: str, count: int, rounds: int,
               cookie: str) -> list[tuple[list[float], list[float], list[float]]]:
    """``rounds`` rounds of ``count`` requests on each app in turn, after one round each to warm
    them up (not kept)."""
    for app in apps:
        asyncio.run(timings(app, path, count, cookie))
    return [tuple(asyncio.run(timings(app, path, count, cookie)) for app in apps)  # type: ignore[misc]
            for _ in range(rounds)]


def floor(app, cookie: str, count: int, rounds: int) -> None:
    """What the framework costs before any work: a route that answers "x" behind the site's
    middlewares (session, headers), against the same route on a bare Starlette."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    def nothing() -> PlainTextResponse:
        return PlainTextResponse("x")

    def bare_nothing(request) -> PlainTextResponse:
        return PlainTextResponse("x")

    async def bare_nothing_on_loop(request) -> PlainTextResponse:
        return PlainTextResponse("x")

    app.add_api_route("/bench-rien", nothing)
    plain = Starlette(routes=[Route("/bench-rien", bare_nothing)])
    on_loop = Starlette(routes=[Route("/bench-rien", bare_nothing_on_loop)])
    report("plancher : une route qui ne fait rien",
           alternated((app, plain, on_loop), "/bench-rien", count, rounds, cookie),
           bare="Starlette nu", goal="")


def main() -> None:
    from web.app import WebSettings, create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50, help="per round and side")
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = base(Path(folder), arguments.dossiers)
        app = create_app(WebSettings(engine, demo_login=True,
                                     clock=lambda: at("2021-06-01 10:00")))
        cookie = asyncio.run(logged_in(app))
        caught = {}
        for path in PAGES.values():
            with Caught(engine, app.state.templates) as seen:
                asyncio.run(timings(app, path, 1, cookie))
            caught[path] = seen
            print(f"{path} : {len(seen.statements)} requêtes SQL, gabarit {seen.template[0]}")
        plain = bare(engine, app.state.templates, caught)
        on_loop = bare(engine, app.state.templates, caught, on_loop=True)
        print(f"{arguments.dossiers} dossiers, {arguments.rounds} manches alternées de "
              f"{arguments.requests} requêtes par page et par côté")
        for label, path in PAGES.items():
            report(label, alternated((app, plain, on_loop), path, arguments.requests,
                                     arguments.rounds, cookie))
        floor(app, cookie, arguments.requests, arguments.rounds)


if __name__ == "__main__":
    main()
