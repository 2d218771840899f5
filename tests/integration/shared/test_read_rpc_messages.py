"""A contract's `read` method travels transient both ways over the real broker, and a write stays persistent
both ways (shared/rpc_replies.py says why); a read to a service nobody runs is still refused at once; a service's
read replies go out on the one channel it holds, which finds the broker again when its connection is lost, with
the properties kombu's Producer gave them."""
from __future__ import annotations

import functools
import json
import socket
import time
from datetime import datetime, timezone
from unittest import mock

import pytest
from kombu import Connection, Exchange, Queue
from kombu.exceptions import OperationalError
from kombu.messaging import Producer
from marshmallow import Schema, fields
from nameko.constants import DEFAULT_RETRY_POLICY, NON_PERSISTENT, PERSISTENT
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ServiceRpcProxy

from shared import fast_json, rpc_replies
from shared.contracts.base import ServiceContract
from shared.messaging import ServiceRpc, rpc_endpoint
from shared.rpc_replies import HeldReplyProducer


class Nothing(Schema):
    pass


class Asked(Schema):
    asked = fields.String()


class Anything(Schema):
    thing = fields.Raw()


front = ServiceContract("read_front")
back = ServiceContract("read_back")
nobody = ServiceContract("read_nobody")
ask_read = front.rpc("ask_read", request=Nothing, response=Asked)
ask_write = front.rpc("ask_write", request=Nothing, response=Asked)
ask_nobody = front.rpc("ask_nobody", request=Nothing, response=Asked)
back_read = back.rpc("look", request=Nothing, response=Asked, read=True)
back_write = back.rpc("change", request=Nothing, response=Asked)
back_anything = back.rpc("look_anything", request=Anything, response=Anything, read=True)
nobody_read = nobody.rpc("look", request=Nothing, response=Asked, read=True)


class Front:
    name = front.name
    back_rpc = ServiceRpc(back)
    nobody_rpc = ServiceRpc(nobody)

    @rpc_endpoint(ask_read)
    def ask_read(self, request):
        return self.back_rpc.look()

    @rpc_endpoint(ask_write)
    def ask_write(self, request):
        return self.back_rpc.change()

    @rpc_endpoint(ask_nobody)
    def ask_nobody(self, request):
        return self.nobody_rpc.look()


class Back:
    name = back.name

    @rpc_endpoint(back_read)
    def look(self, request):
        return {"asked": "look"}

    @rpc_endpoint(back_write)
    def change(self, request):
        return {"asked": "change"}

    @rpc_endpoint(back_anything)
    def look_anything(self, request):
        # A moment (kombu writes it as a typed value), or something no JSON writer takes.
        return {"thing": {"at": AT, "name": "Zoë"} if request["thing"] == "moment" else object()}


AT = datetime(2026, 12, 6, 20, 0, tzinfo=timezone.utc)


@pytest.fixture
def published():
    """(routing key, delivery mode, body) of every message this process publishes, in order: through kombu's
    Producer, or a read's reply on a service's held channel."""
    sent: list[tuple[str, int, object]] = []
    original = Producer.publish
    original_reply = HeldReplyProducer._publish_on_channel

    def recording(self, body, routing_key=None, delivery_mode=None, *args, **kwargs):
        sent.append((routing_key, delivery_mode, body))
        return original(self, body, routing_key, delivery_mode, *args, **kwargs)

    def recording_reply(self, message, exchange, routing_key):
        sent.append((routing_key, message.properties["delivery_mode"], message.body))
        return original_reply(self, message, exchange, routing_key)

    with mock.patch.object(Producer, "publish", recording), \
            mock.patch.object(HeldReplyProducer, "_publish_on_channel", recording_reply):
        yield sent


def _between_front_and_back(sent: list[tuple[str, int, object]]) -> list[tuple[str, int]]:
    """Front's request to back and back's reply to front (its body read as JSON when written ahead): what follows
    the request to read_back."""
    start = next(index for index, (key, _, _) in enumerate(sent) if key.startswith(f"{back.name}."))
    request, reply = sent[start], sent[start + 1]
    body = json.loads(reply[2]) if isinstance(reply[2], bytes) else reply[2]
    return [(request[0], request[1]), (reply[1], body)]


@pytest.mark.parametrize(("ask", "method", "mode"), [("ask_read", "look", NON_PERSISTENT),
                                                   ("ask_write", "change", PERSISTENT)])
def test_a_read_goes_and_comes_back_transient_and_a_write_persistent(container_factory, rabbit_config, published,
                                                                     ask, method, mode):
    for service in (Front, Back):
        container_factory(service, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config) as proxy:
        assert getattr(proxy, ask)({}) == {"asked": method}

    assert _between_front_and_back(published) == [
        (f"read_back.{method}", mode), (mode, {"result": {"asked": method}, "error": None})]


def test_a_read_of_a_service_nobody_runs_is_refused_at_once(container_factory, rabbit_config):
    container_factory(Front, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config, timeout=10) as proxy, pytest.raises(Exception) as refused:
        proxy.ask_nobody({})

    assert refused.value.exc_type == UnknownService.__name__


def test_a_reads_reply_is_written_once_and_read_back_as_written(container_factory, rabbit_config):
    container_factory(Back, rabbit_config).start()
    writes = []

    def counted(value):
        writes.append(value)
        return fast_json.dumps(value, fast_json.kombu_json.dumps)

    with mock.patch.object(fast_json, "dumps_like_kombu", counted), \
            ServiceRpcProxy(back.name, rabbit_config, timeout=10) as proxy:
        answer = proxy.look_anything({"thing": "moment"})

    assert answer == {"thing": {"at": AT, "name": "Zoë"}}
    assert writes == [{"result": answer, "error": None}]


def test_a_read_whose_result_no_writer_takes_answers_unserializable_value(container_factory, rabbit_config):
    container_factory(Back, rabbit_config).start()

    with ServiceRpcProxy(back.name, rabbit_config, timeout=10) as proxy, pytest.raises(Exception) as refused:
        proxy.look_anything({"thing": "anything else"})
    with ServiceRpcProxy(back.name, rabbit_config, timeout=10) as proxy:
        answered_after = proxy.look_anything({"thing": "moment"})

    assert refused.value.exc_type == "UnserializableValueError"
    assert answered_after == {"thing": {"at": AT, "name": "Zoë"}}


def _held(container) -> HeldReplyProducer:
    return container.shared_extensions[HeldReplyProducer]


def test_a_services_read_replies_go_out_on_one_connection_it_holds_until_it_stops(container_factory,
                                                                                   rabbit_config):
    container = container_factory(Back, rabbit_config)
    container.start()
    opened = []
    original = rpc_replies.Connection

    def counted(*args, **kwargs):
        opened.append(original(*args, **kwargs))
        return opened[-1]

    with mock.patch.object(rpc_replies, "Connection", counted), \
            ServiceRpcProxy(back.name, rabbit_config, timeout=10) as proxy:
        at_once = [proxy.look.call_async({}) for _ in range(20)]
        answers = [reply.result() for reply in at_once] + [proxy.look({}) for _ in range(3)]
        held = _held(container)._connection

    assert answers == [{"asked": "look"}] * 23
    assert len(opened) == 1 and held is opened[0] and opened[0].connected
    container.stop()
    assert _held(container)._connection is None and not opened[0].connected


def test_a_read_is_answered_after_the_held_producers_connection_was_lost(container_factory, rabbit_config):
    container = container_factory(Back, rabbit_config)
    container.start()

    with ServiceRpcProxy(back.name, rabbit_config, timeout=10) as proxy:
        assert proxy.look({}) == {"asked": "look"}
        held = _held(container)._connection
        lost = held.connection  # py-amqp's connection under kombu's
        lost.sock.shutdown(socket.SHUT_RDWR)  # as a broker gone away leaves it
        answered = proxy.look({})

    assert answered == {"asked": "look"}
    assert held.connection is not lost and held.connected  # kombu connected again and published


def _replies_queue(connection, name: str):
    """A queue of the RPC exchange taking the messages routed to `name`."""
    queue = Queue(name, exchange=Exchange("nameko-rpc", type="topic", durable=True), routing_key=name,
                  auto_delete=True)
    queue(connection.default_channel).declare()
    return queue


def _publish_empty_reply(held: HeldReplyProducer, queue: Queue, correlation_id: str) -> None:
    """An empty JSON reply published by the held producer to `queue` of the RPC exchange."""
    held.publish(b"{}", content_type=fast_json.JSON_CONTENT_TYPE, content_encoding=fast_json.UTF8,
                 exchange="nameko-rpc", routing_key=queue.name, correlation_id=correlation_id)


@pytest.mark.parametrize(("content_type", "content_encoding", "body", "correlation_id"), [
    (fast_json.JSON_CONTENT_TYPE, fast_json.UTF8, b'{"result": {"asked": "Zo\xc3\xab"}, "error": null}', "1b2c-3d"),
    ("application/x-yaml", "utf-8", "result: {asked: Zoë}\n", "é" * 40),  # a str body, an id not ASCII
    (fast_json.JSON_CONTENT_TYPE, fast_json.UTF8, b"{}", None),
])
def test_a_reads_reply_reaches_the_broker_as_kombus_producer_published_it(container_factory, rabbit_config,
                                                                           content_type, content_encoding, body,
                                                                           correlation_id):
    container = container_factory(Back, rabbit_config)
    container.start()
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        queue = _replies_queue(connection, "read-reply-as-kombu")
        # What HeldReplyProducer published before it wrote replies on its channel itself: kombu's Producer with
        # nameko's Publisher arguments for a read (rpc_replies.ReadReplyPublisher).
        Producer(connection).publish(
            body, headers={}, delivery_mode=NON_PERSISTENT, mandatory=False, priority=0, expiration=None,
            compression=None, declare=[], retry=True, retry_policy=DEFAULT_RETRY_POLICY, serializer="json",
            content_type=content_type, content_encoding=content_encoding,
            exchange=Exchange("nameko-rpc", type="topic", durable=True), routing_key=queue.name,
            correlation_id=correlation_id)
        _held(container).publish(body, content_type=content_type, content_encoding=content_encoding,
                                 exchange="nameko-rpc", routing_key=queue.name, correlation_id=correlation_id)
        channel = connection.default_channel.connection.channel()  # py-amqp's own, the message as it arrived
        by_kombu, by_held = (_got(channel, queue.name) for _ in range(2))

    assert by_held.properties == by_kombu.properties
    assert by_held.body == by_kombu.body
    assert by_held.properties["delivery_mode"] == NON_PERSISTENT
    assert by_held.properties.get("correlation_id") == correlation_id


def _got(channel, queue_name: str):
    for _ in range(50):
        message = channel.basic_get(queue_name, no_ack=True)
        if message is not None:
            return message
        time.sleep(0.1)
    raise AssertionError(f"nothing arrived in {queue_name}")


@pytest.mark.parametrize(("failures", "answered"), [(1, True), (3, True), (4, False)])
def test_a_reply_whose_publish_meets_a_lost_connection_is_retried_as_kombus_retry_policy_retries_it(
        container_factory, rabbit_config, failures, answered):
    """nameko's retry policy: three retries after the first attempt, the connection opened again before each."""
    container = container_factory(Back, rabbit_config)
    container.start()
    held = _held(container)
    original = HeldReplyProducer._publish_on_channel
    attempts = []

    def lost_at_first(self, message, exchange, routing_key):
        attempts.append(self._connection.connection)
        if len(attempts) <= failures:
            raise ConnectionResetError("the broker went away")
        return original(self, message, exchange, routing_key)

    with Connection(rabbit_config["AMQP_URI"]) as connection:
        queue = _replies_queue(connection, "read-reply-retried")
        with mock.patch.object(HeldReplyProducer, "_publish_on_channel", lost_at_first):
            publish = functools.partial(_publish_empty_reply, held, queue, "retried")
            if answered:
                publish()
            else:
                with pytest.raises(OperationalError):
                    publish()
        if answered:
            assert _got(connection.default_channel.connection.channel(), queue.name).body == "{}"  # py-amqp reads it as text of its encoding

    assert len(attempts) == min(failures + 1, 4)
    # Each retry on a connection opened again, as kombu's ensure revives the producer.
    assert len({id(opened) for opened in attempts}) == len(attempts)


def test_a_reply_that_could_not_reach_the_broker_at_first_leaves_the_next_reply_its_own_try(container_factory,
                                                                                             rabbit_config):
    container = container_factory(Back, rabbit_config)
    container.start()
    held = _held(container)

    def unreachable(connection):
        raise OperationalError("connection refused")

    with Connection(rabbit_config["AMQP_URI"]) as connection:
        queue = _replies_queue(connection, "read-reply-after-a-refused-connect")
        with mock.patch.object(Connection, "default_channel", property(unreachable)):
            with pytest.raises(OperationalError):
                _publish_empty_reply(held, queue, "first")
        assert held._connection is None  # nothing half made is held

        _publish_empty_reply(held, queue, "second")
        channel = connection.default_channel.connection.channel()

        assert _got(channel, queue.name).properties["correlation_id"] == "second"
