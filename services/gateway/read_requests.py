"""The gateway's RPC proxies, publishing a read's request on one kept channel with confirms.

nameko publishes every RPC request through kombu: a producer taken from the pool and given back, kombu's message
preparation and retry wrapper around py-amqp, then a wait on that connection for the broker's confirm before the
next request may use it. In the gateway that was about a fifth of its CPU per search (the diary's profiles); a
search's request on the kept channel cost the gateway 0.15 to 0.25 ms less (the diary, 2026-12-07).

Here a contract's `read` method (shared/contracts: the directory's search, schools and profiles, identity's
assertion) publishes its request on the process's one ConfirmedChannel (services/gateway/confirmed_channel.py),
which the webhooks already use: every request waits for its own confirm, while other green threads' requests go
out on the same channel behind it. The request is what nameko publishes (the same exchange, routing key, body,
headers, reply queue and correlation id, transient and `mandatory`), and its reply comes back to nameko's own
reply listener. What the caller learns stays what nameko tells it:
- the broker returned the request (no queue takes it: nobody runs the service): UnknownService, at once;
- the broker refused it, or no confirm came (the connection failed, the broker cannot be reached):
  PublishNotConfirmed, a ConnectionError, which the gateway answers 503 as it does a broker it cannot reach.
  Asking a read again changes nothing, so the caller may retry.
Writes keep nameko's publisher, with its persistence and its retries.
"""
from __future__ import annotations

import uuid

from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT
from nameko.exceptions import UnknownService
from nameko.extensions import SharedExtension
from nameko.rpc import MethodProxy, RpcReply, ServiceProxy, get_rpc_exchange

from services.gateway.confirmed_channel import CONFIRMED, RETURNED, ConfirmedChannel, PublishNotConfirmed
from services.gateway.replies import GatewayReplyListener
from shared.contracts.base import ServiceContract
from shared.messaging import ServiceRpc
from shared.rpc_replies import written_like_kombu

# What a kept channel's headers may hold (pika's field table): the worker's context data is strings and a list
# of strings (the call id stack, the request id, the caller's and the platform's tokens). Anything else goes
# through nameko's publisher, which writes more types.
_HEADER_TYPES = (str, bool, int)


class KeptReadChannel(SharedExtension):
    """The process's one channel for reads' requests, opened on the first read and closed with the service; none
    when the broker's settings need more than its URL (TLS, a login method): reads then go through nameko."""

    channel: ConfirmedChannel | None = None

    def setup(self) -> None:
        config = self.container.config
        if config.get(AMQP_SSL_CONFIG_KEY) or config.get(LOGIN_METHOD_CONFIG_KEY):
            self.channel = None
            return
        self.channel = ConfirmedChannel(config[AMQP_URI_CONFIG_KEY])
        self.exchange = get_rpc_exchange(config).name

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()

    def kill(self) -> None:
        if self.channel is not None:
            self.channel.close(wait_seconds=1.0)


def _fits_the_channel(headers: dict) -> bool:
    return all(isinstance(value, _HEADER_TYPES)
               or (isinstance(value, list) and all(isinstance(item, _HEADER_TYPES) for item in value))
               for value in headers.values())


class KeptChannelMethodProxy(MethodProxy):
    """nameko's MethodProxy, its request published on the kept channel (the module's docstring)."""

    def __init__(self, worker_ctx, service_name, method_name, reply_listener, kept: KeptReadChannel, **options):
        super().__init__(worker_ctx, service_name, method_name, reply_listener, **options)
        self.kept = kept

    def _call(self, *args, **kwargs):
        headers = self.get_message_headers(self.worker_ctx)
        if not _fits_the_channel(headers):
            return super()._call(*args, **kwargs)
        content_type, content_encoding, body = written_like_kombu({"args": args, "kwargs": kwargs}, self.serializer)
        correlation_id = str(uuid.uuid4())
        reply_event = self.reply_listener.get_reply_event(correlation_id)
        outcome = self.kept.channel.publish(
            self.kept.exchange, f"{self.service_name}.{self.method_name}", body, content_type=content_type,
            content_encoding=content_encoding, delivery_mode=NON_PERSISTENT,
            reply_to=self.reply_listener.routing_key, correlation_id=correlation_id, headers=headers)
        if outcome == RETURNED:
            raise UnknownService(self.service_name)
        if outcome != CONFIRMED:
            raise PublishNotConfirmed(f"the broker {outcome} the request to {self.service_name}.{self.method_name}")
        return RpcReply(reply_event)


class _ReadsOnKeptChannel(ServiceProxy):
    def __init__(self, worker_ctx, service_name, reply_listener, contract: ServiceContract, kept: KeptReadChannel,
                 **options):
        super().__init__(worker_ctx, service_name, reply_listener, **options)
        self.contract = contract
        self.kept = kept

    def __getattr__(self, name):
        method = self.contract.rpcs.get(name)
        if method is None or not method.read or self.kept.channel is None:
            return super().__getattr__(name)
        return KeptChannelMethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, self.kept,
                                      **self.options)


class GatewayServiceRpc(ServiceRpc):
    """shared.messaging.ServiceRpc, a read's request published on the process's kept channel, every reply handled
    where it is consumed (services/gateway/replies.py)."""

    read_requests = KeptReadChannel()
    rpc_reply_listener = GatewayReplyListener()

    def service_proxy(self, worker_ctx):
        return _ReadsOnKeptChannel(worker_ctx, self.target_service, self.rpc_reply_listener, self.contract,
                                   self.read_requests, **self.options)
