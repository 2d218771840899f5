"""The gateway's RPC replies: handed to their callers on the consumer's own green thread, read from the broker's
socket as it holds them.

nameko's QueueConsumer runs every message it takes in a green thread of its own (`spawn_managed_thread`), so that
an entrypoint's worker may block without holding up the consumer. A reply needs none of that: nameko's
ReplyListener acknowledges it and sends its body to the caller waiting on its correlation id (an eventlet Event,
which never blocks), or drops a reply nobody waits for. In the gateway, whose only consumer is the reply listener,
that thread was about 4 % of the gateway's samples under search (a green thread made, scheduled and linked per
reply: the diary, 2026-12-07, "The gateway's replies read through orjson and handled where they are consumed").

Here the reply listener's messages are handled where they are consumed: the same acknowledgement first, the same
correlation ids matched, the same body handed over. Anything else registered with this consumer would still run
in a thread of its own.

py-amqp's TCP transport asks its socket for exactly the bytes the frame's next piece needs: a frame's header, its
payload, its end octet, three green `recv` calls a frame and nine a reply (method, header, body), though under
search the socket holds several replies at once. The consumer's connection here asks for at least
`READ_AHEAD_BYTES` each time: what the socket holds up to that is kept in py-amqp's own read buffer, which every
read takes from first, so the same bytes make the same frames in the same order, a read that times out keeps its
part as before, and a socket holding nothing waits as before. A connection over TLS keeps py-amqp's transport.
"""
from __future__ import annotations

from amqp.transport import TCPTransport
from kombu import Connection
from kombu.transport import pyamqp
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener

# What one read asks the socket for at least: a search's reply (about 7 KB in three frames) and then some. Each
# read copies what stays buffered (py-amqp slices its buffer), so not much more than a few replies.
READ_AHEAD_BYTES = 16 * 1024


class ReadAheadTransport(TCPTransport):
    """py-amqp's TCP transport, each read of its socket asking for at least READ_AHEAD_BYTES."""

    def _setup_transport(self) -> None:
        super()._setup_transport()
        recv = self.sock.recv
        self._quick_recv = lambda size: recv(size if size > READ_AHEAD_BYTES else READ_AHEAD_BYTES)


class _ReadAheadAmqpConnection(pyamqp.Connection):
    def Transport(self, host, connect_timeout, ssl=False, read_timeout=None, write_timeout=None,  # noqa: N802
                  socket_settings=None, **kwargs):
        if ssl:
            return super().Transport(host, connect_timeout, ssl, read_timeout, write_timeout,
                                     socket_settings=socket_settings, **kwargs)
        return ReadAheadTransport(host, connect_timeout=connect_timeout, ssl=ssl, read_timeout=read_timeout,
                                  write_timeout=write_timeout, socket_settings=socket_settings, **kwargs)


class ReadAheadKombuTransport(pyamqp.Transport):
    """kombu's py-amqp transport, its connections reading ahead (ReadAheadTransport)."""

    Connection = _ReadAheadAmqpConnection


class ConsumerOfReplies(QueueConsumer):
    """nameko's QueueConsumer, a ReplyListener's messages handled on the consumer's green thread, its connection
    reading ahead."""

    @property
    def connection(self) -> Connection:
        return super().connection.clone(transport=ReadAheadKombuTransport)

    def handle_message(self, provider, body, message):
        if isinstance(provider, ReplyListener):
            provider.handle_message(body, message)
        else:
            super().handle_message(provider, body, message)


class GatewayReplyListener(ReplyListener):
    """nameko's ReplyListener on ConsumerOfReplies."""

    queue_consumer = ConsumerOfReplies()
