"""The rostering database: one row per sync run, and what each district's imports last applied."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from shared.db import new_metadata

metadata = new_metadata()

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("district_id", String(64), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # Counts and problems are read back whole with the run, never queried by field.
    Column("counts", JSON, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("message", Text, nullable=True),
    Index("ix_sync_runs_district_id_started_at", "district_id", "started_at"),
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
)
