"""The delivery loop's revision (0002_delivery_loop) builds, on SQLite and PostgreSQL, exactly the tables
the repository uses, and comes off again leaving the recipient projection alone."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from services.notify.adapters.tables import metadata
from shared.migrations import alembic_config

DELIVERY_LOOP_TABLES = {"communications", "deliveries", "send_ledger", "delivery_events", "credential_health",
                        "preferences", "district_settings", "status_resets", "inbox_items", "webhook_receipts"}
RECIPIENT_TABLES = {"recipients", "recipient_schools"}


def test_the_migrated_schema_holds_the_delivery_loop_tables_exactly_as_declared(any_notify_database_url, notify_engine):
    assert DELIVERY_LOOP_TABLES <= set(inspect(notify_engine).get_table_names())
    with notify_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_the_delivery_loop_revision_comes_off_and_on_again_leaving_the_recipients_alone(
        any_notify_database_url, notify_engine):
    config = alembic_config("notify", any_notify_database_url)

    command.downgrade(config, "0001")
    assert set(inspect(notify_engine).get_table_names()) == RECIPIENT_TABLES | {"alembic_version"}

    command.upgrade(config, "0002_delivery_loop")
    tables = set(inspect(notify_engine).get_table_names())
    assert tables == RECIPIENT_TABLES | DELIVERY_LOOP_TABLES | {"alembic_version"}
