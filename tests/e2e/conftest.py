"""The whole platform as separate processes, the way `make run` starts it, on an isolated vhost and schemas:
every service, the gateway, the provider sandbox and two notify workers (shared/testing/stack.py)."""
from __future__ import annotations

import pytest

from shared.testing.stack import running_stack


@pytest.fixture
def stack_environment() -> dict[str, str]:
    """Settings the stack's processes get on top of `make run`'s; a test module overrides it to change them."""
    return {}


@pytest.fixture(params=["postgresql", "sqlite"])
def stack(request, rabbit_config, tmp_path, stack_environment):
    """Every process of `make run`, each on its own, on PostgreSQL and on the embedded SQLite default."""
    database_urls = request.getfixturevalue("database_urls" if request.param == "postgresql"
                                            else "sqlite_database_urls")
    with running_stack(rabbit_config["AMQP_URI"], database_urls, tmp_path / "logs", workers=2,
                       extra_env=stack_environment) as stack:
        yield stack
