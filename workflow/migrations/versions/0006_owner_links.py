"""Owners reach their dossier by a signed link: the key that signs the links, one revocable key
per dossier, and the channel (command line, web, scheduler) of every audited action.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    secret = op.create_table(
        "site_secret",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(secret, [{"name": "owner_links", "value": secrets.token_urlsafe(32)}])
    op.add_column("audit", sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    # Added in place (SQLite would rebuild the table for NOT NULL, which its foreign keys
    # forbid); every dossier gets its key here, and every new one when it is filed.
    op.add_column("dossier", sa.Column("link_key", sqlmodel.sql.sqltypes.AutoString(),
                                       nullable=True))
    connection = op.get_bind()
    ids = connection.execute(sa.text("SELECT id FROM dossier")).scalars().all()
    for dossier in ids:  # each its own key: one dossier's revocation leaves the others alone
        connection.execute(sa.text("UPDATE dossier SET link_key = :key WHERE id = :id"),
                           {"key": secrets.token_urlsafe(12), "id": dossier})


def downgrade() -> None:
    op.drop_column("dossier", "link_key")
    op.drop_column("audit", "channel")
    op.drop_table("site_secret")
