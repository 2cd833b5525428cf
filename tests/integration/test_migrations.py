"""Alembic: a base made by the first migration is upgraded in place; head matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from tests.helpers import POSTGRES, postgres_schema
from workflow.db import engine_for
from workflow.migrate import current, head, upgrade


def test_the_migrations_build_exactly_the_models(db_url):
    engine = engine_for(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    engine.dispose()


def test_a_base_made_by_the_first_migration_is_upgraded_in_place(db_url):
    engine = engine_for(db_url)
    upgrade(engine, "0001")
    assert current(engine) == "0001"
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO guichet (id, name, reference_prefix, timezone, envelope_cents, settings, "
            "loaded_at) VALUES ('g', 'Guichet', 'GX', 'Europe/Paris', 100, '{}', "
            "'2021-05-01 07:00:00')"))
        connection.execute(text(
            "INSERT INTO outbox (dedup_key, message_id, recipient, subject, text, html, kind, "
            "status, attempts, next_attempt_at, created_at) VALUES ('k', '<1@x>', "
            "'o@example.org', 's', 't', 'h', 'submitted', 'queued', 0, "
            "'2021-05-01 07:00:00', '2021-05-01 07:00:00')"))
    assert not inspect(engine).has_table("due_work")
    upgrade(engine)
    assert current(engine) == head()
    tables = inspect(engine)
    assert tables.has_table("due_work") and tables.has_table("minutes")
    assert "claimed_at" in {c["name"] for c in tables.get_columns("outbox")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT message_id FROM outbox")).scalar_one() == "<1@x>"
        assert connection.execute(text("SELECT name FROM guichet")).scalar_one() == "Guichet"
    assert "ix_dossier_envelope" in {i["name"] for i in tables.get_indexes("dossier")}
    upgrade(engine)  # idempotent
    assert current(engine) == head()
    engine.dispose()


def test_a_base_made_before_migrations_is_recognised(db_url):
    engine = engine_for(db_url)
    SQLModel.metadata.create_all(engine)
    upgrade(engine)
    assert current(engine) == head()
    engine.dispose()


@pytest.mark.skipif(not POSTGRES, reason="COMITE_TEST_DATABASE_URL not set")
def test_on_postgresql_the_envelope_index_carries_the_amounts():
    url, drop = postgres_schema(POSTGRES)
    try:
        engine = engine_for(url)
        upgrade(engine)
        with engine.connect() as connection:
            definition = connection.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_dossier_envelope' "
                "AND schemaname = current_schema()")).scalar_one()
        assert definition.endswith("INCLUDE (awarded_cents)")
    finally:
        drop()
