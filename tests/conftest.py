"""Shared fixtures: a loaded Bretagne guichet on a throwaway SQLite database."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_engine


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'comite.db'}"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def desk(engine):
    return Desk(engine)


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    """The command line on a fresh database with the Bretagne guichet loaded."""
    from tests.cli import Cli
    from tests.helpers import EXAMPLE

    monkeypatch.delenv("COMITE_ACTOR", raising=False)
    monkeypatch.delenv("COMITE_NOW", raising=False)
    monkeypatch.delenv("COMITE_DATABASE_URL", raising=False)
    runner = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    runner.ok("init", str(EXAMPLE), now="2021-05-01T09:00")
    return runner
