from services.identity.adapters import service_credentials  # noqa: F401 — its table is part of the metadata
from services.identity.adapters.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
