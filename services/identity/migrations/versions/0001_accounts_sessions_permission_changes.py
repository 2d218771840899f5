"""accounts, sessions and permission changes

Revision ID: identity_0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "identity_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("district_id", sa.String(), nullable=True),
        sa.Column("given_name", sa.String(), nullable=False),
        sa.Column("family_name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("mobile_phone", sa.String(), nullable=True),
        sa.Column("home_phone", sa.String(), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("managed_by_sync", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('invitee', 'active', 'disabled')", name=op.f("ck_accounts_status")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_accounts")),
    )
    # Credentials may be shared by several accounts (two parents, one phone): indexed, never unique.
    op.create_index(op.f("ix_accounts_email"), "accounts", ["email"])
    op.create_index(op.f("ix_accounts_mobile_phone"), "accounts", ["mobile_phone"])

    op.create_table(
        "sessions",
        sa.Column("jti", sa.String(), nullable=False),
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["accounts.person_id"],
                                name=op.f("fk_sessions_person_id_accounts")),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_person_id"), "sessions", ["person_id"])

    op.create_table(
        "permission_changes",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("previous_permissions", sa.JSON(), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["accounts.person_id"],
                                name=op.f("fk_permission_changes_person_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permission_changes")),
    )
    op.create_index(op.f("ix_permission_changes_person_id"), "permission_changes", ["person_id"])


def downgrade() -> None:
    op.drop_table("permission_changes")
    op.drop_table("sessions")
    op.drop_table("accounts")
