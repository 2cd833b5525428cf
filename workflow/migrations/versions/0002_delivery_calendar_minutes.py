"""Delivery, the calendar and the minutes: outbox claims and attachments, due work, minutes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import workflow.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('attachment', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', workflow.models.UTCDateTime(), nullable=True))
    op.create_table('minutes',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('frozen_at', workflow.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['committee_session.id'], ),
    sa.PrimaryKeyConstraint('session_id')
    )
    op.create_table('due_work',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('due_at', workflow.models.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('done_at', workflow.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['committee_session.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('due_work', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_due_work_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index('ix_due_work_pending', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_due_work_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_due_work_session_id"))
        batch_op.drop_index("ix_due_work_pending")
        batch_op.drop_index(batch_op.f("ix_due_work_dossier_id"))
    op.drop_table("due_work")
    op.drop_table("minutes")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("attachment")
        batch_op.drop_column("attachment_name")
