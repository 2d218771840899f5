"""nameko's RPC entrypoint, with the choice of answering a read without waiting for the broker's confirm.

nameko publishes every RPC reply with publisher confirms: the worker waits for the broker's confirm
before it acknowledges the request. A reply goes to the caller's own reply queue, which is neither
durable nor shared: it lives only as long as the caller's connection to the broker. A confirm cannot
make that reply survive anything the queue does not survive, so for a read it buys nothing the caller's
own guard does not give already (a lost reply is a timeout or "disconnected waiting for reply" on the
caller's side, and a read asked again changes nothing). It costs a round trip to the broker per call.
Writes keep the confirm: their request is acknowledged only once the broker holds the answer.
"""
from __future__ import annotations

from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.rpc import Responder, get_rpc_exchange
from nameko.rpc import Rpc as NamekoRpc

from shared.entrypoint_signatures import KeptSignature


class UnconfirmedPublisher(Publisher):
    use_confirms = False


class UnconfirmedResponder(Responder):
    publisher_cls = UnconfirmedPublisher


class Rpc(KeptSignature, NamekoRpc):
    """nameko's `rpc` entrypoint; `confirm_reply=False` publishes the reply without a confirm (reads only)."""

    def __init__(self, *, confirm_reply: bool = True, **kwargs) -> None:
        self.confirm_reply = confirm_reply
        super().__init__(**kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if self.confirm_reply:
            return super().handle_result(message, worker_ctx, result, exc_info)
        config = self.container.config
        responder = UnconfirmedResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info
