"""Whether a student's invitation was sent (identity.join_tokens_issued), on people and on their reach rows:
an enabled student reads Invited only from then on, and `enabled` before.

Revision ID: directory_0004
Revises: directory_0003
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "directory_0004"
down_revision = "directory_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("people", "reach"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("invited", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ("reach", "people"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("invited")
