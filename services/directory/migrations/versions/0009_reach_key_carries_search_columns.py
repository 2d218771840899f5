"""reach's primary key carries the columns a search reads (PostgreSQL: INCLUDE), so a scope's range of the key
is filtered index-only, the table's rows unread. A school administrator's search at district scale read each of
the school's ~2,800 rows from the table (1,700 pages) to keep the ~80 whose names match.

Revision ID: directory_0009
Revises: directory_0008
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

revision = "directory_0009"
down_revision = "directory_0008"
branch_labels = None
depends_on = None

KEY = "pk_reach"
KEY_COLUMNS = "holder_id, relation, person_id"
# As services.directory.adapters.tables.REACH_KEY_CARRIES when this revision was written.
CARRIED = ("family_name_key, given_name_key, archived, is_student, is_staff, is_guardian, student_account_enabled, "
           "joined, invited")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE reach DROP CONSTRAINT {KEY}, "
                   f"ADD CONSTRAINT {KEY} PRIMARY KEY ({KEY_COLUMNS}) INCLUDE ({CARRIED})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE reach DROP CONSTRAINT {KEY}, ADD CONSTRAINT {KEY} PRIMARY KEY ({KEY_COLUMNS})")
