"""The broker at a process's start: refused credentials are a setting to fix, named at once; an unreachable
broker may be starting too, so it is tried again with backoff, each try named in the log.

Without this check nameko meets a refused login in every extension's setup at once and the process dies in a
heap of tracebacks; an unreachable broker ends the same way. Here each is one line with the failure's name
(broker_refused_credentials, broker_unreachable), the broker's address without its password, and
school_dependency_failures_total counts it.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from amqp.exceptions import AccessRefused, AMQPError
from kombu import Connection
from kombu.exceptions import OperationalError

from shared.metrics import DEPENDENCY_FAILURES

log = logging.getLogger(__name__)

BROKER_REFUSED_CREDENTIALS = "broker_refused_credentials"
BROKER_UNREACHABLE = "broker_unreachable"
# About 30 s in all: a broker started beside the service (compose, make run) answers within it.
START_PAUSES_SECONDS = (1.0, 2.0, 4.0, 8.0, 15.0)
CONNECT_TIMEOUT_SECONDS = 5.0


class BrokerFault(Exception):
    """The process cannot start on this broker; `failure` is the name logged and counted."""

    def __init__(self, failure: str, message: str):
        super().__init__(message)
        self.failure = failure


def check_broker(amqp_uri: str, *, service: str, pauses: Sequence[float] = START_PAUSES_SECONDS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
    """Returns once the broker takes this process's login; raises BrokerFault when it refuses it (at once) or
    does not answer on any of len(pauses) + 1 tries."""
    tries = len(pauses) + 1
    for attempt in range(1, tries + 1):
        connection = Connection(amqp_uri, connect_timeout=CONNECT_TIMEOUT_SECONDS)
        where = connection.as_uri()  # the password masked
        try:
            connection.connect()
            return
        except AccessRefused as refused:
            DEPENDENCY_FAILURES.labels(service, "broker", BROKER_REFUSED_CREDENTIALS).inc()
            message = (f"{BROKER_REFUSED_CREDENTIALS}: RabbitMQ at {where} refused the login of user "
                       f"{connection.userid!r} ({refused.reply_text or refused}); check AMQP_URI's user and "
                       f"password (deploy/: BROKER_PASSWORD_<USER>)")
            log.error("%s: %s", service, message)
            raise BrokerFault(BROKER_REFUSED_CREDENTIALS, message) from None
        except (OSError, AMQPError, OperationalError) as unreachable:
            DEPENDENCY_FAILURES.labels(service, "broker", BROKER_UNREACHABLE).inc()
            if attempt == tries:
                message = f"{BROKER_UNREACHABLE}: RabbitMQ at {where} did not answer in {tries} tries ({unreachable})"
                log.error("%s: %s", service, message)
                raise BrokerFault(BROKER_UNREACHABLE, message) from None
            pause = pauses[attempt - 1]
            log.warning("%s: %s: RabbitMQ at %s is not answering (%s); try %d of %d again in %.0f s", service,
                        BROKER_UNREACHABLE, where, unreachable, attempt, tries, pause)
            sleep(pause)
        finally:
            connection.release()
