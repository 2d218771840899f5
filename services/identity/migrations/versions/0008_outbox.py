"""identity's outbox: accounts_upserted, user_joined and its other events, committed with the account change
they describe and published by its relay; and processed_events, the directory events it handled once.
See shared/outbox.py.

Revision ID: identity_0008
Revises: identity_0007
Create Date: 2026-12-05
"""
from __future__ import annotations

from shared.outbox import create_event_tables, drop_event_tables

revision = "identity_0008"
down_revision = "identity_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables()


def downgrade() -> None:
    drop_event_tables()
