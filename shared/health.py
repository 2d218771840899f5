"""A service's answer to its health check: every database it holds answers a trivial query in time.

Declared in each service as `health = HealthCheck()`; it finds the service's Database dependencies itself, the way
ServiceRpc finds PlatformIdentity, so a service cannot forget to report one of them.
"""
from __future__ import annotations

import time

from nameko.extensions import DependencyProvider
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from shared.contracts.health import FAILING, OK
from shared.db import Database


class HealthCheck(DependencyProvider):
    def get_dependency(self, worker_ctx):
        service = self.container.service_name
        # Two repositories of one service share its database: checked once.
        engines = {str(dependency.engine.url): dependency.engine for dependency in self.container.dependencies
                   if isinstance(dependency, Database) and dependency.engine is not None}
        return lambda: service_health(service, [database_check(engine) for engine in engines.values()])


def database_check(engine) -> dict:
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status, detail = OK, None
    except SQLAlchemyError as error:
        # The driver's own error names the failure (refused, read-only, authentication), never the URL's password.
        cause = getattr(error, "orig", None) or error
        status, detail = FAILING, f"{type(cause).__name__}: {(str(cause).splitlines() or [''])[0]}"
    return {"name": "database", "status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "detail": detail}


def service_health(service: str, checks: list[dict]) -> dict:
    return {"service": service, "status": OK if all(check["status"] == OK for check in checks) else FAILING,
            "checks": checks}
