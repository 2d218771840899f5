"""A person's communication history read from their side: communication_recipients by person (its primary key
starts with the communication, so finding one person's rows would scan the table).

Revision ID: notify_0009_profile_history
Revises: notify_0008_moderation
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op

revision = "notify_0009_profile_history"
down_revision = "notify_0008_moderation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_communication_recipients_person_id", "communication_recipients", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_communication_recipients_person_id", table_name="communication_recipients")
