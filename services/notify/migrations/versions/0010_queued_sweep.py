"""The sweeper's lookup: `queued` deliveries by how long ago they were last touched, as a partial index (only
queued rows, so it stays small however many deliveries were sent).

Revision ID: notify_0010_queued_sweep
Revises: notify_0009_profile_history
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0010_queued_sweep"
down_revision = "notify_0009_profile_history"
branch_labels = None
depends_on = None

QUEUED = sa.text("status = 'queued'")


def upgrade() -> None:
    op.create_index("ix_deliveries_queued_updated_at", "deliveries", ["updated_at"],
                    postgresql_where=QUEUED, sqlite_where=QUEUED)


def downgrade() -> None:
    op.drop_index("ix_deliveries_queued_updated_at", table_name="deliveries")
