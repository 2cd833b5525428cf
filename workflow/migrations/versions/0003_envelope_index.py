"""The envelope's sums read an index alone: committed amounts by state, département and measure.

`comite budget` and the `accept` guard add up the awarded amounts of committed dossiers. On
PostgreSQL this index carries the amount (INCLUDE), so the sum is an index-only scan instead of a
pass over every dossier's row and form.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossier_envelope", "dossier",
                    ["guichet_id", "state", "department", "measure"],
                    postgresql_include=["awarded_cents"])


def downgrade() -> None:
    op.drop_index("ix_dossier_envelope", table_name="dossier")
