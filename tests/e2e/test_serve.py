"""`comite serve`: ticks, delivers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import time

import pytest

from tests.helpers import POSTGRES, Desk, make_engine, postgres_schema, wait_until
from tests.smtp_server import ScriptedHandler, SmtpServer


def _page(url: str) -> str:
    import urllib.request

    def up() -> bool:
        try:
            return urllib.request.urlopen(url, timeout=1).status == 200
        except OSError:
            return False

    assert wait_until(up)
    return urllib.request.urlopen(url).read().decode()


def test_serve_ticks_delivers_and_stops_cleanly_on_sigterm(engine, db_url, serve):
    desk = Desk(engine)
    desk.submit()
    handler = ScriptedHandler()
    with SmtpServer(handler) as server:
        process = serve(db_url, server.port, "2021-06-13T09:00")
        wait_until(lambda: len(handler.received) >= 4)
        site = _page(f"http://127.0.0.1:{process.web_port}/static/dsfr/VERSION")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert site.startswith("version 1.15.")  # the web app, served beside the rest
    subjects = [m["Subject"] for m in handler.received]
    assert any("Accusé de réception" in s for s in subjects)  # the outbox, delivered
    assert any("Ordre du jour" in s for s in subjects)  # June's agenda reminder, ticked
    assert "arrêté proprement" in err and "Traceback" not in err
    assert err.count("tick : agenda_closing (tâche n°") == 1


@pytest.mark.skipif(not POSTGRES, reason="COMITE_TEST_DATABASE_URL not set")
def test_serve_outlives_a_database_that_goes_away_and_comes_back(serve):
    """Its connections cut (as in a restart), then its tables gone for a while: the service says
    so in one line a round, keeps running, and delivers what is queued once they are back."""
    from sqlalchemy import create_engine, text

    url, drop = postgres_schema(POSTGRES)
    schema = url.rsplit("%3D", 1)[1]
    admin = create_engine(POSTGRES)

    def run(statement: str) -> int:
        with admin.begin() as connection:
            result = connection.execute(text(statement))
            return int(result.scalar() or 0) if result.returns_rows else 0

    try:
        desk = Desk(make_engine(url))
        desk.submit()
        handler = ScriptedHandler()
        with SmtpServer(handler) as server:
            process = serve(url, server.port, "2021-05-03T10:00",
                            PGAPPNAME="comite-serve-under-test")
            wait_until(lambda: len(handler.received) >= 1)
            cut = run("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE application_name = 'comite-serve-under-test'")
            run(f"ALTER SCHEMA {schema} RENAME TO {schema}_away")
            time.sleep(1.0)  # a few delivery rounds against missing tables
            run(f"ALTER SCHEMA {schema}_away RENAME TO {schema}")
            desk.submit(now="2021-05-03 10:00")
            wait_until(lambda: len(handler.received) >= 2)
            alive = process.poll() is None
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
    finally:
        admin.dispose()
        drop()
    assert cut >= 1 and alive, err
    assert len(handler.received) == 2, err
    assert "nouvel essai dans 0.2 s" in err  # the rounds without tables, one line each
    assert process.returncode == 0 and "Traceback" not in err, err



def test_serve_delivers_every_guichet_of_the_base_even_one_loaded_while_it_runs(engine, db_url,
                                                                              serve):
    """Each guichet's mail leaves from its own address; a guichet loaded while the service runs
    has its mail delivered from the next round, without a restart."""
    from notifications.render import render
    from tests.helpers import ROOT, at, form
    from workflow import dossiers, guichet, loading
    from workflow.db import UnitOfWork

    desk = Desk(engine)
    desk.submit()
    handler = ScriptedHandler()
    with SmtpServer(handler) as server:
        process = serve(db_url, server.port, "2021-06-13T09:00")
        wait_until(lambda: len(handler.received) >= 4)
        config, text = guichet.read(ROOT / "examples" / "cantal-2021.toml")
        with UnitOfWork(engine, write=True, render=render, guichet="cantal-2021") as uow:
            loading.load(uow, config, text, now=at("2021-05-01 09:00"),
                         folder=str(ROOT / "examples"))
            dossiers.submit(uow, data=form(applicant={"department": "15"},
                                           contact={"email": "mairie@cantal.example.org"}),
                            file=None, actor=None, now=at("2021-06-13 09:00"))
            uow.commit()
        wait_until(lambda: any("cantal" in m["From"] for m in handler.received))
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    by_recipient = {m["To"]: m["From"] for m in handler.received}
    assert "guichet.cantal@example.org" in by_recipient["mairie@cantal.example.org"]
    assert all("guichet.bretagne@example.org" in sender for to, sender in by_recipient.items()
               if to != "mairie@cantal.example.org")
    assert "Traceback" not in err
