"""applied_rows.source_fingerprint: the source fingerprint of the record each remembered row was built from, so an
import leaves an unchanged record's rows unbuilt (domain/applied_rows.py). Rows remembered before it have none and
are built and compared once more, as before.

Revision ID: 0009_source_fingerprints
Revises: 0008_outbox
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision: str = "0009_source_fingerprints"
down_revision: str = "0008_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applied_rows", sa.Column("source_fingerprint", sa.LargeBinary(16), nullable=True))


def downgrade() -> None:
    op.drop_column("applied_rows", "source_fingerprint")
