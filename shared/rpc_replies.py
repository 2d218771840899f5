"""nameko's RPC entrypoint, answering a read (a contract's `read` method) with a transient, unconfirmed reply.

nameko publishes every RPC message persistent, and every RPC reply with publisher confirms: the worker waits
for the broker's confirm before it acknowledges the request. A reply goes to the caller's own reply queue,
which lives only as long as its caller waits (it expires minutes after its consumer left). Neither a confirm
nor persistence can make a reply outlive the wait it answers, so for a read they buy nothing the caller's
own guard does not give already (a lost reply is a timeout or "disconnected waiting for reply" on the
caller's side, and a read asked again changes nothing). A confirm costs a round trip to the broker per call;
a persistent message costs the broker writes to its message store, as nameko declares both the service's and
the reply queues durable. A read's request travels transient too (shared/messaging.py, ServiceRpc): a read
lost with a restarting broker ends as the caller's timeout, like a lost reply. The request keeps its confirm,
which is how the caller learns at once that no service would take it (UnknownService). Writes keep both:
their request is acknowledged only once the broker holds the answer.

A read's reply is also written once, where nameko writes every reply twice: first only to check that its
result can be written at all, then to publish it. Written once, the failure it checks for is met the same way
(the caller gets UnserializableValueError, the worker's result becomes that error), and a reply in JSON is
written by orjson (shared/fast_json.py): a search's page of 25 people took about 50 us each time.

And a read's reply goes out on one channel the service holds (`HeldReplyProducer`), where nameko takes a
producer from kombu's pool for every reply: the pool gives it back without its channel and revives it on a pooled
connection at the next acquire, about 30 us of the 90 a reply cost to publish. It is published with py-amqp's
`basic_publish`, the message kombu would have made, its properties written ahead (`ReadReply`), and kombu's
retry on a lost connection or channel: about half the CPU kombu's `Producer.publish` spent on a reply.
"""
from __future__ import annotations

import functools
import sys
import threading

import amqp
from kombu import Connection
from kombu.serialization import registry
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_RETRY_POLICY,
    DEFAULT_SERIALIZER,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import MalformedRequest, UnserializableValueError, serialize
from nameko.extensions import SharedExtension
from nameko.rpc import Responder, get_rpc_exchange
from nameko.rpc import Rpc as NamekoRpc

from shared import fast_json
from shared.entrypoint_signatures import KeptSignature
from shared.reads_without_worker import ReadsInHand


class ReadReplyPublisher(Publisher):
    """How a read's reply is published: the held producer below publishes with these settings."""

    use_confirms = False
    delivery_mode = NON_PERSISTENT


class HeldReplyProducer(SharedExtension):
    """The service's read replies published on one channel of a broker connection of its own, opened at the first
    reply and closed when the container stops. Replies go out one at a time: a channel takes one message's frames
    at a time, and a green thread can be switched away in the middle of a send.

    Each reply is py-amqp's `basic_publish` on the held channel, what kombu's `Producer.publish` ends in, with the
    message kombu would have made (`ReadReply`) and without what kombu wraps around every call for a reply that
    needs none of it: its message preparation, the exchange's delivery details, an `ensure` wrapper made anew. A
    publish that meets a lost connection or channel is answered as kombu's retry answers it (`_publish_again`)."""

    def setup(self) -> None:
        self._connection: Connection | None = None
        self._channel = None
        self._one_at_a_time = threading.Lock()  # green under eventlet's monkey patching, as nameko's services run

    def publish(self, body: str | bytes, *, content_type: str, content_encoding: str, exchange: str,
                routing_key: str, correlation_id: str | None) -> None:
        """Publish a read's reply transient, without a confirm, with kombu's retry on a lost connection or
        channel: what nameko's Publisher.publish with ReadReplyPublisher's settings sent."""
        if isinstance(body, str):  # as kombu's Producer writes a str body it is given with its content type
            body = body.encode(content_encoding)
        message = ReadReply(body, content_type=content_type, content_encoding=content_encoding,
                            application_headers={}, delivery_mode=ReadReplyPublisher.delivery_mode,
                            priority=ReadReplyPublisher.priority, correlation_id=correlation_id)
        with self._one_at_a_time:
            if self._connection is None:
                self._connect()
            try:
                self._publish_on_channel(message, exchange, routing_key)
            except self._recoverable as lost:
                self._publish_again(lost, message, exchange, routing_key)

    def _connect(self) -> None:
        config = self.container.config
        # The settings nameko's get_producer builds its pool's connections with.
        connection = Connection(config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
                                transport_options={**DEFAULT_TRANSPORT_OPTIONS,
                                                   "confirm_publish": ReadReplyPublisher.use_confirms})
        try:
            channel = connection.default_channel  # the channel kombu's Producer would have published on
        except BaseException:
            # Held only once it has its channel: a broker that cannot be reached now is tried again at the next
            # reply, as kombu's Producer, made without a channel, tried again at each publish.
            connection.release()
            raise
        self._connection, self._channel = connection, channel

    @property
    def _recoverable(self) -> tuple[type[BaseException], ...]:
        # Read only when a publish raised (an except clause's expression is evaluated then), from the connection
        # the publish was on: what kombu's ensure would retry.
        return self._connection.recoverable_connection_errors + self._connection.recoverable_channel_errors

    def _publish_on_channel(self, message: ReadReply, exchange: str, routing_key: str) -> None:
        self._channel.basic_publish(message, exchange=exchange, routing_key=routing_key,
                                    mandatory=ReadReplyPublisher.mandatory)

    def _publish_again(self, lost: BaseException, message: ReadReply, exchange: str, routing_key: str) -> None:
        """kombu's `Connection.ensure` with nameko's retry policy, as `Producer.publish(retry=True)` runs it, the
        failed publish counted as its first attempt: a lost connection is opened again (`revive` is given its
        new channel) and the reply published again, a lost channel published on again, and what is still lost
        after the policy's retries raised as kombu raises it."""
        failed_first = [lost]

        def attempt() -> None:
            if failed_first:
                raise failed_first.pop()
            self._publish_on_channel(message, exchange, routing_key)

        self._connection.ensure(self, attempt, **DEFAULT_RETRY_POLICY)()

    def revive(self, channel) -> None:
        """The channel of the connection kombu's retry opened again (kombu's Producer.revive)."""
        self._channel = channel

    def stop(self) -> None:
        # The container stops its shared extensions once its workers are done: no reply is under way.
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            connection.release()

    def kill(self) -> None:
        self.stop()


class ReadReply(amqp.Message):
    """The message kombu's Producer.publish makes of a read's reply, its properties written ahead: every reply
    of a service carries the same content type, encoding, empty headers, delivery mode and priority, and only its
    correlation id, the last of those properties on the wire, differs. py-amqp writes the properties anew for
    every message (a tenth of a reply's publish); here the part before the correlation id is written by py-amqp
    once for each content type and encoding, and the correlation id appended as py-amqp appends it."""

    # By content type, encoding, delivery mode and priority (the headers always empty).
    _before_correlation_id: dict[tuple[str, str, int, int], bytes] = {}

    def _serialize_properties(self) -> bytes:
        properties = self.properties
        correlation_id = properties.get("correlation_id")
        written = correlation_id.encode() if isinstance(correlation_id, str) else None
        if (written is None or len(written) > 255 or properties.keys() != _READ_REPLY_PROPERTIES
                or properties["application_headers"]):
            return super()._serialize_properties()  # py-amqp's own writing, whatever it makes of these
        key = (properties["content_type"], properties["content_encoding"], properties["delivery_mode"],
               properties["priority"])
        before = self._before_correlation_id.get(key)
        if before is None:
            # py-amqp's own writing with an empty correlation id, less that id's length octet (0).
            with_empty_id = amqp.Message(b"", **{**properties, "correlation_id": ""})._serialize_properties()
            before = self._before_correlation_id[key] = with_empty_id[:-1]
        return before + bytes((len(written),)) + written  # a short string: its length in one octet, then it


_READ_REPLY_PROPERTIES = frozenset(("content_type", "content_encoding", "application_headers", "delivery_mode",
                                   "priority", "correlation_id"))


class ReadResponder(Responder):
    """nameko's Responder for a read: the reply written once, and published by `held` (HeldReplyProducer)."""

    def __init__(self, held: HeldReplyProducer, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.held = held

    def send_response(self, result, exc_info):
        """nameko's Responder.send_response, the reply written once (the module's docstring says why)."""
        error = serialize(exc_info[1]) if exc_info is not None else None
        # The reply is written as its request was, as nameko writes it.
        serializer = registry.type_to_name[self.message.properties["content_type"]]
        try:
            content_type, content_encoding, body = written_like_kombu({"result": result, "error": error}, serializer)
        except Exception:  # whatever the writer refuses, as nameko's own check catches it
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))  # always writable: a dict of str
            result = None
            content_type, content_encoding, body = written_like_kombu({"result": result, "error": error}, serializer)
        self.held.publish(body, content_type=content_type, content_encoding=content_encoding,
                          exchange=self.exchange.name, routing_key=self.message.properties["reply_to"],
                          correlation_id=self.message.properties.get("correlation_id"))
        return result, exc_info


def written_like_kombu(payload: dict, serializer: str) -> tuple[str, str, str | bytes]:
    """(content type, content encoding, body) as kombu's serializer `serializer` writes the payload, JSON through
    orjson where it writes the same (shared/fast_json.py)."""
    if serializer == "json":
        return fast_json.JSON_CONTENT_TYPE, fast_json.UTF8, fast_json.dumps_like_kombu(payload)
    return registry.dumps(payload, serializer)


class Rpc(KeptSignature, NamekoRpc):
    """nameko's `rpc` entrypoint; `read=True` publishes the reply transient and without a confirm (reads only);
    `without_worker=True` (reads only) answers it without a nameko worker (shared/reads_without_worker.py)."""

    read_replies = HeldReplyProducer()
    reads_in_hand = ReadsInHand()

    def __init__(self, *, read: bool = False, without_worker: bool = False, **kwargs) -> None:
        if without_worker and not read:
            raise TypeError("only a read is answered without a worker: a write keeps nameko's")
        self.read = read
        self.without_worker = without_worker
        super().__init__(**kwargs)

    def setup(self) -> None:
        super().setup()
        self._reply_exchange = get_rpc_exchange(self.container.config)  # the same for every reply: made once

    def stop(self) -> None:
        super().stop()  # no more requests for it
        if self.without_worker:
            self.reads_in_hand.wait_for_those_in_hand()

    def handle_message(self, body, message):
        if not self.without_worker:
            return super().handle_message(body, message)
        # nameko's Rpc.handle_message, the read handed to reads_in_hand instead of a worker.
        try:
            args, kwargs = body["args"], body["kwargs"]
        except KeyError:
            raise MalformedRequest("Message missing `args` or `kwargs`")
        self.check_signature(args, kwargs)
        context_data = self.unpack_message_headers(message)
        if self.container._being_killed:  # as spawn_worker refuses it: the request goes back to the queue
            self.rpc_consumer.requeue_message(message)
            return None
        self.reads_in_hand.answer(self, args, kwargs, context_data, functools.partial(self.handle_result, message))
        return None

    def handle_result(self, message, worker_ctx, result, exc_info):
        if not self.read:
            return super().handle_result(message, worker_ctx, result, exc_info)
        config = self.container.config
        responder = ReadResponder(
            self.read_replies, config[AMQP_URI_CONFIG_KEY], self._reply_exchange,
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info
