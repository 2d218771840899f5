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
"""
from __future__ import annotations

from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.rpc import Responder, get_rpc_exchange
from nameko.rpc import Rpc as NamekoRpc

from shared.entrypoint_signatures import KeptSignature


class ReadReplyPublisher(Publisher):
    use_confirms = False
    delivery_mode = NON_PERSISTENT


class ReadResponder(Responder):
    publisher_cls = ReadReplyPublisher


class Rpc(KeptSignature, NamekoRpc):
    """nameko's `rpc` entrypoint; `read=True` publishes the reply transient and without a confirm (reads only)."""

    def __init__(self, *, read: bool = False, **kwargs) -> None:
        self.read = read
        super().__init__(**kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if not self.read:
            return super().handle_result(message, worker_ctx, result, exc_info)
        config = self.container.config
        responder = ReadResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info
