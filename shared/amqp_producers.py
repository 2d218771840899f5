"""nameko's publishers take a producer from kombu's process-wide pools without building a kombu Connection each time.

nameko's `get_producer` builds a `kombu.Connection` for every message it publishes (an RPC request, an RPC reply,
an event), only to look up the pool of producers that connection's settings key: parsing the broker's URL
and the transport options again, about 45 us a message, a twentieth of the gateway's and of the directory's
CPU per search. The connection built there is never opened (the pool opens clones of it), so one per set of
settings serves every later lookup of the same pool: `install()` puts this `get_producer`, which keeps that
connection by its settings, in nameko's place. The pool, and everything it does with broken connections and
channels, is kombu's as before.
"""
from __future__ import annotations

from contextlib import contextmanager

import nameko.amqp.publish
from kombu import Connection
from kombu.pools import producers
from nameko.constants import DEFAULT_TRANSPORT_OPTIONS

# Sets of settings kept at once: a service publishes with one or two; a test process, one per test's broker.
MAX_KEPT = 64
_kept: dict[tuple, Connection] = {}


@contextmanager
def get_producer(amqp_uri, confirms=True, ssl=None, login_method=None, transport_options=None):
    """nameko.amqp.publish.get_producer, the same pool for the same settings."""
    if transport_options is None:
        transport_options = DEFAULT_TRANSPORT_OPTIONS.copy()
    transport_options["confirm_publish"] = confirms
    with producers[pool_key(amqp_uri, ssl, login_method, transport_options)].acquire(block=True) as producer:
        yield producer


def pool_key(amqp_uri: str, ssl, login_method, transport_options: dict) -> Connection:
    """The (never opened) connection kombu keys the pool of these settings by."""
    try:
        settings = (amqp_uri, ssl, login_method, tuple(sorted(transport_options.items())))
        kept = _kept.get(settings)
    except TypeError:  # settings that cannot be a key (an ssl dict): built each time, as nameko does
        return Connection(amqp_uri, transport_options=transport_options, ssl=ssl, login_method=login_method)
    if kept is None:
        if len(_kept) >= MAX_KEPT:
            _kept.clear()
        # A copy: the caller's dict changes with its next publish, and kombu keys the pool by its repr.
        kept = _kept[settings] = Connection(amqp_uri, transport_options=dict(transport_options), ssl=ssl,
                                            login_method=login_method)
    return kept


def install() -> None:
    nameko.amqp.publish.get_producer = get_producer
