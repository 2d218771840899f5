"""refresh tokens, and why a session was revoked

Revision ID: identity_0004
Revises: identity_0003
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "identity_0004"
down_revision = "identity_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sessions opened before this revision keep working until their one access token expires.
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("revoked_reason", sa.String(), nullable=True))

    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("session_id", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.jti"], name=op.f("fk_refresh_tokens_session_id_sessions")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(op.f("ix_refresh_tokens_session_id"), "refresh_tokens", ["session_id"])


def downgrade() -> None:
    op.drop_table("refresh_tokens")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("revoked_reason")
