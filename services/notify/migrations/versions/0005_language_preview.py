"""Each person's language: the translation cache, and each communication's translations.

Revision ID: notify_0005_language_preview
Revises: 0004_invitations
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0005_language_preview"
down_revision = "0004_invitations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translation_cache",
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("translation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("text_sha256", "language", name=op.f("pk_translation_cache")),
    )
    op.create_table(
        "communication_translations",
        sa.Column("communication_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["communication_id"], ["communications.id"],
                                name=op.f("fk_communication_translations_communication_id_communications"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("communication_id", "language", name=op.f("pk_communication_translations")),
    )


def downgrade() -> None:
    op.drop_table("communication_translations")
    op.drop_table("translation_cache")
