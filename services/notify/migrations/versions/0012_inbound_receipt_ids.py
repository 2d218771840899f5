"""An inbound text's receipt keeps Twilio's MessageSid, once: a replayed STOP or START (Twilio signs no time, so a
captured post verifies for ever) is taken once and never changes a number's state again.

Revision ID: notify_0012_inbound_receipt_ids
Revises: notify_0011_district_language
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0012_inbound_receipt_ids"
down_revision = "notify_0011_district_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_receipts", sa.Column("provider_message_id", sa.String(64), nullable=True))
    op.create_index("ix_webhook_receipts_kind_provider_message_id", "webhook_receipts",
                    ["kind", "provider_message_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_webhook_receipts_kind_provider_message_id", table_name="webhook_receipts")
    with op.batch_alter_table("webhook_receipts") as batch:
        batch.drop_column("provider_message_id")
