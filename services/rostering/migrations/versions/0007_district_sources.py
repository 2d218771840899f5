"""each district's source and connection (secrets sealed), daily time, time zone, region, student accounts,
and the day the schedule last started its sync

Revision ID: 0007_district_sources
Revises: 0006_run_progress
Create Date: 2026-12-05
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_district_sources"
down_revision: Union[str, Sequence[str], None] = "0006_run_progress"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.alter_column("source", existing_type=sa.Text(), nullable=True)
        batch.add_column(sa.Column("enable_student_accounts_automatically", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("connection", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("secret_names", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("sealed_secrets", sa.Text(), nullable=True))
        batch.add_column(sa.Column("daily_time", sa.String(5), nullable=False, server_default="02:00"))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"))
        batch.add_column(sa.Column("region", sa.String(2), nullable=False, server_default="US"))
        batch.add_column(sa.Column("last_scheduled_on", sa.Date(), nullable=True))
    # The source was kept as people read it; it is now the source's code.
    op.execute("UPDATE district_settings SET source = 'oneroster_csv' WHERE source = 'OneRoster CSV'")


def downgrade() -> None:
    op.execute("UPDATE district_settings SET source = 'OneRoster CSV' WHERE source IS NULL "
               "OR source = 'oneroster_csv'")
    with op.batch_alter_table("district_settings") as batch:
        for name in ("last_scheduled_on", "region", "time_zone", "daily_time", "sealed_secrets", "secret_names",
                     "connection", "enable_student_accounts_automatically"):
            batch.drop_column(name)
        batch.alter_column("source", existing_type=sa.Text(), nullable=False)
