"""archiving classrooms, enrollments and guardian links; guardian relationship and who manages a link;
the audit log, bulk jobs, and which parts of a district a roster sync owns

Revision ID: directory_0003
Revises: directory_0002
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "directory_0003"
down_revision = "directory_0002"
branch_labels = None
depends_on = None

ID = sa.String(32)


def upgrade() -> None:
    for table in ("classrooms", "enrollments", "guardian_links"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("guardian_links") as batch:
        batch.add_column(sa.Column("relationship", sa.Text(), nullable=True))
        # Every link so far came from a roster sync.
        batch.add_column(sa.Column("managed_by_sync", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "audit_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("subject_type", sa.String(24), nullable=False),
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_district_id_at", "audit_log", ["district_id", "at"])
    op.create_index("ix_audit_log_subject_id", "audit_log", ["subject_id"])
    op.create_table(
        "jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("requested_by", ID, nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_table(
        "district_sync",
        sa.Column("district_id", ID, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("manages_guardians", sa.Boolean(), nullable=False),
        sa.Column("updates_contact_details_of_active_users", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"],
                                name=op.f("fk_district_sync_district_id_districts")),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_district_sync")),
    )


def downgrade() -> None:
    op.drop_table("district_sync")
    op.drop_table("jobs")
    op.drop_index("ix_audit_log_subject_id", "audit_log")
    op.drop_index("ix_audit_log_district_id_at", "audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("guardian_links") as batch:
        batch.drop_column("managed_by_sync")
        batch.drop_column("relationship")
    for table in ("guardian_links", "enrollments", "classrooms"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("archived")
