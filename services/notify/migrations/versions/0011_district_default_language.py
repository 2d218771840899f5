"""Each district's default language, as identity announces it: the language of its people who have not chosen one.

Revision ID: notify_0011_district_language
Revises: notify_0010_queued_sweep
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0011_district_language"
down_revision = "notify_0010_queued_sweep"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "district_languages",
        sa.Column("district_id", sa.String(64), nullable=False),
        sa.Column("default_language", sa.String(35), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_district_languages")),
    )


def downgrade() -> None:
    op.drop_table("district_languages")
