"""Alembic environment for notify: its own history, in its own database."""
from services.notify.adapters.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
