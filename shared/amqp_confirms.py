"""What a publisher confirm settles, for the publishers that keep their own unconfirmed messages (notify's
delivery queue publisher, the gateway's confirmed channel)."""
from __future__ import annotations

import itertools
from collections.abc import Mapping


def settled_tags(outstanding: Mapping[int, object], method) -> list[int]:
    """The delivery tags one basic.ack or basic.nack settles: its own, or with `multiple` every outstanding tag
    up to it (tags are handed out in order and the mapping keeps that order)."""
    if not method.multiple:
        return [method.delivery_tag]
    return list(itertools.takewhile(lambda tag: tag <= method.delivery_tag, outstanding))
