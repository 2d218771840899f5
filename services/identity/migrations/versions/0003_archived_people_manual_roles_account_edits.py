"""archived people, roles granted by hand, and the history of hand edits

Revision ID: identity_0003
Revises: identity_0002
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nobody granted roles by hand before this revision.
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("manual_roles", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))

    # Keyed by person alone, without a foreign key: the archival may arrive before the account.
    op.create_table(
        "archived_people",
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_archived_people")),
    )

    op.create_table(
        "account_edits",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("current", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("what IN ('manual_roles', 'contact_details')", name=op.f("ck_account_edits_what")),
        sa.ForeignKeyConstraint(["person_id"], ["accounts.person_id"],
                                name=op.f("fk_account_edits_person_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_edits")),
    )
    op.create_index(op.f("ix_account_edits_person_id"), "account_edits", ["person_id"])


def downgrade() -> None:
    op.drop_table("account_edits")
    op.drop_table("archived_people")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("manual_roles")
