"""The publisher's connections are kept between publishes: many publishes share one, concurrent green threads
each get their own, and one the broker closed while it sat idle is replaced without losing a job."""
from __future__ import annotations

import time
from urllib.parse import quote, unquote, urlparse

import eventlet
import requests

from services.notify.queue.publisher import DeliveryPublisher
from tests.integration.notify.test_queue_publisher import queue_depth, sms_jobs

MANAGEMENT_API = "http://127.0.0.1:15672/api"
GUEST = ("guest", "guest")
LISTING_SECONDS = 15.0


def _vhost(amqp_uri: str) -> str:
    return unquote(urlparse(amqp_uri).path[1:]) or "/"


def _connections(amqp_uri: str) -> list[str]:
    answer = requests.get(f"{MANAGEMENT_API}/vhosts/{quote(_vhost(amqp_uri), safe='')}/connections",
                          auth=GUEST, timeout=5)
    answer.raise_for_status()
    return [connection["name"] for connection in answer.json()]


def _listed_connections(amqp_uri: str, *, at_least: int) -> list[str]:
    # The management API lists a new connection a moment after it opened.
    deadline = time.monotonic() + LISTING_SECONDS
    while len(names := _connections(amqp_uri)) < at_least and time.monotonic() < deadline:
        time.sleep(0.2)
    return names


def test_many_publishes_one_after_the_other_share_one_connection(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    publisher = DeliveryPublisher(uri)
    publisher.declare_topology()

    for _ in range(30):
        publisher.publish_jobs(sms_jobs(1))

    assert queue_depth(uri) == 30
    time.sleep(1.0)  # connections closed by mistake would have left the listing by now
    assert len(_listed_connections(uri, at_least=1)) == 1
    publisher.close()


def test_concurrent_green_threads_publish_on_connections_of_their_own_and_lose_nothing(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    publisher = DeliveryPublisher(uri)
    publisher.declare_topology()

    pool = eventlet.GreenPool(10)
    for _ in pool.imap(lambda _n: publisher.publish_jobs(sms_jobs(50)), range(40)):
        pass

    assert queue_depth(uri) == 40 * 50
    publisher.close()


def test_a_kept_connection_the_broker_closed_is_replaced_and_the_publish_goes_through(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    publisher = DeliveryPublisher(uri)
    publisher.publish_jobs(sms_jobs(1))
    for name in _listed_connections(uri, at_least=1):
        requests.delete(f"{MANAGEMENT_API}/connections/{quote(name, safe='')}", auth=GUEST,
                        timeout=5).raise_for_status()
    deadline = time.monotonic() + LISTING_SECONDS
    while _connections(uri) and time.monotonic() < deadline:
        time.sleep(0.2)

    publisher.publish_jobs(sms_jobs(2))

    assert queue_depth(uri) == 3
    publisher.close()
