"""Content moderation: flags on conversation messages, and who hid a message when.

Revision ID: notify_0008_moderation
Revises: notify_0007_inbox_push
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0008_moderation"
down_revision = "notify_0007_inbox_push"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    with op.batch_alter_table("conversation_messages") as batch:
        batch.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("hidden_by", ID, nullable=True))
    op.create_table(
        "message_flags",
        sa.Column("id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("flagged_by", ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["conversation_messages.id"],
                                name=op.f("fk_message_flags_message_id_conversation_messages"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_flags")),
        sa.UniqueConstraint("message_id", "flagged_by", name=op.f("uq_message_flags_message_id_flagged_by")),
    )
    op.create_index(op.f("ix_message_flags_message_id"), "message_flags", ["message_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_message_flags_message_id"), table_name="message_flags")
    op.drop_table("message_flags")
    with op.batch_alter_table("conversation_messages") as batch:
        batch.drop_column("hidden_by")
        batch.drop_column("hidden_at")
