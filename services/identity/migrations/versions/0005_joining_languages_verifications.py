"""invitations to join (the hashes of each account's Join link and code), languages, and the codes that
prove control of a new email or mobile phone

Revision ID: identity_0005
Revises: identity_0003
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "identity_0005"
down_revision = "identity_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Everyone's language until they choose one.
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("language", sa.String(), nullable=False, server_default="en"))

    op.create_table(
        "district_languages",
        sa.Column("district_id", sa.String(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_district_languages")),
    )

    op.create_table(
        "join_tokens",
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("issued_by", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["accounts.person_id"],
                                name=op.f("fk_join_tokens_person_id_accounts")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_join_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_join_tokens_token_hash")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_join_tokens_code_hash")),
    )

    op.create_table(
        "credential_verifications",
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('email', 'mobile_phone')", name=op.f("ck_credential_verifications_kind")),
        sa.ForeignKeyConstraint(["person_id"], ["accounts.person_id"],
                                name=op.f("fk_credential_verifications_person_id_accounts")),
        sa.PrimaryKeyConstraint("person_id", "kind", name=op.f("pk_credential_verifications")),
    )


def downgrade() -> None:
    op.drop_table("credential_verifications")
    op.drop_table("join_tokens")
    op.drop_table("district_languages")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("language")
