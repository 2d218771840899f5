"""`schoolctl queues`: every queue of the platform's vhost with its depth, consumers and rates, from the
RabbitMQ management HTTP API (the plugin: `rabbitmq-plugins enable rabbitmq_management`).

The API is reached at $RABBITMQ_MANAGEMENT_URL (default http://127.0.0.1:15672) with the login of $AMQP_URI
unless the URL carries its own; the vhost is $AMQP_URI's.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Optional
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import requests
import typer
from rich.console import Console
from rich.table import Table

from schoolctl.broker import EXIT_NO_PERMISSION, EXIT_UNAVAILABLE, fail, redacted
from shared.config import amqp_uri as configured_amqp_uri
from shared.settings import declared, value

MANAGEMENT_URL_VARIABLE = "RABBITMQ_MANAGEMENT_URL"
DEFAULT_MANAGEMENT_URL = declared(MANAGEMENT_URL_VARIABLE).default
ENABLE_MANAGEMENT = "enable it with `rabbitmq-plugins enable rabbitmq_management`"


@dataclass(frozen=True)
class QueueLine:
    name: str
    ready: int
    unacked: int
    consumers: int
    publish_rate: float  # messages in per second, over the management API's last sample window
    deliver_rate: float  # handed to consumers (or got) per second
    ack_rate: float
    kind: str  # quorum or classic


def queue_lines(api_queues: Sequence[Mapping]) -> list[QueueLine]:
    """The API's queue objects as lines, by name (a queue the broker has not sampled yet shows zeros)."""
    lines = []
    for queue in api_queues:
        stats = queue.get("message_stats") or {}
        lines.append(QueueLine(
            name=queue["name"], ready=int(queue.get("messages_ready") or 0),
            unacked=int(queue.get("messages_unacknowledged") or 0), consumers=int(queue.get("consumers") or 0),
            publish_rate=_rate(stats, "publish"), deliver_rate=_rate(stats, "deliver_get"),
            ack_rate=_rate(stats, "ack"), kind=str(queue.get("type") or "classic")))
    return sorted(lines, key=lambda line: line.name)


def _rate(stats: Mapping, name: str) -> float:
    return float((stats.get(f"{name}_details") or {}).get("rate") or 0.0)


def management_endpoint(amqp_uri: str, management_url: str) -> tuple[str, tuple[str, str], str]:
    """(base URL without login, (user, password), vhost) for the API, from the broker URI and the API's URL."""
    broker, api = urlsplit(amqp_uri), urlsplit(management_url)
    user = api.username if api.username is not None else unquote(broker.username or "guest")
    password = api.password if api.password is not None else unquote(broker.password or "guest")
    vhost = unquote(broker.path[1:]) if broker.path not in ("", "/") else "/"
    netloc = api.hostname + (f":{api.port}" if api.port else "")
    return urlunsplit((api.scheme, netloc, api.path.rstrip("/"), "", "")), (user, password), vhost


def fetch_queues(amqp_uri: str, management_url: str, timeout: float) -> list[QueueLine]:
    base, auth, vhost = management_endpoint(amqp_uri, management_url)
    try:
        answer = requests.get(f"{base}/api/queues/{quote(vhost, safe='')}", auth=auth, timeout=timeout)
    except requests.RequestException:
        raise fail(f"The RabbitMQ management API is not answering at {base}: {ENABLE_MANAGEMENT}",
                   EXIT_UNAVAILABLE) from None
    if answer.status_code in (401, 403):
        raise fail(f"The RabbitMQ management API at {base} refused {auth[0]}: the user needs the monitoring "
                   f"(or management) tag and access to the vhost {vhost}", EXIT_NO_PERMISSION)
    if answer.status_code == 404:
        raise fail(f"The vhost {vhost} of {redacted(amqp_uri)} does not exist at {base}", EXIT_UNAVAILABLE)
    answer.raise_for_status()
    return queue_lines(answer.json())


app = typer.Typer(invoke_without_command=True)


@app.callback()
def show_queues(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array of the queues")] = False,
    amqp_uri: Annotated[Optional[str], typer.Option(
        "--amqp-uri", help="The broker whose vhost to show (default: $AMQP_URI, else the local broker)",
        show_default=False)] = None,
    management_url: Annotated[Optional[str], typer.Option(
        "--management-url", help=f"The management API (default: ${MANAGEMENT_URL_VARIABLE}, else "
                                 f"{DEFAULT_MANAGEMENT_URL})", show_default=False)] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer", min=1)] = 10,
) -> None:
    """Every queue of the platform: depth (ready and unacked), consumers, and rates in, out and acked per second."""
    lines = fetch_queues(amqp_uri or configured_amqp_uri(),
                         management_url or value(MANAGEMENT_URL_VARIABLE),
                         timeout)
    if as_json:
        typer.echo(json.dumps([asdict(line) for line in lines]))
        return
    table = Table("queue", "type", "ready", "unacked", "consumers", "in/s", "out/s", "ack/s", box=None)
    for line in lines:
        table.add_row(line.name, line.kind, str(line.ready), str(line.unacked), str(line.consumers),
                      f"{line.publish_rate:.1f}", f"{line.deliver_rate:.1f}", f"{line.ack_rate:.1f}")
    Console(soft_wrap=True).print(table)
