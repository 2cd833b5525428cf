"""The schema, created or upgraded in place by Alembic (`comite init`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).parent / "migrations"


def config(connection: object) -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (a fresh one is created from the first migration)."""
    from alembic import command

    with engine.begin() as connection:
        cfg = config(connection)
        tables = inspect(connection)
        if tables.has_table("guichet") and not tables.has_table("alembic_version"):
            # A base made before migrations existed: say which revision its tables match.
            made = ("0007" if tables.has_table("api_token")
                    else "0006" if tables.has_table("site_secret")
                    else "0005" if any(column["name"] == "guichet_id"
                                  for column in tables.get_columns("audit"))
                    else "0004" if tables.has_table("due_work") and any(
                        column["name"] == "error" for column in tables.get_columns("due_work"))
                    else "0003" if any(index["name"] == "ix_dossier_envelope"
                                       for index in tables.get_indexes("dossier"))
                    else "0002" if tables.has_table("due_work") else "0001")
            command.stamp(cfg, made)  # type: ignore[arg-type]
        command.upgrade(cfg, revision)  # type: ignore[arg-type]


def head() -> str:
    """The newest revision: what `comite init` brings a database to."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(config(None)).get_current_head()  # type: ignore[arg-type]
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return MigrationContext.configure(connection).get_current_revision()
