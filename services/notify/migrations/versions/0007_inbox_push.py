"""The app inbox read page by page (an index on a person's items by date) and registered push devices.

Revision ID: notify_0007_inbox_push
Revises: notify_0006_conversations
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0007_inbox_push"
down_revision = "notify_0006_conversations"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_index("ix_inbox_items_person_id_created_at", "inbox_items", ["person_id", "created_at"])
    op.create_table(
        "devices",
        sa.Column("id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("token", sa.String(512), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token", name=op.f("uq_devices_token")),
    )
    op.create_index(op.f("ix_devices_person_id"), "devices", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_devices_person_id"), table_name="devices")
    op.drop_table("devices")
    op.drop_index("ix_inbox_items_person_id_created_at", table_name="inbox_items")
