"""rostering's outbox: sync_run_completed, the sync settings' audit and the events that queue its own runs,
committed with the run they speak of and published by its relay; and processed_events, so a run queued by an
event delivered twice is taken up once. See shared/outbox.py.

Revision ID: 0008_outbox
Revises: 0007_district_sources
Create Date: 2026-12-05
"""
from shared.outbox import create_event_tables, drop_event_tables

revision: str = "0008_outbox"
down_revision: str = "0007_district_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables()


def downgrade() -> None:
    drop_event_tables()
