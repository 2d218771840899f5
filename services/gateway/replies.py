"""The gateway's RPC replies, handed to their callers on the consumer's own green thread.

nameko's QueueConsumer runs every message it takes in a green thread of its own (`spawn_managed_thread`), so that
an entrypoint's worker may block without holding up the consumer. A reply needs none of that: nameko's
ReplyListener acknowledges it and sends its body to the caller waiting on its correlation id (an eventlet Event,
which never blocks), or drops a reply nobody waits for. In the gateway, whose only consumer is the reply listener,
that thread was about 4 % of the gateway's samples under search (a green thread made, scheduled and linked per
reply: the diary, 2026-12-07, "The gateway's replies read through orjson and handled where they are consumed").

Here the reply listener's messages are handled where they are consumed: the same acknowledgement first, the same
correlation ids matched, the same body handed over. Anything else registered with this consumer would still run
in a thread of its own.
"""
from __future__ import annotations

from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener


class ConsumerOfReplies(QueueConsumer):
    """nameko's QueueConsumer, a ReplyListener's messages handled on the consumer's green thread."""

    def handle_message(self, provider, body, message):
        if isinstance(provider, ReplyListener):
            provider.handle_message(body, message)
        else:
            super().handle_message(provider, body, message)


class GatewayReplyListener(ReplyListener):
    """nameko's ReplyListener on ConsumerOfReplies."""

    queue_consumer = ConsumerOfReplies()
