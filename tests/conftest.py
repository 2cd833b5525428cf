"""Shared fixtures: a loaded Bretagne guichet on a throwaway SQLite database."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.helpers import Desk, make_engine

# Every test that takes a database runs on SQLite and, when COMITE_TEST_DATABASE_URL names a
# PostgreSQL database, on PostgreSQL too (each test in a schema of its own, dropped after it).
POSTGRES = os.environ.get("COMITE_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'comite.db'}"
        return
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES else "?"
    url = f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"
    yield url
    from workflow.db import engine_for

    engine_for(url).dispose()  # what commands run in this process left pooled, before the drop
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


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
    runner = Cli(db_url, capsys, monkeypatch)
    runner.ok("init", str(EXAMPLE), now="2021-05-01T09:00")
    return runner
