"""A read's reply message (shared/rpc_replies.py, ReadReply) writes its properties as py-amqp writes them."""
from __future__ import annotations

import amqp
import pytest

from shared.rpc_replies import ReadReply

READ_REPLY = {"content_type": "application/json", "content_encoding": "utf-8", "application_headers": {},
              "delivery_mode": 1, "priority": 0}


@pytest.mark.parametrize("properties", [
    {**READ_REPLY, "correlation_id": "6f1c2a9e-1b7d-4a8e-9f00-1c2d3e4f5a6b"},
    {**READ_REPLY, "correlation_id": ""},
    {**READ_REPLY, "correlation_id": "Zoë-" + "é" * 120},  # 244 octets in UTF-8: the longest kind still short
    {**READ_REPLY, "content_type": "application/x-yaml", "correlation_id": "yaml"},
    {**READ_REPLY, "delivery_mode": 2, "priority": 5, "correlation_id": "persistent"},
    {**READ_REPLY, "correlation_id": None},  # as py-amqp writes a property it is given None for: left out
    {**READ_REPLY, "application_headers": {"lang": "fr"}, "correlation_id": "with headers"},
    {**READ_REPLY, "reply_to": "someone", "correlation_id": "more properties"},
])
def test_a_read_replys_properties_are_written_as_py_amqp_writes_them(properties):
    assert ReadReply(b"{}", **properties)._serialize_properties() == \
        amqp.Message(b"{}", **properties)._serialize_properties()


def test_replies_of_different_content_types_and_ids_one_after_another_each_write_their_own():
    ids = ["a", "bb", "ccc"]
    for content_type in ("application/json", "application/x-yaml", "application/json"):
        for correlation_id in ids:
            properties = {**READ_REPLY, "content_type": content_type, "correlation_id": correlation_id}
            assert ReadReply(b"", **properties)._serialize_properties() == \
                amqp.Message(b"", **properties)._serialize_properties()
