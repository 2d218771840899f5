"""`schoolctl queues`: the management API's queue objects as lines, and where the API is reached."""
from __future__ import annotations

import pytest

from schoolctl.queues import QueueLine, management_endpoint, queue_lines


def test_a_queue_s_depth_consumers_and_rates_are_read_from_the_api_object():
    api = [{"name": "notify.deliveries.sms", "type": "quorum", "messages_ready": 40, "messages_unacknowledged": 4,
            "consumers": 2, "message_stats": {"publish_details": {"rate": 12.5}, "deliver_get_details": {"rate": 9.0},
                                              "ack_details": {"rate": 8.5}}},
           {"name": "notify.deliveries.dead", "type": "quorum", "messages_ready": 3}]

    assert queue_lines(api) == [
        QueueLine("notify.deliveries.dead", 3, 0, 0, 0.0, 0.0, 0.0, "quorum"),
        QueueLine("notify.deliveries.sms", 40, 4, 2, 12.5, 9.0, 8.5, "quorum"),
    ]


@pytest.mark.parametrize(("amqp_uri", "management_url", "expected"), [
    ("amqp://guest:guest@127.0.0.1:5672/", "http://127.0.0.1:15672",
     ("http://127.0.0.1:15672", ("guest", "guest"), "/")),
    ("amqp://ops:s%40cret@rabbit:5672/school", "https://rabbit:15671/",
     ("https://rabbit:15671", ("ops", "s@cret"), "school")),
    ("amqp://worker:pw@rabbit/school", "http://monitor:seen@rabbit:15672/rabbitmq",
     ("http://rabbit:15672/rabbitmq", ("monitor", "seen"), "school")),
])
def test_the_api_is_reached_with_the_broker_s_login_and_vhost_unless_its_url_has_a_login(
        amqp_uri, management_url, expected):
    assert management_endpoint(amqp_uri, management_url) == expected
