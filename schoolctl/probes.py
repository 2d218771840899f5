"""`schoolctl deploy probe PROCESS`: the exec probe of a process that has no HTTP port (deploy/k8s/).

A service is asked for its health check over its own RPC queue, signed in to the broker as the pod's own user
(AMQP_URI): the reply queue is named for the service (`rpc.reply-<service>-<uuid>`), the only reply queues that
user may use. It calls with no credential, so the service refuses it, and that refusal is the answer wanted: a
replica consumes the queue and serves (shared/readiness.py reads an answer the same way). Databases are not its
concern: the gateway's `/health/ready` reports them.

A notify worker has no RPC; its broker user reaches only the delivery queues. Its probe signs in as that user and
finds every channel's work queue declared.

Neither can tell this pod's answer from a sibling's: the broker hands a call to any replica.
"""
from __future__ import annotations

from typing import Annotated

import typer

from schoolctl.broker import EXIT_UNAVAILABLE, EXIT_USAGE, fail
from schoolctl.broker_accounts import NOTIFY_WORKER, app
from shared.config import SERVICES, amqp_uri

PROBED = (*SERVICES, NOTIFY_WORKER)


@app.command("probe")
def probe(
    process: Annotated[str, typer.Argument(help=f"One of {', '.join(PROBED)}")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the answer", min=1)] = 10,
) -> None:
    """Exit 0 when the process's queue is served (a Kubernetes exec probe); otherwise say why and exit 69."""
    if process not in PROBED:
        raise fail(f"no probe for {process!r}: one of {', '.join(PROBED)}", EXIT_USAGE)
    check = work_queues_declared if process == NOTIFY_WORKER else service_answers
    problem = check(process, amqp_uri(), timeout)
    if problem:
        raise fail(f"{process}: {problem}", EXIT_UNAVAILABLE)
    typer.echo(f"{process}: ok")


def service_answers(service: str, uri: str, timeout: float) -> str | None:
    """None when a replica of `service` answers its health check, else what went wrong."""
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.contracts.errors import PlatformError

    class ProxyOfService(ClusterRpcProxy):
        class ServiceContainer(ClusterRpcProxy.ServiceContainer):
            service_name = service

    try:
        with ProxyOfService({"AMQP_URI": uri}, timeout=timeout) as proxy:
            getattr(proxy, service).check_health()
    except (PlatformError, RemoteError):
        return None  # refused for want of a credential: it answered
    except UnknownService:
        return "nobody consumes its RPC queue"
    except RpcTimeout:
        return f"no answer within {timeout:g} s"
    except (OSError, ConnectionError) as unreachable:
        return f"cannot reach the broker: {type(unreachable).__name__}"
    return None


def work_queues_declared(_process: str, uri: str, timeout: float) -> str | None:
    """None when the broker takes the worker's credentials and every channel's work queue exists."""
    import pika
    from pika.exceptions import AMQPError, ChannelClosedByBroker

    from services.notify.queue.topology import WORK_QUEUES

    parameters = pika.URLParameters(uri)
    parameters.socket_timeout = parameters.blocked_connection_timeout = timeout
    try:
        with pika.BlockingConnection(parameters) as connection:
            for queue in WORK_QUEUES:
                # A passive declare that fails closes the channel: one channel per queue.
                connection.channel().queue_declare(queue, passive=True)
    except ChannelClosedByBroker as refused:
        return refused.reply_text
    except (AMQPError, OSError) as unreachable:
        return f"cannot reach the broker: {type(unreachable).__name__}"
    return None
