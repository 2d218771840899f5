import pytest

from services.rostering.adapters.tables import metadata
from shared.migrations import upgrade
from shared.testing.migrations import schema_drift


def test_migrations_build_exactly_the_declared_tables_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'rostering.db'}"

    upgrade("rostering", url)
    upgrade("rostering", url)  # a second upgrade is a no-op

    assert schema_drift(url, metadata) == []


@pytest.mark.postgres
def test_migrations_build_exactly_the_declared_tables_on_postgresql(pg_schema_url):
    url = pg_schema_url("rostering")

    upgrade("rostering", url)

    assert schema_drift(url, metadata) == []
