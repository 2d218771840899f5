"""Another team's service calls the platform with a service credential of its own, the way
docs/calling-the-platform.md tells: examples/send_announcement.py run as it is, against every process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from schoolctl.demo import DEMO_ADMIN_EMAIL
from shared.config import PROJECT_ROOT

from district_support import import_demo_district, schoolctl, sign_in, wait_for

pytestmark = pytest.mark.e2e

EXAMPLE = PROJECT_ROOT / "examples" / "send_announcement.py"
SUBJECT = "Pizza on Friday"


@pytest.fixture
def district(stack, tmp_path):
    """The demo district imported, its id and its first school's, as its administrator sees them."""
    import_demo_district(stack, tmp_path / "district")
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    district_id = stack.api("GET", "/api/v1/me", admin).json()["principal"]["district_id"]
    schools = stack.api("GET", "/api/v1/schools", admin).json()["items"]
    return {"admin": admin, "district_id": district_id, "school": schools[0]}


def credential(stack, name: str, scopes: str, district_id: str) -> dict:
    """What the operator runs to let a service in: `schoolctl services add`."""
    added = schoolctl(stack, "services", "add", name, "--scopes", scopes, "--district", district_id, "--json")
    assert added.returncode == 0, added.stdout + added.stderr
    return json.loads(added.stdout)


def run_example(stack, issued: dict, school_id: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AMQP_URI": stack.amqp_uri, "PYTHONWARNINGS": "ignore",
           "PLATFORM_CLIENT_ID": issued["client_id"], "PLATFORM_CLIENT_SECRET": issued["client_secret"]}
    return subprocess.run([sys.executable, str(EXAMPLE), "--school-id", school_id, "--subject", SUBJECT,
                           "--body", "The cafeteria serves pizza on Friday."],
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_service_with_the_announcements_scope_sends_to_a_school_as_itself(stack, district):
    issued = credential(stack, "lunch-alerts", "announcements:send", district["district_id"])

    sent = run_example(stack, issued, district["school"]["id"])

    assert sent.returncode == 0, sent.stdout + sent.stderr
    answer = json.loads(sent.stdout)
    assert answer["recipient_count"] > 0
    report = wait_for(lambda: _report(stack, district["admin"], answer["communication_id"]), what="a report")
    assert report["sender_id"] == f"service:{issued['client_id']}" and report["subject"] == SUBJECT
    assert wait_for(lambda: [m for m in stack.sandbox.messages(channel="email") if m["subject"] == SUBJECT],
                    what="the announcement's emails at the provider")


def test_a_service_without_the_scope_is_refused_and_nothing_is_sent(stack, district):
    issued = credential(stack, "directory-reader", "directory:read", district["district_id"])

    refused = run_example(stack, issued, district["school"]["id"])

    assert refused.returncode != 0
    assert "PermissionDenied" in refused.stderr and "notify.send_announcement" in refused.stderr
    assert [m for m in stack.sandbox.messages(channel="email") if m["subject"] == SUBJECT] == []


def _report(stack, token: str, communication_id: str) -> dict | None:
    response = stack.api("GET", f"/api/v1/announcements/{communication_id}/report", token)
    return response.json() if response.status_code == 200 and response.json()["items"] else None


def test_readiness_reports_every_service_and_names_the_one_that_stopped(stack):
    ready = stack.api("GET", "/health/ready")

    assert ready.status_code == 200, ready.text
    report = ready.json()
    assert report["status"] == "ready" and report["broker"]["status"] == "ok"
    assert {service["service"]: [check["name"] for check in service["checks"]] for service in report["services"]} == {
        "identity": ["database"], "directory": ["database"], "notify": ["database"], "rostering": ["database"]}

    # Every process exports its metrics: the gateway its requests, each service the RPCs it answered.
    gateway_metrics = requests.get(stack.metrics_urls["gateway"], timeout=5).text
    assert 'school_http_request_seconds_count{route="show_readiness",status="200"}' in gateway_metrics
    identity_metrics = requests.get(stack.metrics_urls["identity"], timeout=5).text
    assert 'school_rpc_seconds_count{method="check_health",outcome="ok",service="identity"}' in identity_metrics
    assert requests.get(stack.metrics_urls["notify-worker-1"], timeout=5).ok

    stack.stop(["rostering"])
    not_ready = stack.api("GET", "/health/ready")

    assert not_ready.status_code == 503, not_ready.text
    error = not_ready.json()["error"]
    assert error["code"] == "not_ready" and error["fields"] == {"rostering": ["no answer within 3 s"]}
