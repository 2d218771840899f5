"""Alembic environment of the directory service's own database."""
from services.directory.adapters.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
