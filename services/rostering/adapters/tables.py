"""The rostering database: one row per sync run."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, String, Table, Text

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
