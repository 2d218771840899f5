import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from services.rostering.adapters.tables import metadata
from shared.migrations import upgrade


def schema_drift(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()


def test_migrations_build_exactly_the_declared_tables_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'rostering.db'}"

    upgrade("rostering", url)
    upgrade("rostering", url)  # a second upgrade is a no-op

    assert schema_drift(url) == []


@pytest.mark.postgres
def test_migrations_build_exactly_the_declared_tables_on_postgresql(pg_schema_url):
    url = pg_schema_url("rostering")

    upgrade("rostering", url)

    assert schema_drift(url) == []
