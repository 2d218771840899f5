"""runs held by the mass-change guard (their package, diff and decision), what each run archives, and each
district's sync settings

Revision ID: 0003_held_runs_and_settings
Revises: 0002_applied_rows
Create Date: 2026-12-04
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003_held_runs_and_settings"
down_revision: Union[str, Sequence[str], None] = "0002_applied_rows"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        # awaiting_approval is longer than the states before it.
        batch.alter_column("state", type_=sa.String(32), existing_type=sa.String(16), existing_nullable=False)
        batch.add_column(sa.Column("diff", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_sync_runs_state", "sync_runs", ["state"])
    op.create_table(
        "district_settings",
        sa.Column("district_id", sa.String(64), nullable=False),
        sa.Column("daily_sync", sa.Boolean(), nullable=False),
        sa.Column("sync_manages_guardians", sa.Boolean(), nullable=False),
        sa.Column("unarchive_classrooms_that_reappear", sa.Boolean(), nullable=False),
        sa.Column("sync_updates_contact_details_of_active_users", sa.Boolean(), nullable=False),
        sa.Column("mass_change_threshold", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_district_settings")),
    )
    op.create_table(
        "held_packages",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("archive_digest", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["sync_runs.id"], ondelete="CASCADE",
                                name=op.f("fk_held_packages_run_id_sync_runs")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_held_packages")),
    )
    op.create_table(
        "sync_run_changes",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("file", sa.String(64), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("school_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["sync_runs.id"], ondelete="CASCADE",
                                name=op.f("fk_sync_run_changes_run_id_sync_runs")),
        sa.PrimaryKeyConstraint("run_id", "seq", name=op.f("pk_sync_run_changes")),
    )


def downgrade() -> None:
    op.drop_table("sync_run_changes")
    op.drop_table("held_packages")
    op.drop_table("district_settings")
    op.drop_index("ix_sync_runs_state", "sync_runs")
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("decided_at")
        batch.drop_column("decided_by")
        batch.drop_column("diff")
        batch.alter_column("state", type_=sa.String(16), existing_type=sa.String(32), existing_nullable=False)
