"""A webhook that meets notify's database in trouble is never answered 500 and never lost.

A provider webhook the gateway verified waits on the durable webhook queue, unacknowledged, until notify's
database takes it (the failure named and counted meanwhile); an email reply, which notify takes over RPC,
answers 503 (SendGrid posts it again). The database really is in trouble: notify's URL points at a port
nothing listens on, or at a schema whose every transaction is read-only (as a replica after a failover), or
PostgreSQL terminates notify's backends between two webhooks (then the pool reconnects and the next one is
taken). notify and the gateway run in real containers on the broker; the provider's post goes to the gateway
over HTTP.
"""
from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import create_engine, select, text

from services.gateway.service import GatewayService
from services.notify.adapters.tables import webhook_receipts
from services.notify.domain.conversations import ReplyRoute, reply_address
from services.notify.service import NotifyService
from shared.contracts.conversations import SENDGRID_INBOUND_PATH
from shared.db import make_engine
from shared.metrics import DEPENDENCY_FAILURES
from shared.settings import value
from tests.integration.gateway.gateway_http_support import free_port
from tests.integration.notify.signed_webhooks import TWILIO_TOKEN, Signer

pytestmark = pytest.mark.postgres

REPLY_SECRET, URL_SECRET = "reply-secret-for-fault-tests", "inbound-url-secret-for-fault-tests"


@pytest.fixture
def signer(monkeypatch) -> Signer:
    signer = Signer()
    for name, value in {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                        "TWILIO_FROM_NUMBER": "+15005550006", "SENDGRID_API_KEY": "SG.test",
                        "SENDGRID_FROM_EMAIL": "school@example.org",
                        "SENDGRID_WEBHOOK_PUBLIC_KEY": signer.secrets.sendgrid_public_key}.items():
        monkeypatch.setenv(name, value)
    return signer


@pytest.fixture
def addresses(container_factory, rabbit_config, signer):
    """start(notify's database URL) -> the gateway's base URL, notify and the gateway running."""

    def start(database_url: str) -> str:
        container_factory(NotifyService, {**rabbit_config, "DATABASES": {"notify": database_url}}).start()
        address = f"127.0.0.1:{free_port()}"
        container_factory(GatewayService, {**rabbit_config, "WEB_SERVER_ADDRESS": address}).start()
        return f"http://{address}"

    return start


@pytest.fixture
def stack(addresses, signer):
    """start(notify's database URL) -> post(): a signed inbound text to the gateway (each its own MessageSid,
    stored as a receipt once applied), its answer."""

    def start(database_url: str):
        base = addresses(database_url)

        def post() -> requests.Response:
            request = signer.twilio_inbound("Thank you", "SM" + uuid.uuid4().hex, base=base)
            return requests.post(request["url"], data=request["body"].encode(), headers=request["headers"],
                                 timeout=30)

        return post

    return start


def closed_port() -> int:
    return free_port()  # nothing listens on it once the probe socket is closed


def counted(fault: str) -> float:
    return DEPENDENCY_FAILURES.labels("notify", "database", fault)._value.get()


def receipts_stored(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return len(connection.execute(select(webhook_receipts)).all())
    finally:
        engine.dispose()


def eventually(check, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)
    return check()


def test_a_webhook_meeting_an_unreachable_database_is_taken_held_and_the_failure_counted(stack):
    post = stack(f"postgresql+psycopg2://school@127.0.0.1:{closed_port()}/notify")
    before = counted("database_unreachable")

    response = post()

    assert response.status_code == 200, response.text  # on the queue: the provider need not post it again
    assert eventually(lambda: counted("database_unreachable") > before)


def test_a_webhook_meeting_a_read_only_database_stores_nothing_and_the_failure_is_counted(stack, migrated_pg_url):
    url = migrated_pg_url("notify")
    read_only = url.replace("?options=", "?options=-cdefault_transaction_read_only%3Don%20")
    post = stack(read_only)
    before = counted("database_read_only")

    assert post().status_code == 200, "held on the queue until the database takes it"

    assert eventually(lambda: counted("database_read_only") > before)
    assert receipts_stored(url) == 0


def test_after_postgresql_terminates_notifys_backends_the_next_webhook_is_taken(stack, migrated_pg_url):
    url = migrated_pg_url("notify")
    name = f"notify-{uuid.uuid4().hex[:12]}"
    post = stack(f"{url}&application_name={name}")
    assert post().status_code == 200
    assert eventually(lambda: receipts_stored(url) == 1)

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        terminated = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": name}).scalar()
    admin.dispose()

    assert terminated >= 1
    assert post().status_code == 200
    assert eventually(lambda: receipts_stored(url) == 2)


def test_an_email_reply_meeting_an_unreachable_database_answers_503(addresses, monkeypatch):
    monkeypatch.setenv("CONVERSATION_REPLY_SECRET", REPLY_SECRET)
    monkeypatch.setenv("INBOUND_EMAIL_URL_SECRET", URL_SECRET)
    base = addresses(f"postgresql+psycopg2://school@127.0.0.1:{closed_port()}/notify")
    route = ReplyRoute(uuid.uuid4().hex, 1, date.today() + timedelta(days=30))
    to = reply_address(REPLY_SECRET.encode(), route, value("INBOUND_EMAIL_DOMAIN"))
    form = {"to": to, "from": "Gina <gina@example.org>", "text": "See you Monday."}  # multipart, as SendGrid posts

    response = requests.post(f"{base}{SENDGRID_INBOUND_PATH.replace('<url_secret>', URL_SECRET)}", timeout=30,
                             files={name: (None, value) for name, value in form.items()})

    assert response.status_code == 503, response.text
    assert response.json()["error"]["fields"] == {"database": ["database_unreachable"]}
