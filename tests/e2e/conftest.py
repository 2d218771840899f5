"""The whole platform as separate processes, the way `make run` starts it, on an isolated vhost and schemas:
every service, the gateway, the provider sandbox and two notify workers (shared/testing/stack.py).

Every e2e test runs on PostgreSQL. Modules marked `also_on_sqlite` run a second time on the embedded SQLite default
that `make run` uses: the delivery loop, the roster import and sync, and conversations, which between them write
through every service's store. Starting a stack costs 10-30 s, so running all of them twice doubled CI's e2e time."""
from __future__ import annotations

import pytest

from shared.testing.stack import running_stack

POSTGRESQL, SQLITE = "postgresql", "sqlite"


def pytest_generate_tests(metafunc) -> None:
    if "stack" in metafunc.fixturenames:
        databases = [POSTGRESQL, SQLITE] if metafunc.definition.get_closest_marker("also_on_sqlite") else [POSTGRESQL]
        metafunc.parametrize("stack_database", databases)


@pytest.fixture
def stack_environment() -> dict[str, str]:
    """Settings the stack's processes get on top of `make run`'s; a test module overrides it to change them."""
    return {}


@pytest.fixture
def stack(request, stack_database, rabbit_config, tmp_path, stack_environment):
    """Every process of `make run`, each on its own, on PostgreSQL (and SQLite where the module asks for it)."""
    database_urls = request.getfixturevalue("database_urls" if stack_database == POSTGRESQL
                                            else "sqlite_database_urls")
    with running_stack(rabbit_config["AMQP_URI"], database_urls, tmp_path / "logs", workers=2,
                       extra_env=stack_environment) as stack:
        yield stack
