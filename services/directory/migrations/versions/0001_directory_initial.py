"""districts, schools, classrooms, people, person schools, enrollments and guardian links

Revision ID: directory_0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "directory_0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("id", ID, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("source_id", name=op.f("uq_districts_source_id")),
    )
    op.create_table(
        "schools",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name=op.f("fk_schools_district_id_districts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        # Keyed by the source system's id, so the same page applied twice finds its rows again.
        sa.UniqueConstraint("district_id", "source_id", name=op.f("uq_schools_district_id_source_id")),
    )
    op.create_table(
        "classrooms",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("school_id", ID, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("class_code", sa.Text(), nullable=True),
        sa.Column("course_title", sa.Text(), nullable=True),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"],
                                name=op.f("fk_classrooms_district_id_districts")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_classrooms_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classrooms")),
        sa.UniqueConstraint("district_id", "source_id", name=op.f("uq_classrooms_district_id_source_id")),
    )
    op.create_index(op.f("ix_classrooms_school_id"), "classrooms", ["school_id"])

    op.create_table(
        "people",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("given_name", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("middle_name", sa.Text(), nullable=True),
        sa.Column("given_name_key", sa.Text(), nullable=False),
        sa.Column("family_name_key", sa.Text(), nullable=False),
        sa.Column("is_student", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_staff", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_guardian", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("grade", sa.Text(), nullable=True),
        sa.Column("job_title", sa.Text(), nullable=True),
        sa.Column("identifier", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("student_account_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("joined", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("managed_by_sync", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name=op.f("fk_people_district_id_districts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("district_id", "source_id", name=op.f("uq_people_district_id_source_id")),
    )
    # The directory lists people by name: read a page in order, for everyone and per kind.
    name_order = ["district_id", "family_name_key", "given_name_key", "id"]
    op.create_index("ix_people_district_name_order", "people", name_order)
    for kind_flag, index in (("is_student", "ix_people_students_name_order"),
                             ("is_staff", "ix_people_staff_name_order"),
                             ("is_guardian", "ix_people_guardians_name_order")):
        op.create_index(index, "people", name_order,
                        postgresql_where=sa.column(kind_flag), sqlite_where=sa.column(kind_flag))

    op.create_table(
        "person_schools",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("school_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_person_schools_person_id_people")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_person_schools_school_id_schools")),
        sa.PrimaryKeyConstraint("person_id", "school_id", name=op.f("pk_person_schools")),
    )
    op.create_index("ix_person_schools_school_id_person_id", "person_schools", ["school_id", "person_id"])

    op.create_table(
        "enrollments",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("classroom_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"],
                                name=op.f("fk_enrollments_district_id_districts")),
        sa.ForeignKeyConstraint(["classroom_id"], ["classrooms.id"],
                                name=op.f("fk_enrollments_classroom_id_classrooms")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_enrollments_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
        sa.UniqueConstraint("district_id", "source_id", name=op.f("uq_enrollments_district_id_source_id")),
    )
    op.create_index("ix_enrollments_classroom_id_role_person_id", "enrollments",
                    ["classroom_id", "role", "person_id"])
    # Covering: a person's classrooms, and a guardian's children's classrooms, read from the index alone.
    op.create_index("ix_enrollments_person_id_role_classroom_id", "enrollments", ["person_id", "role", "classroom_id"])

    op.create_table(
        "guardian_links",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("guardian_id", ID, nullable=False),
        sa.Column("student_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"],
                                name=op.f("fk_guardian_links_district_id_districts")),
        sa.ForeignKeyConstraint(["guardian_id"], ["people.id"], name=op.f("fk_guardian_links_guardian_id_people")),
        sa.ForeignKeyConstraint(["student_id"], ["people.id"], name=op.f("fk_guardian_links_student_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_links")),
        sa.UniqueConstraint("guardian_id", "student_id", name=op.f("uq_guardian_links_guardian_id_student_id")),
    )
    # Covering: from students of a school or class to their guardians without reading the table.
    op.create_index("ix_guardian_links_student_id_guardian_id", "guardian_links", ["student_id", "guardian_id"])


def downgrade() -> None:
    op.drop_table("guardian_links")
    op.drop_table("enrollments")
    op.drop_table("person_schools")
    op.drop_table("people")
    op.drop_table("classrooms")
    op.drop_table("schools")
    op.drop_table("districts")
