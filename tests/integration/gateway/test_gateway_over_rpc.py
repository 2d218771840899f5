"""The gateway's real RPC proxies against stand-in identity, directory and notify services on the real broker:
payloads cross the wire through the contracts and errors come back as their own types."""
import json
import time
from datetime import datetime, timezone

import pika
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from services.gateway.service import GatewayService
from shared.contracts import callers, directory, identity, notify
from shared.contracts.errors import InvalidRequest, NotAuthenticated, NotFound, TooManyRequests
from services.sandbox.signing import public_key_base64, sendgrid_signature
from shared.contracts.provider_webhooks import WEBHOOK_QUEUE
from shared.messaging import rpc_endpoint

from gateway_http_support import (
    assert_error, free_port, make_account, make_communication_history, make_credential_health, make_person_profile,
    make_principal,
)

TEACHER = make_principal(identity.TEACHER, person_id="teacher-1", permissions=(identity.ENGAGEMENT_VISIBILITY,))
UPDATED_AT = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
SIGNED_IN = {"Authorization": "Bearer good-token"}


class StandInIdentity:
    name = identity.NAME

    @rpc_endpoint(callers.issue_assertion)
    def issue_assertion(self, request):
        if request["token"] != "good-token":
            raise NotAuthenticated("This sign-in has expired or is not valid.")
        return {"principal": TEACHER, "assertion": "assertion-of-teacher-1", "expires_at": UPDATED_AT}

    @rpc_endpoint(identity.login)
    def login(self, request):
        raise TooManyRequests("too many sign-ins are being checked right now: try again in a few seconds")

    @rpc_endpoint(identity.get_accounts)
    def get_accounts(self, request):
        return {"accounts": [make_account(person_id=person_id, joined_at=None)
                             for person_id in request["person_ids"]]}


class StandInDirectory:
    name = directory.NAME

    @rpc_endpoint(directory.get_person_profile)
    def get_person_profile(self, request):
        if request["person_id"] != "person-1":
            raise NotFound("No such person.")
        return make_person_profile(id="person-1")

    @rpc_endpoint(directory.search_people)
    def search_people(self, request):
        raise InvalidRequest("The search is too broad.", fields={"query": {0: ["Too short."]}})


class StandInNotify:
    name = notify.NAME

    @rpc_endpoint(notify.get_credential_health)
    def get_credential_health(self, request):
        # A real datetime: the response is dumped through the contract schema on the way out.
        return {"credentials": [make_credential_health(person_id=person_id, updated_at=UPDATED_AT)
                                for person_id in request["person_ids"]]}

    @rpc_endpoint(notify.get_communication_history)
    def get_communication_history(self, request):
        history = make_communication_history()
        return {**history, "items": [{**item, "sent_at": UPDATED_AT, "deliveries": [
            {**delivery, "updated_at": UPDATED_AT} for delivery in item["deliveries"]]} for item in history["items"]]}


@pytest.fixture
def gateway_url(container_factory, rabbit_config):
    """Starts the given stand-ins and a gateway with its real proxies; answers the gateway's base URL."""

    def start(*stand_ins) -> str:
        address = f"127.0.0.1:{free_port()}"
        for service_class in stand_ins:
            container_factory(service_class, rabbit_config).start()
        container_factory(GatewayService, {**rabbit_config, "WEB_SERVER_ADDRESS": address}).start()
        return f"http://{address}"

    return start


def test_a_profile_is_assembled_from_three_services_over_rpc(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory, StandInNotify)

    response = requests.get(f"{url}/api/v1/directory/people/person-1", headers=SIGNED_IN, timeout=10)

    assert response.status_code == 200
    credentials = response.json()["credentials"]
    assert [{k: v for k, v in c.items() if k != "delivery_status"} for c in credentials] == \
        make_account()["credentials"]
    assert credentials[0]["delivery_status"]["state"] == "good"
    [item] = response.json()["communication_history"]["items"]
    assert item["sent_at"] == "2026-09-01T08:00:00+00:00" and item["deliveries"][0]["status"] == "delivered"
    assert response.json()["linked_students"] == make_person_profile()["linked_students"]


def test_a_webhook_reaches_notifys_queue_with_its_body_unchanged(gateway_url, rabbit_config, monkeypatch):
    key = ec.generate_private_key(ec.SECP256R1())
    monkeypatch.setenv("SENDGRID_WEBHOOK_PUBLIC_KEY", public_key_base64(key))
    url = gateway_url()
    body = '[{"email":"zoë@example.org","event":"bounce","reason":"550 5.1.1  two  spaces\\u00e9"}]\n'.encode()
    timestamp = str(int(time.time()))

    response = requests.post(f"{url}/webhooks/sendgrid/events", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "X-Twilio-Email-Event-Webhook-Signature": sendgrid_signature(key, timestamp, body)})

    assert response.status_code == 200
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    try:
        _, _, queued = connection.channel().basic_get(WEBHOOK_QUEUE, auto_ack=True)
    finally:
        connection.close()
    received = json.loads(queued)
    assert received["body"].encode("utf-8") == body
    assert received["url"] == f"{url}/webhooks/sendgrid/events"


def test_a_remote_not_found_answers_404_in_the_error_shape(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.get(f"{url}/api/v1/directory/people/person-9", headers=SIGNED_IN, timeout=10)

    assert_error(response, 404, "not_found")
    assert response.json()["error"]["message"] == "No such person."


def test_a_remote_validation_error_names_its_fields_as_dotted_paths(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.get(f"{url}/api/v1/directory/people", params={"query": "a"}, headers=SIGNED_IN, timeout=10)

    assert assert_error(response, 400, "invalid_request") == {"query.0": ["Too short."]}


def test_a_token_identity_refuses_answers_401(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.get(f"{url}/api/v1/me", headers={"Authorization": "Bearer stale"}, timeout=10)

    assert_error(response, 401, "not_authenticated")


def test_a_service_that_was_never_started_answers_503_at_once(gateway_url):
    url = gateway_url(StandInIdentity)

    response = requests.get(f"{url}/api/v1/schools", headers=SIGNED_IN, timeout=10)

    assert_error(response, 503, "service_unavailable")


def test_identity_refusing_a_login_as_too_busy_answers_429_with_retry_after(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.post(f"{url}/api/v1/auth/login", json={"login": "dana@example.org", "password": "pw"},
                             timeout=10)

    assert_error(response, 429, "too_many_requests")
    assert response.headers["Retry-After"] == "2"
