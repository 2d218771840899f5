"""The directory's outbox: people_upserted and its other events, written in the transaction of the change
they describe and published by its relay; and processed_events, the ids of the identity, notify and
rostering events it handled (a repeat changes nothing). See shared/outbox.py.

Revision ID: directory_0005
Revises: directory_0004
Create Date: 2026-12-05
"""
from __future__ import annotations

from shared.outbox import create_event_tables, drop_event_tables

revision = "directory_0005"
down_revision = "directory_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables()


def downgrade() -> None:
    drop_event_tables()
