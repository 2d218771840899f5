"""Who each communication is for: the person ids the directory resolved when it was sent.

send_announcement stores them and returns at once; the planner reads them back
in pages in the background (ANNOUNCEMENT_REQUESTED).

Revision ID: 0003_communication_recipients
Revises: 0002_delivery_loop
Create Date: 2025-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_communication_recipients"
down_revision = "0002_delivery_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "communication_recipients",
        sa.Column("communication_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["communication_id"], ["communications.id"],
                                name=op.f("fk_communication_recipients_communication_id_communications"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("communication_id", "person_id", name=op.f("pk_communication_recipients")),
    )


def downgrade() -> None:
    op.drop_table("communication_recipients")
