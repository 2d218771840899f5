"""services/gateway/confirmed_channel.py on a real broker: many green threads publish on one kept channel, each
told about its own message only."""
import eventlet
import pika
import pytest

from gateway_http_support import free_port
from services.gateway import confirmed_channel
from services.gateway.confirmed_channel import (
    CONFIRMED,
    RETURNED,
    ChannelSettings,
    ConfirmedChannel,
    PublishNotConfirmed,
)

EXCHANGE = "confirmed-channel-test"
QUEUE = "confirmed-channel-test"


@pytest.fixture
def broker(rabbit_config):
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, "direct", durable=True)
    channel.queue_declare(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(QUEUE, EXCHANGE, routing_key=QUEUE)
    yield rabbit_config["AMQP_URI"], channel
    connection.close()


@pytest.fixture
def connections_opened(monkeypatch):
    opened = []
    real = pika.SelectConnection

    def counting(*args, **kwargs):
        opened.append(real(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(confirmed_channel.pika, "SelectConnection", counting)
    return opened


def publish(channel: ConfirmedChannel, body: bytes, routing_key: str = QUEUE) -> str:
    return channel.publish(EXCHANGE, routing_key, body, content_type="text/plain")


def test_concurrent_publishes_share_one_connection_and_each_hears_its_own_confirm(broker, connections_opened):
    uri, inspect = broker
    channel = ConfirmedChannel(uri)
    try:
        outcomes = list(eventlet.GreenPool(50).imap(lambda n: publish(channel, str(n).encode()), range(300)))
    finally:
        channel.close()

    assert outcomes == [CONFIRMED] * 300
    assert len(connections_opened) == 1
    assert inspect.queue_declare(QUEUE, passive=True).method.message_count == 300


def test_a_message_no_queue_takes_is_returned_not_confirmed_and_the_others_still_are(broker):
    uri, _ = broker
    channel = ConfirmedChannel(uri)
    try:
        pool = eventlet.GreenPool()
        routed = [pool.spawn(publish, channel, b"routed") for _ in range(5)]
        lost = pool.spawn(publish, channel, b"lost", "no-such-queue")
        assert lost.wait() == RETURNED
        assert [thread.wait() for thread in routed] == [CONFIRMED] * 5
    finally:
        channel.close()


def test_a_dropped_connection_is_replaced_by_the_next_publish(broker, connections_opened):
    uri, _ = broker
    channel = ConfirmedChannel(uri)
    try:
        assert publish(channel, b"first") == CONFIRMED
        connections_opened[0].close()  # as a broker restart would
        eventlet.sleep(0.2)

        assert publish(channel, b"second") == CONFIRMED
    finally:
        channel.close()

    assert len(connections_opened) == 2


def test_an_unreachable_broker_is_not_confirmed_within_its_attempts():
    channel = ConfirmedChannel(f"amqp://guest:guest@127.0.0.1:{free_port()}/",
                               ChannelSettings(timeout_seconds=5, connect_attempts=2, retry_delay_seconds=0.05))
    try:
        with pytest.raises(PublishNotConfirmed, match="cannot reach the broker"):
            publish(channel, b"nowhere")
    finally:
        channel.close()


def test_a_closed_channel_publishes_nothing_more(broker):
    uri, _ = broker
    channel = ConfirmedChannel(uri)
    assert publish(channel, b"one") == CONFIRMED
    channel.close()

    with pytest.raises(PublishNotConfirmed):
        publish(channel, b"two")
