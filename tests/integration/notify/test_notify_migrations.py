"""notify's Alembic history builds, on SQLite and PostgreSQL, exactly the tables the code uses."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from services.notify.adapters.tables import metadata
from shared.migrations import alembic_config


def test_the_migrated_schema_matches_the_tables_the_code_declares(any_notify_database_url, notify_engine):
    with notify_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_downgrading_to_base_removes_every_notify_table(any_notify_database_url, notify_engine):
    command.downgrade(alembic_config("notify", any_notify_database_url), "base")

    assert set(inspect(notify_engine).get_table_names()) == {"alembic_version"}
