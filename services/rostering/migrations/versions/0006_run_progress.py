"""sync runs record their progress and heartbeat; one running run per district

Revision ID: 0006_run_progress
Revises: 0005_source_event_cursor
Create Date: 2026-12-05
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_run_progress"
down_revision: Union[str, Sequence[str], None] = "0005_source_event_cursor"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

RUNNING = sa.text("state = 'running'")


def upgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("progress", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("district_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("uq_sync_runs_running_district_key", "sync_runs", ["district_key"], unique=True,
                    postgresql_where=RUNNING, sqlite_where=RUNNING)


def downgrade() -> None:
    op.drop_index("uq_sync_runs_running_district_key", table_name="sync_runs")
    with op.batch_alter_table("sync_runs") as batch:
        for column in ("heartbeat_at", "owner", "district_key", "progress"):
            batch.drop_column(column)
