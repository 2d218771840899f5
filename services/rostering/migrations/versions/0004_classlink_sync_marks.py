"""when each district's last completed runs from its provider (ClassLink) started

Revision ID: 0004_classlink_sync_marks
Revises: 0003_held_runs_and_settings
Create Date: 2026-12-05
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004_classlink_sync_marks"
down_revision: Union[str, Sequence[str], None] = "0003_held_runs_and_settings"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "source_sync_marks",
        sa.Column("district", sa.String(64), nullable=False),
        sa.Column("last_full_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("district", name=op.f("pk_source_sync_marks")),
    )


def downgrade() -> None:
    op.drop_table("source_sync_marks")
