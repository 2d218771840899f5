"""`schoolctl dev migrate`, the migrations Job of deploy/k8s and compose's migrate container: it brings every
service's database up to date and says which, without writing a database password into the Job's log."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from schoolctl.main import run
from shared.config import SERVICES

pytestmark = pytest.mark.postgres

DATABASE_PASSWORD = "a-database-password"  # the test server trusts local connections: any password signs in


def test_migrate_brings_every_database_up_and_prints_no_password(pg_schema_url, monkeypatch, capsys):
    urls = {service: pg_schema_url(service).replace("postgres@", f"postgres:{DATABASE_PASSWORD}@", 1)
            for service in SERVICES}
    for service, url in urls.items():
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)

    assert run(["dev", "migrate"]) == 0

    printed = capsys.readouterr().out
    assert DATABASE_PASSWORD not in printed
    for service, url in urls.items():
        assert f"migrated {service}: postgresql+psycopg2://postgres:***@" in printed
        engine = create_engine(url)
        try:
            assert "alembic_version" in inspect(engine).get_table_names(), service
        finally:
            engine.dispose()
