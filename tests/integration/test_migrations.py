"""Alembic: a base made by the first migration is upgraded in place; head matches the models."""

from __future__ import annotations

import json
from pathlib import Path

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


RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release_base"


def _load_release_rows(engine):
    """The rows of a base the previous release made (revision 0004), put back as it stored them."""
    from datetime import date, datetime

    from sqlalchemy import Date, DateTime, MetaData, insert

    rows = json.loads((RELEASE / "tables.json").read_text(encoding="utf-8"))
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for table in tables.sorted_tables:
            if table.name == "alembic_version":
                continue
            typed = []
            for row in rows[table.name]:
                for column in table.columns:
                    value = row.get(column.name)
                    if value is not None and isinstance(column.type, DateTime):
                        row[column.name] = datetime.fromisoformat(value)
                    elif value is not None and isinstance(column.type, Date):
                        row[column.name] = date.fromisoformat(value)
                typed.append(row)
            if typed:
                connection.execute(insert(table), typed)


def test_a_base_of_the_previous_release_upgrades_and_prints_the_same(db_url, capsys, monkeypatch):
    """A campaign replayed by the release at revision 0004 (tests/fixtures/release_base/make.py):
    upgraded by `comite init`'s migration, the base shows what that release showed."""
    from tests.cli import Cli

    engine = engine_for(db_url)
    upgrade(engine, "0004")
    _load_release_rows(engine)
    upgrade(engine)
    assert current(engine) == head()
    printed = json.loads((RELEASE / "printed.json").read_text(encoding="utf-8"))
    for name in ("COMITE_GUICHET", "COMITE_NOW", "COMITE_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    cli = Cli(db_url, capsys, monkeypatch)
    for command, expected in printed.items():
        assert json.loads(cli.ok(*command.split(), "--json")) == expected, command
    with engine.connect() as connection:
        owners = {table: set(connection.execute(text(f"SELECT DISTINCT guichet_id FROM {table}"))
                             .scalars()) for table in ("audit", "outbox", "due_work")}
        months = connection.execute(text(
            "SELECT key FROM due_work WHERE kind = 'monthly_list'")).scalars().all()
    assert owners == {table: {"bretagne-2021"} for table in owners}
    assert sorted(months) == [f"monthly_list:bretagne-2021:2021-{m:02d}" for m in range(5, 10)]
    # The months the release already listed are not listed again under their new keys.
    outbox = len(printed["outbox list"])
    assert "liste mensuelle" not in cli.ok("tick", now="2021-09-02T09:00")
    assert len(json.loads(cli.ok("outbox", "list", "--json"))) == outbox
    engine.dispose()


def test_the_several_guichets_migration_goes_back_and_forth(db_url):
    """Downgraded to 0004 (one guichet, month-end keys without it) and upgraded again, a base
    keeps its rows and their guichet."""
    from alembic import command

    from workflow.migrate import config

    engine = engine_for(db_url)
    upgrade(engine, "0004")
    _load_release_rows(engine)
    upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(config(connection), "0004")  # type: ignore[arg-type]
    assert current(engine) == "0004"
    with engine.connect() as connection:
        assert "guichet_id" not in {c["name"] for c in inspect(connection).get_columns("audit")}
        assert connection.execute(text(
            "SELECT key FROM due_work WHERE kind = 'monthly_list' ORDER BY key")).scalars().first(
        ) == "monthly_list:-:-:2021-05"
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit WHERE guichet_id = "
                                       "'bretagne-2021'")).scalar_one() == 21
    engine.dispose()


def test_the_owner_links_migration_gives_every_dossier_its_key_and_goes_back_and_forth(db_url):
    """A base of the previous release (0005) gets the key of the owners' links, one link key
    per dossier, and the audit's channel; downgraded to 0005 and upgraded again, it keeps its
    rows."""
    from alembic import command

    from workflow.migrate import config

    engine = engine_for(db_url)
    upgrade(engine, "0004")
    _load_release_rows(engine)
    upgrade(engine, "0005")
    upgrade(engine)
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT link_key FROM dossier")).scalars().all()
        secret = connection.execute(text(
            "SELECT value FROM site_secret WHERE name = 'owner_links'")).scalar_one()
    assert keys and all(keys) and len(set(keys)) == len(keys) and len(secret) >= 32
    with engine.begin() as connection:
        command.downgrade(config(connection), "0005")  # type: ignore[arg-type]
    assert current(engine) == "0005"
    with engine.connect() as connection:
        assert "link_key" not in {c["name"] for c in inspect(connection).get_columns("dossier")}
        assert not inspect(connection).has_table("site_secret")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM dossier WHERE link_key IS NOT NULL")
                                  ).scalar_one() == len(keys)
    engine.dispose()
