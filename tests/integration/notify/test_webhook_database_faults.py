"""A webhook (a status report, an email reply) that meets a database in trouble answers 503 (the provider posts it again), never 500.

The database really is in trouble: notify's URL points at a port nothing listens on, or at a schema whose
every transaction is read-only (as a replica after a failover), or PostgreSQL terminates notify's backends
between two webhooks (then the pool reconnects and the next one is taken). notify and the gateway run in real
containers on the broker; the provider's post goes to the gateway over HTTP.
"""
from __future__ import annotations

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
    """start(notify's database URL) -> post(): a signed Twilio status callback to the gateway, its answer."""

    def start(database_url: str):
        base = addresses(database_url)

        def post() -> requests.Response:
            request = signer.twilio_status("d-1", "SM" + "d" * 32, "delivered", base=base)
            return requests.post(request["url"], data=request["body"].encode(), headers=request["headers"],
                                 timeout=30)

        return post

    return start


def closed_port() -> int:
    return free_port()  # nothing listens on it once the probe socket is closed


def counted(fault: str) -> float:
    return DEPENDENCY_FAILURES.labels("notify", "database", fault)._value.get()


def test_a_webhook_meeting_an_unreachable_database_answers_503_with_retry_after(stack):
    post = stack(f"postgresql+psycopg2://school@127.0.0.1:{closed_port()}/notify")
    before = counted("database_unreachable")

    response = post()

    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert response.json()["error"]["fields"] == {"database": ["database_unreachable"]}
    assert response.headers["Retry-After"] == "10"
    assert counted("database_unreachable") == before + 1


def test_a_webhook_meeting_a_read_only_database_answers_503_and_stores_nothing(stack, migrated_pg_url):
    url = migrated_pg_url("notify")
    read_only = url.replace("?options=", "?options=-cdefault_transaction_read_only%3Don%20")
    post = stack(read_only)

    response = post()

    assert response.status_code == 503, response.text
    assert response.json()["error"]["fields"] == {"database": ["database_read_only"]}
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(select(webhook_receipts)).all() == []
    engine.dispose()


def test_after_postgresql_terminates_notifys_backends_the_next_webhook_is_taken(stack, migrated_pg_url):
    url = migrated_pg_url("notify")
    name = f"notify-{uuid.uuid4().hex[:12]}"
    post = stack(f"{url}&application_name={name}")
    assert post().status_code == 200

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        terminated = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": name}).scalar()
    admin.dispose()

    assert terminated >= 1
    assert post().status_code == 200
    engine = make_engine(url)
    with engine.connect() as connection:
        assert len(connection.execute(select(webhook_receipts)).all()) == 2
    engine.dispose()


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
