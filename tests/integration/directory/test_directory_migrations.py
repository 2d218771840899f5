"""directory's Alembic history builds, on SQLite and PostgreSQL, exactly the tables the code uses."""
import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from services.directory.adapters.tables import metadata
from shared.migrations import alembic_config, upgrade
from shared.testing.migrations import schema_drift


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def directory_url(request, tmp_path, pg_schema_url):
    return f"sqlite:///{tmp_path / 'directory.db'}" if request.param == "sqlite" else pg_schema_url("directory")


def test_migrations_build_exactly_the_declared_tables(directory_url):
    upgrade("directory", directory_url)
    upgrade("directory", directory_url)  # a second upgrade is a no-op

    assert schema_drift(directory_url, metadata) == []


def test_downgrading_to_base_removes_every_directory_table(directory_url):
    upgrade("directory", directory_url)
    command.downgrade(alembic_config("directory", directory_url), "base")

    engine = create_engine(directory_url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
