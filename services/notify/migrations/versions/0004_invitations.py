"""Invitations and verification codes: each person's own values of a communication, invitation jobs with
their per-person results, and the language of each recipient (from identity's accounts).

Revision ID: 0004_invitations
Revises: 0003_communication_recipients
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_invitations"
down_revision = "0003_communication_recipients"
branch_labels = None
depends_on = None

ID = sa.String(64)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.add_column(sa.Column("language", sa.String(35), nullable=False, server_default=sa.text("'en'")))

    op.create_table(
        "communication_personal",
        sa.Column("communication_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        _timestamp("expires_at"),
        sa.ForeignKeyConstraint(["communication_id"], ["communications.id"],
                                name=op.f("fk_communication_personal_communication_id_communications"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("communication_id", "person_id", name=op.f("pk_communication_personal")),
    )
    op.create_index(op.f("ix_communication_personal_expires_at"), "communication_personal", ["expires_at"])

    op.create_table(
        "invitation_jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("communication_id", ID, nullable=False),
        sa.Column("requested_by", ID, nullable=False),
        sa.Column("inviter", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        _timestamp("lease_until", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("finished_at", nullable=True),
        sa.ForeignKeyConstraint(["communication_id"], ["communications.id"],
                                name=op.f("fk_invitation_jobs_communication_id_communications")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_jobs")),
    )
    op.create_index(op.f("ix_invitation_jobs_district_id"), "invitation_jobs", ["district_id"])

    op.create_table(
        "invitation_results",
        sa.Column("job_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(32), nullable=True),
        _timestamp("expires_at", nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["invitation_jobs.id"],
                                name=op.f("fk_invitation_results_job_id_invitation_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "person_id", name=op.f("pk_invitation_results")),
    )
    op.create_index("ix_invitation_results_job_id_outcome", "invitation_results", ["job_id", "outcome"])


def downgrade() -> None:
    op.drop_table("invitation_results")
    op.drop_table("invitation_jobs")
    op.drop_table("communication_personal")
    with op.batch_alter_table("recipients") as batch:
        batch.drop_column("language")
