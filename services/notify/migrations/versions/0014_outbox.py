"""notify's outbox (announcement_requested, content_moderated, ...: committed with their change, published by
its relay) and processed_events: the identity and directory events its recipient projection applied, so a
repeat delivery changes nothing. See shared/outbox.py.

Revision ID: notify_0014_outbox
Revises: notify_0013_ledger_receipts
Create Date: 2026-12-05
"""
from __future__ import annotations

from shared.outbox import create_event_tables, drop_event_tables

revision = "notify_0014_outbox"
down_revision = "notify_0013_ledger_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables()


def downgrade() -> None:
    drop_event_tables()
