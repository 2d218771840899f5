"""Before anything is generated: do the broker, its management API and PostgreSQL answer?

A district run takes more than an hour; finding out after the roster stage that the management
plugin is off (a fresh machine's RabbitMQ has it off) would waste the generation and a traceback per
group. Each missing piece is named with the command that starts it.
"""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

import psycopg2

from bench.context import AMQP_URI, PG_DSN, RABBIT_API
from schoolctl.broker import START_RABBITMQ, redacted
from schoolctl.dev import broker_answers

CONNECT_SECONDS = 3.0
ENABLE_MANAGEMENT = "enable it with `rabbitmq-plugins enable rabbitmq_management`"
START_POSTGRES = "start it with `pg_ctlcluster <version> main start` (see .ci/run)"


def problems() -> list[str]:
    """One line per endpoint the bench needs that does not answer; empty when all do."""
    found = []
    if not broker_answers(AMQP_URI):
        found.append(f"RabbitMQ is not answering at {redacted(AMQP_URI)}: {START_RABBITMQ}")
    if not _port_answers(RABBIT_API, default_port=15672):
        found.append(f"RabbitMQ's management API is not answering at {redacted(RABBIT_API)} (the bench makes "
                     f"scratch vhosts through it): {ENABLE_MANAGEMENT}")
    try:
        psycopg2.connect(PG_DSN, connect_timeout=int(CONNECT_SECONDS)).close()
    except psycopg2.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        found.append(f"PostgreSQL is not answering at '{PG_DSN}' ({reason}): {START_POSTGRES}")
    return found


def _port_answers(uri: str, *, default_port: int) -> bool:
    parts = urlsplit(uri)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port),
                                 timeout=CONNECT_SECONDS).close()
    except OSError:
        return False
    return True
