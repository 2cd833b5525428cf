"""Alembic environment: run on the connection `comite init` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from workflow import models, records  # noqa: F401  (the tables, for autogenerate)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
