"""Conversations: their participants and messages (each message delivered as a communication of kind
message), and deliveries found by address, which is how a text from a phone finds its conversation.

Revision ID: notify_0006_conversations
Revises: notify_0005_language_preview
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0006_conversations"
down_revision = "notify_0005_language_preview"
branch_labels = None
depends_on = None

ID = sa.String(64)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("started_by", ID, nullable=False),
        _timestamp("created_at"),
        _timestamp("last_message_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_table(
        "conversation_participants",
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_conversation_participants_conversation_id_conversations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", "person_id", name=op.f("pk_conversation_participants")),
        sa.UniqueConstraint("conversation_id", "position",
                            name=op.f("uq_conversation_participants_conversation_id_position")),
    )
    op.create_index("ix_conversation_participants_person_id", "conversation_participants", ["person_id"])
    op.create_table(
        "conversation_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("possible_author_ids", sa.JSON(), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("communication_id", ID, nullable=True),
        sa.Column("source_ref", sa.String(255), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_conversation_messages_conversation_id_conversations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_conversation_messages_source_ref")),
    )
    op.create_index(op.f("ix_conversation_messages_communication_id"), "conversation_messages",
                    ["communication_id"])
    op.create_index("ix_conversation_messages_conversation_id_created_at", "conversation_messages",
                    ["conversation_id", "created_at"])
    op.create_index("ix_deliveries_address_channel", "deliveries", ["address", "channel"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_address_channel", table_name="deliveries")
    op.drop_table("conversation_messages")
    op.drop_table("conversation_participants")
    op.drop_table("conversations")
