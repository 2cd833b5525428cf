"""Several guichets in one base: the audit trail, the outbox and due work say whose they are.

A base made by the previous release holds one guichet (it refused a second one): every audit
row, message and piece of due work it has is that guichet's. The month-end list's key names its
guichet, reference prefixes are unique across the base, and the indexes a guichet's own queries
use lead with the guichet.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("audit", "outbox", "due_work")
ONLY_GUICHET = "(SELECT MIN(id) FROM guichet)"


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("guichet_id", sqlmodel.sql.sqltypes.AutoString(),
                                       nullable=True))
        op.execute(f"UPDATE {table} SET guichet_id = {ONLY_GUICHET}")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("guichet_id", existing_type=sqlmodel.sql.sqltypes.AutoString(),
                               nullable=False)
            batch.create_foreign_key(f"fk_{table}_guichet_id", "guichet", ["guichet_id"], ["id"])
    op.execute("UPDATE due_work SET key = 'monthly_list:' || guichet_id || ':' || period "
               "WHERE kind = 'monthly_list'")
    with op.batch_alter_table("audit") as batch:
        batch.create_index("ix_audit_guichet_event", ["guichet_id", "event"], unique=False)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_status")
        batch.create_index("ix_outbox_status", ["guichet_id", "status", "next_attempt_at"],
                           unique=False)
    with op.batch_alter_table("due_work") as batch:
        batch.create_index("ix_due_work_guichet", ["guichet_id", "status", "due_at"],
                           unique=False)
    with op.batch_alter_table("dossier") as batch:
        batch.drop_index("ix_dossier_siren")
        batch.create_index("ix_dossier_siren", ["guichet_id", "siren"], unique=False)
    with op.batch_alter_table("guichet") as batch:
        batch.create_index("ix_guichet_reference_prefix", ["reference_prefix"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("guichet") as batch:
        batch.drop_index("ix_guichet_reference_prefix")
    with op.batch_alter_table("dossier") as batch:
        batch.drop_index("ix_dossier_siren")
        batch.create_index("ix_dossier_siren", ["siren"], unique=False)
    op.execute("UPDATE due_work SET key = 'monthly_list:-:-:' || period "
               "WHERE kind = 'monthly_list'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_status")
        batch.create_index("ix_outbox_status", ["status", "next_attempt_at"], unique=False)
    with op.batch_alter_table("due_work") as batch:
        batch.drop_index("ix_due_work_guichet")
    with op.batch_alter_table("audit") as batch:
        batch.drop_index("ix_audit_guichet_event")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_guichet_id", type_="foreignkey")
            batch.drop_column("guichet_id")
