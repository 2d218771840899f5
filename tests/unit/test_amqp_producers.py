"""nameko's publishers find kombu's producer pool without building a kombu Connection per message."""
from __future__ import annotations

import nameko.amqp.publish
from kombu.pools import producers

import shared.messaging  # noqa: F401 - installs the kept keys, as every service does
from shared import amqp_producers

URI = "amqp://guest:guest@127.0.0.1:5672/kept"


def test_nameko_publishes_through_the_kept_keys():
    assert nameko.amqp.publish.get_producer is amqp_producers.get_producer


def test_the_same_settings_find_the_same_pool_as_nameko_would():
    options = {"max_retries": 3, "confirm_publish": True}
    first = amqp_producers.pool_key(URI, None, None, options)
    assert amqp_producers.pool_key(URI, None, None, dict(options)) is first
    built = nameko.amqp.publish.Connection(URI, transport_options=dict(options))
    assert producers[first] is producers[built]


def test_confirmed_and_unconfirmed_publishers_keep_their_own_pools():
    options = {"max_retries": 3, "confirm_publish": True}
    confirmed = amqp_producers.pool_key(URI, None, None, options)
    options["confirm_publish"] = False  # a publisher's dict changes with its next publish
    unconfirmed = amqp_producers.pool_key(URI, None, None, options)
    assert confirmed is not unconfirmed
    assert confirmed.transport_options["confirm_publish"] is True
    assert producers[confirmed] is not producers[unconfirmed]


def test_settings_that_cannot_be_a_key_are_built_each_time():
    ssl = {"ca_certs": "ca.pem"}
    first = amqp_producers.pool_key(URI, ssl, None, {"confirm_publish": True})
    assert amqp_producers.pool_key(URI, ssl, None, {"confirm_publish": True}) is not first


def test_a_producer_is_lent_and_given_back():
    options = {"confirm_publish": True}
    with amqp_producers.get_producer(URI, confirms=False, transport_options=options) as producer:
        assert producer is not None
    assert options["confirm_publish"] is False  # as nameko's own get_producer leaves it
