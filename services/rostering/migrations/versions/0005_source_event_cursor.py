"""where each district's provider change feed (Clever's events) was left by its last completed run

Revision ID: 0005_source_event_cursor
Revises: 0004_classlink_sync_marks
Create Date: 2026-12-05
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005_source_event_cursor"
down_revision: Union[str, Sequence[str], None] = "0004_classlink_sync_marks"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("source_sync_marks", sa.Column("event_cursor", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("source_sync_marks", "event_cursor")
