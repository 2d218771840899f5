"""The send ledger keeps each provider answer as it comes ('answered' with its receipt), so a worker killed
mid-page repeats only its call in flight: the job's next run records the answers instead of sending again.

Revision ID: notify_0013_ledger_receipts
Revises: notify_0012_inbound_receipt_ids
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0013_ledger_receipts"
down_revision = "notify_0012_inbound_receipt_ids"
branch_labels = None
depends_on = None

COLUMNS = ("outcome", "provider_message_id", "provider_code", "reason")


def upgrade() -> None:
    with op.batch_alter_table("send_ledger") as table:
        table.add_column(sa.Column("outcome", sa.String(16), nullable=True))
        table.add_column(sa.Column("provider_message_id", sa.String(128), nullable=True))
        table.add_column(sa.Column("provider_code", sa.String(64), nullable=True))
        table.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # An answer not yet recorded goes back to 'sending': its job's next run sends it again, as before.
    op.execute("UPDATE send_ledger SET state = 'sending' WHERE state = 'answered'")
    with op.batch_alter_table("send_ledger") as table:
        for column in reversed(COLUMNS):
            table.drop_column(column)
