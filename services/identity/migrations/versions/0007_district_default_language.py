"""each district's default language: the language of everyone who has not chosen one

Revision ID: identity_0007
Revises: identity_0006
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "identity_0007"
down_revision = "identity_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null for the districts that chose their languages before: their default stays en.
    with op.batch_alter_table("district_languages") as batch:
        batch.add_column(sa.Column("default_language", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("district_languages") as batch:
        batch.drop_column("default_language")
