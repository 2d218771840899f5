"""student enablements, and accounts disabled by a sync

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows were never disabled by a sync: nothing before this revision disabled accounts.
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("disabled_by_sync", sa.Boolean(), nullable=False, server_default=sa.false()))

    # Keyed by person alone, without a foreign key: the enablement may arrive before the account.
    op.create_table(
        "student_enablements",
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("enabled_by", sa.String(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_student_enablements")),
    )


def downgrade() -> None:
    op.drop_table("student_enablements")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("disabled_by_sync")
