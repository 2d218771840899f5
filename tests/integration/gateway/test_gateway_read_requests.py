"""The gateway's proxies over the real broker (services/gateway/read_requests.py): a read's request goes out on the
kept channel, transient, with the caller's context, and its reply comes back; a write keeps nameko's publisher; a
read of a service nobody runs is UnknownService at once (503 over HTTP); a request the broker refuses is a
ConnectionError. Replies are handled where they are consumed (services/gateway/replies.py), each by its own
caller, and a reply nobody waits for is dropped; they are read through a transport that reads ahead, on every
connection the consumer opens."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from unittest import mock

import pytest
import requests
from kombu import Connection
from kombu.messaging import Producer
from marshmallow import Schema, fields
from nameko.constants import NON_PERSISTENT, PERSISTENT
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ServiceRpcProxy

from services.gateway.confirmed_channel import NACKED, ConfirmedChannel
from services.gateway.read_requests import GatewayServiceRpc
from services.gateway.replies import ConsumerOfReplies, ReadAheadTransport
from services.gateway.service import GatewayService
from shared.contracts import callers, identity
from shared.contracts.base import ServiceContract
from shared.messaging import rpc_endpoint
from shared.testing.faults import close_vhost_connections

from gateway_http_support import assert_error, free_port, make_principal


class Asking(Schema):
    what = fields.String()  # "read", "write" or "nobody"


class Said(Schema):
    said = fields.String()


front, back, nobody = (ServiceContract(f"kept_{name}") for name in ("front", "back", "nobody"))
ask = front.rpc("ask", request=Asking, response=Said)
back_read = back.rpc("look", request=Asking, response=Said, read=True)
back_write = back.rpc("change", request=Asking, response=Said)
nobody.rpc("look", request=Asking, response=Said, read=True)


class Front:
    """Asks back (or a service nobody runs) through the gateway's proxies."""

    name = front.name
    back_rpc, nobody_rpc = GatewayServiceRpc(back), GatewayServiceRpc(nobody)

    @rpc_endpoint(ask)
    def ask(self, request):
        what = request["what"]
        proxy = self.nobody_rpc if what == "nobody" else self.back_rpc
        return (proxy.change if what == "write" else proxy.look)(what=what)


class ContextSeen(DependencyProvider):
    """The context data of every worker of its service, in order."""

    seen: list[dict] = []

    def worker_setup(self, worker_ctx) -> None:
        ContextSeen.seen.append(dict(worker_ctx.context_data))


class Back:
    name = back.name
    context = ContextSeen()

    @rpc_endpoint(back_read)
    def look(self, request):
        return {"said": f"looked for a {request['what']}"}

    @rpc_endpoint(back_write)
    def change(self, request):
        return {"said": f"changed for a {request['what']}"}


@pytest.fixture
def sent():
    """("kept" or "nameko", routing key, delivery mode) of every message this process publishes, in order."""
    messages: list[tuple[str, str, int]] = []
    kept_publish, nameko_publish = ConfirmedChannel.publish, Producer.publish

    def on_kept_channel(self, exchange, routing_key, body, **properties):
        messages.append(("kept", routing_key, properties.get("delivery_mode")))
        return kept_publish(self, exchange, routing_key, body, **properties)

    def through_nameko(self, body, routing_key=None, delivery_mode=None, *args, **kwargs):
        messages.append(("nameko", routing_key, delivery_mode))
        return nameko_publish(self, body, routing_key, delivery_mode, *args, **kwargs)

    ContextSeen.seen = []
    with mock.patch.object(ConfirmedChannel, "publish", on_kept_channel), \
            mock.patch.object(Producer, "publish", through_nameko):
        yield messages


def _to_back(messages: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    return [message for message in messages if message[1].startswith(f"{back.name}.")]


def test_a_read_goes_out_on_the_kept_channel_transient_with_the_callers_context(container_factory, rabbit_config,
                                                                                  sent):
    for service in (Front, Back):
        container_factory(service, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config, context_data={"request_id": "req-1"}) as proxy:
        assert [proxy.ask({"what": "read"}) for _ in range(3)] == [{"said": "looked for a read"}] * 3

    assert _to_back(sent) == [("kept", "kept_back.look", NON_PERSISTENT)] * 3
    assert [seen["request_id"] for seen in ContextSeen.seen] == ["req-1"] * 3
    assert all(seen["call_id_stack"][0].startswith("standalone_rpc_proxy") and len(seen["call_id_stack"]) == 3
               for seen in ContextSeen.seen)


def test_a_write_keeps_namekos_publisher(container_factory, rabbit_config, sent):
    for service in (Front, Back):
        container_factory(service, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config) as proxy:
        assert proxy.ask({"what": "write"}) == {"said": "changed for a write"}

    assert _to_back(sent) == [("nameko", "kept_back.change", PERSISTENT)]


def test_a_context_the_channel_cannot_carry_goes_through_nameko(container_factory, rabbit_config, sent):
    for service in (Front, Back):
        container_factory(service, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config, context_data={"weight": 1.5}) as proxy:
        assert proxy.ask({"what": "read"}) == {"said": "looked for a read"}

    assert _to_back(sent) == [("nameko", "kept_back.look", NON_PERSISTENT)]
    assert ContextSeen.seen[0]["weight"] == 1.5


def test_a_read_of_a_service_nobody_runs_is_unknown_service_at_once(container_factory, rabbit_config):
    container_factory(Front, rabbit_config).start()

    started = time.monotonic()
    with ServiceRpcProxy(front.name, rabbit_config, timeout=10) as proxy, pytest.raises(RemoteError) as refused:
        proxy.ask({"what": "nobody"})

    assert refused.value.exc_type == UnknownService.__name__
    assert time.monotonic() - started < 5


def test_a_read_the_broker_refuses_is_a_connection_error(container_factory, rabbit_config):
    container_factory(Front, rabbit_config).start()
    container_factory(Back, rabbit_config).start()

    with mock.patch.object(ConfirmedChannel, "publish", return_value=NACKED), \
            ServiceRpcProxy(front.name, rabbit_config, timeout=10) as proxy, pytest.raises(RemoteError) as refused:
        proxy.ask({"what": "read"})

    assert refused.value.exc_type == "PublishNotConfirmed"
    assert "nacked the request to kept_back.look" in refused.value.value


@pytest.fixture
def threads_spawned():
    """The identifier of every managed thread this process's containers spawn, in order."""
    spawned: list[str] = []
    spawn = ServiceContainer.spawn_managed_thread

    def counted(self, fn, identifier=None):
        spawned.append(identifier or getattr(fn, "__name__", "?"))
        return spawn(self, fn, identifier)

    with mock.patch.object(ServiceContainer, "spawn_managed_thread", counted):
        yield spawned


def test_replies_to_reads_and_writes_at_once_each_reach_their_own_caller_without_a_thread_each(
        container_factory, rabbit_config, threads_spawned):
    for service in (Front, Back):
        container_factory(service, rabbit_config).start()
    asked = [f"read {n}" if n % 3 else "write" for n in range(30)]

    with ServiceRpcProxy(front.name, rabbit_config, timeout=10) as proxy:
        answers = [proxy.ask.call_async({"what": what}) for what in asked]
        said = [answer.result()["said"] for answer in answers]

    assert said == [f"changed for a {what}" if what == "write" else f"looked for a {what}" for what in asked]
    assert not [name for name in threads_spawned if name.startswith("ReplyListener")]
    # Counted as nameko names them: each request Back took was handled in a thread of its own.
    assert len([name for name in threads_spawned if name.startswith("RpcConsumer.handle_message")]) >= 30


def test_a_reply_nobody_waits_for_is_dropped_and_the_next_read_answered(container_factory, rabbit_config):
    container = container_factory(Front, rabbit_config)
    container_factory(Back, rabbit_config).start()
    container.start()
    [consumer] = [extension for extension in container.extensions if isinstance(extension, ConsumerOfReplies)]
    [listener] = consumer._providers

    with Connection(rabbit_config["AMQP_URI"]) as connection:
        Producer(connection).publish({"result": "stray", "error": None}, serializer="json",
                                     exchange="nameko-rpc", routing_key=listener.routing_key,
                                     correlation_id="nobody-waits-for-this")
    time.sleep(0.5)
    with ServiceRpcProxy(front.name, rabbit_config, timeout=10) as proxy:
        assert proxy.ask({"what": "read"}) == {"said": "looked for a read"}

    with Connection(rabbit_config["AMQP_URI"]) as connection:
        assert connection.default_channel.queue_declare(listener.queue.name, passive=True).message_count == 0



@pytest.fixture
def frames_read_ahead():
    """How many frames each read-ahead transport of this process has read, by transport (the consumer's
    connections: a new one after the broker drops the old)."""
    read: dict[ReadAheadTransport, int] = {}
    read_frame = ReadAheadTransport.read_frame

    def counted(self, *args, **kwargs):
        frame = read_frame(self, *args, **kwargs)
        read[self] = read.get(self, 0) + 1
        return frame

    with mock.patch.object(ReadAheadTransport, "read_frame", counted):
        yield read


def test_replies_are_read_ahead_and_again_on_the_connection_after_the_broker_drops_one(
        container_factory, rabbit_config, rabbit_manager, frames_read_ahead):
    for service in (Front, Back):
        container_factory(service, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config, timeout=10) as proxy:
        assert proxy.ask({"what": "read 1"}) == {"said": "looked for a read 1"}
    assert len(frames_read_ahead) == 1  # the consumer's one connection

    assert close_vhost_connections(rabbit_manager, rabbit_config["vhost"], at_least=4)
    deadline = time.monotonic() + 20
    while len(frames_read_ahead) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)  # the consumer opens a new connection
    with ServiceRpcProxy(front.name, rabbit_config, timeout=10) as proxy:
        answers = [proxy.ask.call_async({"what": f"read {n}"}) for n in range(2, 12)]
        said = [answer.result()["said"] for answer in answers]

    assert said == [f"looked for a read {n}" for n in range(2, 12)]
    [_, read_on_second] = frames_read_ahead.values()
    assert read_on_second >= 3 * 10  # each reply's method, header and body frames, and the connection's own


EXPIRES_AT = datetime(2030, 1, 1, tzinfo=timezone.utc)
ADMIN = make_principal(identity.DISTRICT_ADMIN, person_id="admin-1")


class SignedInIdentity:
    name = identity.NAME

    @rpc_endpoint(callers.issue_assertion)
    def issue_assertion(self, request):
        return {"principal": ADMIN, "assertion": "assertion-of-admin-1", "expires_at": EXPIRES_AT}


def test_a_search_with_no_directory_running_answers_503_at_once(container_factory, rabbit_config):
    address = f"127.0.0.1:{free_port()}"
    container_factory(SignedInIdentity, rabbit_config).start()
    container_factory(GatewayService, {**rabbit_config, "WEB_SERVER_ADDRESS": address}).start()

    started = time.monotonic()
    response = requests.get(f"http://{address}/api/v1/directory/people", params={"query": "smi"},
                            headers={"Authorization": "Bearer any"}, timeout=10)

    assert_error(response, 503, "service_unavailable")
    assert time.monotonic() - started < 5
