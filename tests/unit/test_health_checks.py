"""A service's database check: ok with its latency, or failing with the driver's reason and never a password."""
from __future__ import annotations

import socket

from sqlalchemy import create_engine

from shared.health import database_check, service_health


def test_a_database_that_answers_is_ok():
    check = database_check(create_engine("sqlite://"))

    assert (check["name"], check["status"], check["detail"]) == ("database", "ok", None)
    assert check["latency_ms"] >= 0


def test_a_database_that_refuses_is_failing_with_the_reason_but_not_the_password():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    engine = create_engine(f"postgresql+psycopg2://notify:s3cret-pw@127.0.0.1:{port}/notify",
                           connect_args={"connect_timeout": 2})

    check = database_check(engine)

    assert check["status"] == "failing" and check["detail"].startswith("OperationalError")
    assert "s3cret-pw" not in check["detail"]


def test_a_service_is_ok_only_when_every_check_is():
    ok = {"name": "database", "status": "ok", "latency_ms": 1.0, "detail": None}
    failing = {**ok, "status": "failing", "detail": "refused"}

    assert service_health("notify", [ok])["status"] == "ok"
    assert service_health("notify", [ok, failing])["status"] == "failing"

