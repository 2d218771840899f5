"""The rostering database: one row per sync run, and what each district's imports last applied."""
from __future__ import annotations

from sqlalchemy import (
    JSON, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, PrimaryKeyConstraint, String,
    Table, Text, false, text,
)

from shared.db import new_metadata
from shared.outbox import add_event_tables

metadata = new_metadata()
# Its outbox and the ids of the events it handled (shared/outbox.py).
add_event_tables(metadata)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("state", String(32), nullable=False),
    Column("source", Text, nullable=False),
    Column("district_id", String(64), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # Counts and problems are read back whole with the run, never queried by field.
    Column("counts", JSON, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("message", Text, nullable=True),
    # A run held by the mass-change guard: what it would archive (counts by school and kind), and who decided.
    Column("diff", JSON, nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    # How far the run has got (domain/progress.py), written in batches while it works.
    Column("progress", JSON, nullable=True),
    # The district as its source names it; a second running run of it is refused by the index below.
    Column("district_key", Text, nullable=True),
    # The service instance working on the run and when it last said so: a run whose heartbeat stopped
    # was left by a dead process and is failed (adapters/repository.py fail_abandoned).
    Column("owner", String(64), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Index("ix_sync_runs_district_id_started_at", "district_id", "started_at"),
    Index("ix_sync_runs_state", "state"),
    Index("uq_sync_runs_running_district_key", "district_key", unique=True,
          postgresql_where=text("state = 'running'"), sqlite_where=text("state = 'running'")),
)

# A district as the source knows it (what mapping.district_row keys on), and the directory district
# its rows were last applied to: when the directory answers another id, what was applied is gone.
applied_districts = Table(
    "applied_districts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_key", Text, nullable=False, unique=True),
    Column("target_id", String(64), nullable=False),
)

# One row per item last applied: a district holds about a million, so the district is a small
# integer here and the fingerprint 16 bytes.
applied_rows = Table(
    "applied_rows",
    metadata,
    Column("district", Integer, ForeignKey("applied_districts.id", ondelete="CASCADE"), primary_key=True),
    Column("entity", String(32), primary_key=True),
    Column("row_key", Text, primary_key=True),
    Column("fingerprint", LargeBinary(16), nullable=False),
    Column("target_id", String(64), nullable=True),
    # The source fingerprint of the record the row was built from (domain/applied_rows.py), where the stage keeps one.
    Column("source_fingerprint", LargeBinary(16), nullable=True),
)

# Each district's sync settings (rostering provider setup screens); a district never saved has the defaults.
district_settings = Table(
    "district_settings",
    metadata,
    Column("district_id", String(64), primary_key=True),
    Column("daily_sync", Boolean, nullable=False),
    Column("sync_manages_guardians", Boolean, nullable=False),
    Column("unarchive_classrooms_that_reappear", Boolean, nullable=False),
    Column("sync_updates_contact_details_of_active_users", Boolean, nullable=False),
    Column("mass_change_threshold", Float, nullable=False),
    Column("source", Text, nullable=True),
    Column("updated_by", String(64), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    Column("enable_student_accounts_automatically", Boolean, nullable=False, server_default=false()),
    Column("connection", JSON, nullable=False, server_default="{}"),
    Column("secret_names", JSON, nullable=False, server_default="[]"),
    # The source's secrets, sealed with ROSTERING_SETTINGS_KEY (shared/sealed_secrets.py).
    Column("sealed_secrets", Text, nullable=True),
    Column("daily_time", String(5), nullable=False, server_default="02:00"),
    Column("time_zone", String(64), nullable=False, server_default="UTC"),
    Column("region", String(2), nullable=False, server_default="US"),
    # The district's local day the schedule last started a run on: at most one scheduled run a day.
    Column("last_scheduled_on", Date, nullable=True),
)

# The package of a run held for approval, kept until it is approved and applied, rejected or superseded.
held_packages = Table(
    "held_packages",
    metadata,
    Column("run_id", String(32), ForeignKey("sync_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("request", JSON, nullable=False),
    Column("archive_digest", String(64), nullable=False),
)

# What a run archives (or, held, would archive), row by row with file and line: its readable diff.
sync_run_changes = Table(
    "sync_run_changes",
    metadata,
    Column("run_id", String(32), ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("entity", String(32), nullable=False),
    Column("key", Text, nullable=False),
    Column("file", String(64), nullable=False),
    Column("line", Integer, nullable=True),
    Column("reason", Text, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("name", Text, nullable=True),
    Column("kinds", JSON, nullable=False),
    Column("school_ids", JSON, nullable=False),
    PrimaryKeyConstraint("run_id", "seq"),
)

# When each district's last completed runs from its provider started: the next run's full-or-incremental choice.
source_sync_marks = Table(
    "source_sync_marks",
    metadata,
    Column("district", String(64), primary_key=True),
    Column("last_full_started_at", DateTime(timezone=True), nullable=True),
    Column("last_started_at", DateTime(timezone=True), nullable=True),
    Column("event_cursor", String(64), nullable=True),
)
