"""Shared fixtures: a loaded Bretagne guichet on a throwaway database, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.helpers import POSTGRES, Desk, make_engine, postgres_schema

# Every test that takes a database runs on SQLite and, when COMITE_TEST_DATABASE_URL names a
# PostgreSQL database, on PostgreSQL too (each test in a schema of its own, dropped after it).
BACKENDS = ["sqlite", "postgresql"] if POSTGRES else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'comite.db'}"
        return
    url, drop = postgres_schema(POSTGRES)
    yield url
    drop()


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def desk(engine):
    return Desk(engine)


@pytest.fixture
def cli(db_url, capsys, monkeypatch):
    """The command line on a fresh database (each engine) with the Bretagne guichet loaded."""
    from tests.cli import Cli
    from tests.helpers import EXAMPLE

    monkeypatch.delenv("COMITE_ACTOR", raising=False)
    monkeypatch.delenv("COMITE_NOW", raising=False)
    monkeypatch.delenv("COMITE_DATABASE_URL", raising=False)
    monkeypatch.delenv("COMITE_GUICHET", raising=False)
    runner = Cli(db_url, capsys, monkeypatch)
    runner.ok("init", str(EXAMPLE), now="2021-05-01T09:00")
    return runner


@pytest.fixture
def serve():
    """Start `comite serve --poll 0.2` on a database and an SMTP port, at ``now`` (COMITE_NOW);
    whatever a failing test leaves running is killed when it ends."""
    import os
    import subprocess

    from tests.helpers import COMITE, ROOT

    started: list[subprocess.Popen[str]] = []

    def start(db_url: str, smtp_port: int, now: str, *options: str,
              **env: str) -> subprocess.Popen[str]:
        from tests.smtp_server import free_port

        web_port = free_port()
        variables = {**os.environ, "COMITE_DATABASE_URL": db_url, "COMITE_NOW": now,
                     "COMITE_SMTP_HOST": "127.0.0.1", "COMITE_SMTP_PORT": str(smtp_port),
                     "COMITE_WEB_PORT": str(web_port), "PYTHONPATH": str(ROOT), **env}
        started.append(subprocess.Popen([*COMITE, "serve", "--poll", "0.2", *options],
                                        env=variables, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True))
        started[-1].web_port = web_port  # type: ignore[attr-defined]
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()
