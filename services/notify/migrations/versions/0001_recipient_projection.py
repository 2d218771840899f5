"""The recipient projection: recipients and their schools.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recipients",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("district_id", sa.String(64), nullable=True),
        sa.Column("given_name", sa.Text(), nullable=True),
        sa.Column("family_name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("mobile_phone", sa.Text(), nullable=True),
        sa.Column("account_status", sa.String(16), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column("kinds", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column("student_account_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("joined", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("in_directory", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_recipients")),
    )
    op.create_index(op.f("ix_recipients_district_id"), "recipients", ["district_id"])
    op.create_table(
        "recipient_schools",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["recipients.person_id"],
                                name=op.f("fk_recipient_schools_person_id_recipients"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "school_id", name=op.f("pk_recipient_schools")),
    )
    op.create_index(op.f("ix_recipient_schools_school_id"), "recipient_schools", ["school_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recipient_schools_school_id"), table_name="recipient_schools")
    op.drop_table("recipient_schools")
    op.drop_index(op.f("ix_recipients_district_id"), table_name="recipients")
    op.drop_table("recipients")
