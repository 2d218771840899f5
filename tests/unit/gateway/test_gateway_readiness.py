"""`/health/ready`: ready only when the broker and every service and database answer; otherwise 503 naming each."""
from __future__ import annotations

import pytest

from services.gateway.domain.readiness import NotReady, readiness_report

BROKER_OK = {"name": "broker", "status": "ok", "latency_ms": 1.5, "detail": None}


def healthy(service: str) -> dict:
    return {"service": service, "status": "ok",
            "checks": [{"name": "database", "status": "ok", "latency_ms": 0.4, "detail": None}]}


def test_everything_answering_is_ready_with_every_services_checks():
    report = readiness_report(BROKER_OK, {"identity": healthy("identity"), "notify": healthy("notify")})

    assert report["status"] == "ready"
    assert [service["service"] for service in report["services"]] == ["identity", "notify"]


def test_a_service_that_did_not_answer_and_a_failing_database_are_both_named():
    failing_database = {"service": "notify", "status": "failing", "checks": [
        {"name": "database", "status": "failing", "latency_ms": 3.0,
         "detail": "OperationalError: cannot execute UPDATE in a read-only transaction"}]}

    with pytest.raises(NotReady) as not_ready:
        readiness_report(BROKER_OK, {"identity": "no answer within 3 s", "notify": failing_database,
                                     "directory": healthy("directory")})

    assert not_ready.value.http_status == 503 and not_ready.value.code == "not_ready"
    assert not_ready.value.fields == {
        "identity": ["no answer within 3 s"],
        "notify": ["database: OperationalError: cannot execute UPDATE in a read-only transaction"]}
    assert "identity" in not_ready.value.message and "directory" not in not_ready.value.message


def test_an_unreachable_broker_is_named_first():
    broker = {**BROKER_OK, "status": "failing", "detail": "cannot publish to the broker: connection refused"}

    with pytest.raises(NotReady) as not_ready:
        readiness_report(broker, {"identity": "not asked: the broker is unreachable"})

    assert list(not_ready.value.fields) == ["broker", "identity"]
