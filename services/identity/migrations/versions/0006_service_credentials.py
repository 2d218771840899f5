"""service credentials: client ids and secret digests identity exchanges for service tokens

Revision ID: identity_0006
Revises: identity_0003
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "identity_0006"
down_revision = "identity_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_credentials",
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("district_id", sa.String(), nullable=True),
        sa.Column("secret_digest", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_service_credentials")),
    )


def downgrade() -> None:
    op.drop_table("service_credentials")
