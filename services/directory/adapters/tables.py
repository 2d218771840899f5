"""The directory's tables (SQLAlchemy Core). Every change here comes with a migration.

Rows a roster sync writes keep the source system's id; `(district_id,
source_id)` is unique so the same page applied twice finds its own rows again.
Ids are UUID4 hex strings generated here.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from shared.db import new_metadata
from shared.outbox import add_event_tables

ID = String(32)

metadata = new_metadata()
# Its outbox and the ids of the events it handled (shared/outbox.py).
add_event_tables(metadata)

districts = Table(
    "districts", metadata,
    Column("id", ID, primary_key=True),
    Column("source_id", Text, nullable=True, unique=True),
    Column("name", Text, nullable=False),
)

schools = Table(
    "schools", metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, ForeignKey("districts.id"), nullable=False),
    Column("source_id", Text, nullable=True),
    Column("name", Text, nullable=False),
    Column("identifier", Text, nullable=True),
    UniqueConstraint("district_id", "source_id"),
)

classrooms = Table(
    "classrooms", metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, ForeignKey("districts.id"), nullable=False),
    Column("school_id", ID, ForeignKey("schools.id"), nullable=False, index=True),
    Column("source_id", Text, nullable=True),
    Column("title", Text, nullable=False),
    Column("class_code", Text, nullable=True),
    Column("course_title", Text, nullable=True),
    Column("grades", JSON, nullable=False),
    # Archived classrooms keep their enrollments and history but reach nobody.
    Column("archived", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("district_id", "source_id"),
)

people = Table(
    "people", metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, ForeignKey("districts.id"), nullable=False),
    Column("source_id", Text, nullable=True),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("middle_name", Text, nullable=True),
    # Lower-cased copies, so search and ordering are case-insensitive on every database.
    Column("given_name_key", Text, nullable=False),
    Column("family_name_key", Text, nullable=False),
    # One flag per kind: the same person can be a student and a guardian, or staff and a guardian.
    Column("is_student", Boolean, nullable=False, server_default=false()),
    Column("is_staff", Boolean, nullable=False, server_default=false()),
    Column("is_guardian", Boolean, nullable=False, server_default=false()),
    Column("grade", Text, nullable=True),
    Column("job_title", Text, nullable=True),
    Column("identifier", Text, nullable=True),
    Column("archived", Boolean, nullable=False, server_default=false()),
    Column("student_account_enabled", Boolean, nullable=False, server_default=false()),
    # Projected from identity.user_joined.
    Column("joined", Boolean, nullable=False, server_default=false()),
    # A student's invitation was sent (identity.join_tokens_issued): Invited rather than just enabled.
    Column("invited", Boolean, nullable=False, server_default=false()),
    Column("managed_by_sync", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("district_id", "source_id"),
)

# The directory list is ordered by name; these let a page be read in order, per kind too.
Index("ix_people_district_name_order", people.c.district_id, people.c.family_name_key,
      people.c.given_name_key, people.c.id)
Index("ix_people_students_name_order", people.c.district_id, people.c.family_name_key,
      people.c.given_name_key, people.c.id,
      postgresql_where=people.c.is_student, sqlite_where=people.c.is_student)
Index("ix_people_staff_name_order", people.c.district_id, people.c.family_name_key,
      people.c.given_name_key, people.c.id,
      postgresql_where=people.c.is_staff, sqlite_where=people.c.is_staff)
Index("ix_people_guardians_name_order", people.c.district_id, people.c.family_name_key,
      people.c.given_name_key, people.c.id,
      postgresql_where=people.c.is_guardian, sqlite_where=people.c.is_guardian)

person_schools = Table(
    "person_schools", metadata,
    Column("person_id", ID, ForeignKey("people.id"), nullable=False),
    Column("school_id", ID, ForeignKey("schools.id"), nullable=False),
    PrimaryKeyConstraint("person_id", "school_id"),
)
Index("ix_person_schools_school_id_person_id", person_schools.c.school_id, person_schools.c.person_id)

enrollments = Table(
    "enrollments", metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, ForeignKey("districts.id"), nullable=False),
    Column("source_id", Text, nullable=True),
    Column("classroom_id", ID, ForeignKey("classrooms.id"), nullable=False),
    Column("person_id", ID, ForeignKey("people.id"), nullable=False),
    Column("role", String(16), nullable=False),
    # An archived enrollment is kept for history; the person no longer belongs to the class.
    Column("archived", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("district_id", "source_id"),
)
Index("ix_enrollments_classroom_id_role_person_id", enrollments.c.classroom_id, enrollments.c.role,
      enrollments.c.person_id)
# Covering: a person's classrooms, and a guardian's children's classrooms, read from the index alone.
Index("ix_enrollments_person_id_role_classroom_id", enrollments.c.person_id, enrollments.c.role,
      enrollments.c.classroom_id)

guardian_links = Table(
    "guardian_links", metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, ForeignKey("districts.id"), nullable=False),
    Column("guardian_id", ID, ForeignKey("people.id"), nullable=False),
    Column("student_id", ID, ForeignKey("people.id"), nullable=False),
    # How the guardian is related to the student, as the school or the SIS calls it (parent, grandmother, ...).
    Column("relationship", Text, nullable=True),
    # Links that existed before this column came from roster syncs, hence the default.
    Column("managed_by_sync", Boolean, nullable=False, server_default=true()),
    Column("archived", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("guardian_id", "student_id"),
)
# Covering: from students of a school or class to their guardians without reading the table.
Index("ix_guardian_links_student_id_guardian_id", guardian_links.c.student_id, guardian_links.c.guardian_id)

# The columns of a reach row that a search or an audience reads besides its key.
REACH_KEY_CARRIES = ("family_name_key", "given_name_key", "archived", "is_student", "is_staff", "is_guardian",
                     "student_account_enabled", "joined", "invited")

# Who each school and classroom reaches, precomputed from the tables above so that a scope is an
# index range rather than joins: (holder, relation) is a school's students, staff or guardians of
# its students, or a classroom's students or their guardians. Each row carries copies of the
# person's searchable columns, so a search within a scope is answered here and only the page's
# people are read from `people`. Kept current by DirectoryRepository.refresh_reach on every write
# that changes a person, their schools, enrollments or guardian links.
reach = Table(
    "reach", metadata,
    Column("holder_id", ID, nullable=False),
    Column("relation", String(16), nullable=False),
    # No foreign key (directory_0008): each row is derived from a join on its person's row, in the statement
    # that writes it, and people are never deleted; the key was checked row by row for nothing.
    Column("person_id", ID, nullable=False),
    Column("district_id", ID, nullable=False),
    Column("family_name_key", Text, nullable=False),
    Column("given_name_key", Text, nullable=False),
    Column("is_student", Boolean, nullable=False),
    Column("is_staff", Boolean, nullable=False),
    Column("is_guardian", Boolean, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("student_account_enabled", Boolean, nullable=False),
    Column("joined", Boolean, nullable=False),
    Column("invited", Boolean, nullable=False, server_default=false()),
    # On PostgreSQL the key's entries also carry what a search reads of a row (directory_0009): a school
    # administrator's search filters the school's thousands of rows in the index alone, index-only, and
    # reads none of them from the table (which needs the table VACUUMed after bulk writes: READ_INDEX_ONLY).
    PrimaryKeyConstraint("holder_id", "relation", "person_id", postgresql_include=REACH_KEY_CARRIES),
)
# Refreshing a person's rows starts from the person.
Index("ix_reach_person_id", reach.c.person_id)
# Tables a search reads index-only, kept VACUUMed after bulk writes (shared/table_statistics.py).
READ_INDEX_ONLY = (reach.name,)

# Name order without the district first: a district-wide list whose scope also admits a few
# individuals (an OR) still walks names in order and stops after the page.
Index("ix_people_name_order", people.c.family_name_key, people.c.given_name_key, people.c.id)
# A district audience reads its people page by page in id order.
Index("ix_people_district_id_id", people.c.district_id, people.c.id)
# Search matches any part of a name (LIKE '%term%'); trigram indexes answer that on PostgreSQL.
# SQLite has no such index and scans, which is fine at the sizes it is the default for.
for _column in (people.c.given_name_key, people.c.family_name_key):
    Index(f"ix_people_{_column.name}_trgm", _column, postgresql_using="gin",
          postgresql_ops={_column.name: "gin_trgm_ops"}).ddl_if(dialect="postgresql")


# How many people of a district hold each name (lower-cased keys), per archived state and kind flags: a
# district-wide search counts its matches and finds the names of its first page here, then reads only that
# page's people, where `people` would be read row by row for every match (thousands share a family name).
# On PostgreSQL, triggers keep it: each statement that writes `people` adds its changes to
# name_count_changes, and one statement at commit folds a transaction's changes into name_counts
# (migration directory_0006). Rows are kept at zero rather than deleted. SQLite has no triggers here and
# its searches never read it.
NAME_COUNT_KEY = ("district_id", "family_name_key", "given_name_key", "archived", "is_student", "is_staff",
                  "is_guardian")


def _name_count_key_columns() -> list[Column]:
    return [Column(name, ID if name == "district_id" else Text if name.endswith("_key") else Boolean,
                   nullable=False) for name in NAME_COUNT_KEY]


# Its pages are left half free on PostgreSQL (directory_0007), so a count's update stays on its row's page
# and adds no index entry.
name_counts = Table(
    "name_counts", metadata,
    *_name_count_key_columns(),
    Column("people", Integer, nullable=False),
    PrimaryKeyConstraint(*NAME_COUNT_KEY),
)
for _column in (name_counts.c.given_name_key, name_counts.c.family_name_key):
    Index(f"ix_name_counts_{_column.name}_trgm", _column, postgresql_using="gin",
          postgresql_ops={_column.name: "gin_trgm_ops"}).ddl_if(dialect="postgresql")

# A transaction's changes to name_counts (+1 / -1 per person and key) until its commit folds them: written
# without conflicts, so writers never wait on each other's names before they commit.
name_count_changes = Table(
    "name_count_changes", metadata,
    *_name_count_key_columns(),
    Column("people", Integer, nullable=False),
    # The writing transaction (txid_current(), the column's default on PostgreSQL): its marking trigger and
    # its fold read its own rows by this index, not the whole table, whose dead rows stay until a VACUUM.
    Column("transaction_id", BigInteger, nullable=True, index=True),
)

# Who changed what in the directory, and how (DESIGN.md: every change a person makes is audited).
audit_log = Table(
    "audit_log", metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("action", String(48), nullable=False),
    Column("subject_type", String(24), nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_audit_log_district_id_at", audit_log.c.district_id, audit_log.c.at)
Index("ix_audit_log_subject_id", audit_log.c.subject_id)

# Bulk actions too large to answer in one call run as jobs: progress and per-item results are kept here.
jobs = Table(
    "jobs", metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, nullable=True),
    Column("action", String(32), nullable=False),
    Column("requested_by", ID, nullable=False),
    Column("request", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("total", Integer, nullable=False),
    Column("processed", Integer, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("results", JSON, nullable=False),
    Column("message", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

# Which parts of a district a roster sync owns, as rostering last said: manual edits to them are refused.
district_sync = Table(
    "district_sync", metadata,
    Column("district_id", ID, ForeignKey("districts.id"), primary_key=True),
    Column("source", Text, nullable=False),
    Column("manages_guardians", Boolean, nullable=False),
    Column("updates_contact_details_of_active_users", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
