"""the reach table (who each school and classroom reaches, with searchable copies), filled from the
existing rows; people by district and id, and by name alone; trigram name indexes on PostgreSQL

Revision ID: directory_0002
Revises: directory_0001
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

revision = "directory_0002"
down_revision = "directory_0001"
branch_labels = None
depends_on = None

ID = sa.String(32)
PERSON_COLUMNS = ("district_id, family_name_key, given_name_key, is_student, is_staff, is_guardian, archived, "
                  "student_account_enabled, joined")


def _copied(alias: str) -> str:
    return ", ".join(f"{alias}.{name.strip()}" for name in PERSON_COLUMNS.split(","))


# The rule of services.directory.adapters.reach_sql.rows_of, frozen here as this revision wrote it.
BACKFILL = f"""
INSERT INTO reach (holder_id, relation, person_id, {PERSON_COLUMNS})
SELECT ps.school_id, 'student', m.id, {_copied('m')}
  FROM person_schools ps JOIN people m ON m.id = ps.person_id WHERE m.is_student
UNION
SELECT ps.school_id, 'staff', m.id, {_copied('m')}
  FROM person_schools ps JOIN people m ON m.id = ps.person_id WHERE m.is_staff
UNION
SELECT ps.school_id, 'guardian', m.id, {_copied('m')}
  FROM guardian_links gl JOIN person_schools ps ON ps.person_id = gl.student_id
  JOIN people m ON m.id = gl.guardian_id WHERE m.is_guardian
UNION
SELECT e.classroom_id, 'student', m.id, {_copied('m')}
  FROM enrollments e JOIN people m ON m.id = e.person_id WHERE m.is_student AND e.role = 'student'
UNION
SELECT e.classroom_id, 'guardian', m.id, {_copied('m')}
  FROM guardian_links gl JOIN enrollments e ON e.person_id = gl.student_id
  JOIN people m ON m.id = gl.guardian_id WHERE m.is_guardian AND e.role = 'student'
"""


def upgrade() -> None:
    op.create_table(
        "reach",
        sa.Column("holder_id", ID, nullable=False),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("family_name_key", sa.Text(), nullable=False),
        sa.Column("given_name_key", sa.Text(), nullable=False),
        sa.Column("is_student", sa.Boolean(), nullable=False),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.Column("is_guardian", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("student_account_enabled", sa.Boolean(), nullable=False),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_reach_person_id_people")),
        sa.PrimaryKeyConstraint("holder_id", "relation", "person_id", name=op.f("pk_reach")),
    )
    op.create_index("ix_reach_person_id", "reach", ["person_id"])
    op.execute(BACKFILL)
    op.create_index("ix_people_district_id_id", "people", ["district_id", "id"])
    op.create_index("ix_people_name_order", "people", ["family_name_key", "given_name_key", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Substring search on names; the extension ships with PostgreSQL (contrib). It belongs to the
        # database, not to this service's schema: kept in public, so dropping a schema never drops it,
        # and its operator class is named with whatever schema it already lives in.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        home = bind.execute(sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                                    "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar_one()
        for column in ("given_name_key", "family_name_key"):
            op.execute(f'CREATE INDEX ix_people_{column}_trgm ON people USING gin ({column} "{home}".gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in ("given_name_key", "family_name_key"):
            op.drop_index(f"ix_people_{column}_trgm", "people")
    op.drop_index("ix_people_name_order", "people")
    op.drop_index("ix_people_district_id_id", "people")
    op.drop_index("ix_reach_person_id", "reach")
    op.drop_table("reach")
