"""Personal tokens for the HTTP API, kept hashed; the webhooks' deliveries, and the URLs gone.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from workflow.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", text(), nullable=False),
        sa.Column("name", text(), nullable=False),
        sa.Column("digest", text(), nullable=False),
        sa.Column("shown", text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index("ix_api_token_email", "api_token", ["email"], unique=False)
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guichet_id", text(), nullable=False),
        sa.Column("url", text(), nullable=False),
        sa.Column("body", text(), nullable=False),
        sa.Column("status", text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", text(), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["guichet_id"], ["guichet.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_delivery_status", "webhook_delivery",
                    ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "webhook_gone",
        sa.Column("guichet_id", text(), nullable=False),
        sa.Column("url", text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["guichet_id"], ["guichet.id"]),
        sa.PrimaryKeyConstraint("guichet_id", "url"),
    )


def downgrade() -> None:
    op.drop_table("webhook_gone")
    op.drop_index("ix_webhook_delivery_status", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("ix_api_token_email", table_name="api_token")
    op.drop_table("api_token")
