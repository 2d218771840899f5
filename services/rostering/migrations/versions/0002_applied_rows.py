"""what each district's imports last applied

Revision ID: 0002_applied_rows
Revises: 0001_sync_runs
Create Date: 2026-11-24 00:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002_applied_rows"
down_revision: Union[str, Sequence[str], None] = "0001_sync_runs"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "applied_districts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applied_districts")),
        sa.UniqueConstraint("source_key", name=op.f("uq_applied_districts_source_key")),
    )
    op.create_table(
        "applied_rows",
        sa.Column("district", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(16), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["district"], ["applied_districts.id"], ondelete="CASCADE",
                                name=op.f("fk_applied_rows_district_applied_districts")),
        sa.PrimaryKeyConstraint("district", "entity", "row_key", name=op.f("pk_applied_rows")),
    )


def downgrade() -> None:
    op.drop_table("applied_rows")
    op.drop_table("applied_districts")
