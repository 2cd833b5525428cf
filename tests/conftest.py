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
