"""The broker users deploy/ boots RabbitMQ with (schoolctl deploy broker-definitions), on the real broker:
each service runs under its own, limited to the queues and exchanges nameko names for it, and a standalone
caller (the operator's schoolctl, another team's script) reaches services only through RPC."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

import pika
import pytest
import requests
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange, Queue

from schoolctl.broker import EXIT_UNAVAILABLE
from schoolctl.broker_accounts import NOTIFY_WORKER, OPERATOR, platform_users
from services.directory.service import DirectoryService
from services.identity.adapters.service_credentials import add_service_credential
from services.identity.service import IdentityService
from shared.callers import VERIFY_CALLERS_SETTING
from shared.contracts import directory, identity
from shared.contracts.callers import DIRECTORY_READ
from shared.messaging import cluster_rpc

pytestmark = pytest.mark.postgres


@pytest.fixture
def broker_uris(request, rabbit_config):
    """An AMQP URI for each broker user of deploy/, on this test's vhost, under a login of this test's own."""
    api = request.config.getoption("RABBIT_API_URI").rstrip("/")
    vhost = rabbit_config["vhost"]
    amqp = urlsplit(rabbit_config["AMQP_URI"])
    created, uris = [], {}
    with requests.Session() as http:
        for user in platform_users():
            login, password = f"{vhost}-{user.name}", secrets.token_urlsafe(16)
            http.put(f"{api}/api/users/{quote(login, safe='')}", json={"password": password, "tags": ""},
                     timeout=10).raise_for_status()
            created.append(login)
            http.put(f"{api}/api/permissions/{quote(vhost, safe='')}/{quote(login, safe='')}", timeout=10,
                     json={"configure": user.configure, "write": user.write, "read": user.read}).raise_for_status()
            uris[user.name] = f"amqp://{login}:{password}@{amqp.hostname}:{amqp.port}/{vhost}"
        yield uris
        for login in created:
            http.delete(f"{api}/api/users/{quote(login, safe='')}", timeout=10)


@pytest.fixture
def platform(broker_uris, database_urls, identity_token_secret, container_factory):
    """identity and directory, each signed in to the broker as its own user."""
    for service, name in ((IdentityService, identity.NAME), (DirectoryService, directory.NAME)):
        container_factory(service, {"AMQP_URI": broker_uris[name], "DATABASES": database_urls, "max_workers": 10,
                                    VERIFY_CALLERS_SETTING: True}).start()
    return broker_uris


def test_services_under_their_own_users_answer_the_operators_calls_and_fetch_identitys_keys(platform,
                                                                                           database_urls):
    issued = add_service_credential(database_urls[identity.NAME], "reader", [DIRECTORY_READ], "district-1",
                                    datetime.now(timezone.utc))
    with cluster_rpc(platform[OPERATOR], timeout=30) as rpc:
        token = rpc(identity.contract).issue_service_token(
            {"client_id": issued.credential.client_id, "client_secret": issued.secret})

    # directory verifies the token with identity's key, asked for through its own reply queue.
    with cluster_rpc(platform[OPERATOR], timeout=30, credential=token["token"]) as rpc:
        page = rpc(directory.contract).search_people({"viewer": token["principal"], "query": "rivera"})

    assert page["total"] == 0


def refused(uri: str, action) -> bool:
    with Connection(uri) as connection:
        channel = connection.channel()
        try:
            action(channel)
        except AccessRefused:
            return True
    return False


def test_a_standalone_caller_cannot_read_a_services_queue_nor_declare_its_events(platform):
    operator = platform[OPERATOR]

    assert refused(operator, lambda channel: channel.basic_consume(f"rpc-{identity.NAME}", callback=print))
    assert refused(operator, lambda channel: Exchange(f"{identity.NAME}.events", "topic", durable=True,
                                                      channel=channel).declare())


def test_one_service_cannot_take_another_services_queue(platform):
    assert refused(platform[directory.NAME], lambda channel: Queue(
        f"rpc-{identity.NAME}", channel=channel, durable=True).declare())
    assert refused(platform[directory.NAME], lambda channel: channel.basic_consume(
        f"rpc-{identity.NAME}", callback=print))


# --- the exec probes of deploy/k8s (schoolctl deploy probe), as each pod's own broker user -----------------------

def probe_exit_code(monkeypatch, uri: str, process: str) -> int:
    from schoolctl.main import run

    monkeypatch.setenv("AMQP_URI", uri)
    return run(["deploy", "probe", process, "--timeout", "5"])


def test_a_services_probe_passes_as_its_own_user_once_it_consumes_its_queue(platform, monkeypatch, capsys):
    assert probe_exit_code(monkeypatch, platform[identity.NAME], identity.NAME) == 0
    assert probe_exit_code(monkeypatch, platform[directory.NAME], directory.NAME) == 0
    assert "identity: ok" in capsys.readouterr().out

    # notify runs nowhere in this test: its probe fails, saying why.
    assert probe_exit_code(monkeypatch, platform["notify"], "notify") == EXIT_UNAVAILABLE
    assert "notify: nobody consumes its RPC queue" in capsys.readouterr().err


def test_a_workers_probe_passes_once_the_delivery_queue_is_declared(broker_uris, monkeypatch, capsys):
    from services.notify.queue.topology import declare_topology

    assert probe_exit_code(monkeypatch, broker_uris[NOTIFY_WORKER], NOTIFY_WORKER) == EXIT_UNAVAILABLE
    assert "no queue 'notify.deliveries." in capsys.readouterr().err

    with pika.BlockingConnection(pika.URLParameters(broker_uris["notify"])) as connection:
        declare_topology(connection.channel())

    assert probe_exit_code(monkeypatch, broker_uris[NOTIFY_WORKER], NOTIFY_WORKER) == 0


def test_a_probe_with_a_wrong_password_fails_naming_the_broker(broker_uris, monkeypatch, capsys):
    wrong = broker_uris[NOTIFY_WORKER].replace("@", "x@", 1)

    assert probe_exit_code(monkeypatch, wrong, NOTIFY_WORKER) == EXIT_UNAVAILABLE
    assert "cannot reach the broker" in capsys.readouterr().err
