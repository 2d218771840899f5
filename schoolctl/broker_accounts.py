"""`schoolctl deploy broker-definitions`: the RabbitMQ definitions deploy/ boots the broker with (and
`schoolctl deploy platform-secrets`: each platform service's own secret, shared/platform_identity.py).

One broker user per process kind, each allowed only its own queues and exchanges, named as nameko names
them: `rpc-<service>` (its RPC queue), `rpc.reply-<service>-<uuid>` (replies to its calls),
`evt-<source>-<event>--<service>.<method>` (its event handlers' queues), `<service>.events` (the exchange it
publishes events on) and `nameko-rpc` (where every call and reply is published). A service may also
declare and bind to the `<source>.events` exchanges it subscribes to. Standalone callers (the operator's
schoolctl, another team's script) get the `standalone_rpc_proxy` reply queues only.

No `guest`: definitions imported when the broker boots replace its default user. Passwords come from the
environment (`BROKER_PASSWORD_<USER>`), stored as RabbitMQ's salted SHA-256 hashes.
"""
from __future__ import annotations

import base64
import hashlib
import importlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from schoolctl.broker import EXIT_USAGE, fail
from shared.config import SERVICE_CLASSES
from shared.platform_identity import platform_environment
from shared.settings import value

RPC_EXCHANGE = "nameko-rpc"
STANDALONE_PROXY = "standalone_rpc_proxy"  # nameko's service name for a ClusterRpcProxy's reply queues
NAME = r"[a-z0-9_]+"
# An event's name on the wire carries its version (shared/contracts/base.py): people_upserted.v1.
EVENT = rf"{NAME}\.v[0-9]+"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# notify's delivery queue and its exchanges (services/notify/queue/topology.py): notify publishes, workers consume.
NOTIFY_DELIVERIES = r"notify\.deliveries(\..+)?"
# The verified provider webhooks (shared/contracts/provider_webhooks.py): the gateway publishes, notify consumes.
NOTIFY_WEBHOOKS = r"notify\.webhooks(\..+)?"
# The queues and exchanges a service uses beyond nameko's own.
EXTRA_PATTERNS = {"notify": [NOTIFY_DELIVERIES, NOTIFY_WEBHOOKS], "gateway": [NOTIFY_WEBHOOKS]}
NOTIFY_WORKER = "notify-worker"
OPERATOR = "operator"
VHOST = "/"

app = typer.Typer(help="What deploy/ runs with.", no_args_is_help=True)


@dataclass(frozen=True)
class BrokerUser:
    name: str
    configure: str
    write: str
    read: str

    @property
    def password_variable(self) -> str:
        return f"BROKER_PASSWORD_{self.name.upper().replace('-', '_')}"


def _exactly(*patterns: str) -> str:
    return "^(" + "|".join(dict.fromkeys(patterns)) + ")$"


def service_user(service: str, *, subscribes_to: Iterable[str] = (), publishes_events: bool = False,
                 extra: Iterable[str] = ()) -> BrokerUser:
    name = re.escape(service)
    own_queues = [rf"rpc-{name}", rf"rpc\.reply-{name}-{UUID}", rf"evt-{NAME}-{EVENT}--{name}\.{NAME}"]
    own_exchanges = [re.escape(RPC_EXCHANGE)] + ([rf"{name}\.events"] if publishes_events else [])
    sources = [rf"{re.escape(source)}\.events" for source in sorted(set(subscribes_to))]
    extra = list(extra)
    return BrokerUser(
        name=service,
        # Declaring: its queues, the exchanges it publishes to, and those its handlers' queues bind to.
        configure=_exactly(*own_queues, *own_exchanges, *sources, *extra),
        # Publishing to its exchanges; binding its queues (write on the queue).
        write=_exactly(*own_queues, *own_exchanges, *extra),
        # Consuming its queues; binding them to nameko-rpc and to the events exchanges it subscribes to.
        read=_exactly(*own_queues, re.escape(RPC_EXCHANGE), *sources, *extra),
    )


STANDALONE_REPLIES = rf"rpc\.reply-{STANDALONE_PROXY}-{UUID}"


def standalone_caller(name: str) -> BrokerUser:
    """A script or CLI calling over RPC with nameko's standalone proxy (no queue of its own but its replies)."""
    patterns = (re.escape(RPC_EXCHANGE), STANDALONE_REPLIES)
    return BrokerUser(name=name, configure=_exactly(*patterns), write=_exactly(*patterns), read=_exactly(*patterns))


def other_teams_service(name: str) -> BrokerUser:
    """Another team's nameko service: its own queues, and standalone replies (it asks identity for its token
    with a ClusterRpcProxy, as examples/send_announcement.py does)."""
    return service_user(name, publishes_events=True, extra=[STANDALONE_REPLIES])


def platform_users() -> list[BrokerUser]:
    """Every process of deploy/compose.yaml that speaks AMQP, and the operator's schoolctl."""
    users = [_user_of_service(name) for name in SERVICE_CLASSES]
    users.append(BrokerUser(name=NOTIFY_WORKER, configure=_exactly(NOTIFY_DELIVERIES),
                            write=_exactly(NOTIFY_DELIVERIES), read=_exactly(NOTIFY_DELIVERIES)))
    users.append(standalone_caller(OPERATOR))
    return users


def _user_of_service(name: str) -> BrokerUser:
    from nameko.events import EventDispatcher

    module, class_name = SERVICE_CLASSES[name].split(":")
    cls = getattr(importlib.import_module(module), class_name)
    members = [getattr(cls, attribute) for attribute in dir(cls)]
    subscribes_to = {member.contract_event.service for member in members if hasattr(member, "contract_event")}
    publishes = any(isinstance(member, EventDispatcher) for member in members)
    return service_user(name, subscribes_to=subscribes_to, publishes_events=publishes,
                        extra=EXTRA_PATTERNS.get(name, []))


def rabbit_password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password)), a 4-byte salt."""
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode("ascii")


def definitions(users: Iterable[BrokerUser], environ: Mapping[str, str] | None = None) -> dict:
    users = list(users)
    missing = [user.password_variable for user in users if not value(user.password_variable, environ)]
    if missing:
        raise ValueError(f"set {', '.join(missing)}: each broker user's password comes from the environment")
    return {
        "vhosts": [{"name": VHOST}],
        "users": [{"name": user.name, "password_hash": rabbit_password_hash(value(user.password_variable, environ)),
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []} for user in users],
        "permissions": [{"user": user.name, "vhost": VHOST, "configure": user.configure, "write": user.write,
                         "read": user.read} for user in users],
    }


@app.command("broker-definitions")
def broker_definitions(
    output: Annotated[Path, typer.Option("--output", help="Where to write the definitions JSON")],
) -> None:
    """Write the broker's users and permissions, with passwords from $BROKER_PASSWORD_<USER>."""
    try:
        document = definitions(platform_users())
    except ValueError as missing:
        raise fail(str(missing), EXIT_USAGE) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2))
    typer.echo(f"wrote {len(document['users'])} broker users to {output}")


@app.command("broker-user")
def broker_user(
    name: Annotated[str, typer.Argument(help="The service's name, as its nameko `name` and broker user")],
    standalone: Annotated[bool, typer.Option(
        "--standalone", help="A script using nameko's standalone proxies only (no service of its own)")] = False,
) -> None:
    """Print the rabbitmqctl commands that give another team's service a broker user of its own, limited like
    the platform's (its password from $BROKER_PASSWORD)."""
    user = standalone_caller(name) if standalone else other_teams_service(name)
    typer.echo(f'rabbitmqctl add_user {name} "$BROKER_PASSWORD"')
    typer.echo(f"rabbitmqctl set_permissions -p {VHOST} {name} '{user.configure}' '{user.write}' '{user.read}'")


@app.command("platform-secrets")
def platform_secrets() -> None:
    """Print each platform service's secret (`<NAME>_PLATFORM_SECRET`), derived from $IDENTITY_TOKEN_SECRET, as
    export lines: give each service its own, and identity's secret to identity alone."""
    identity_secret = value("IDENTITY_TOKEN_SECRET") or ""
    if len(identity_secret) < 32:
        raise fail("export IDENTITY_TOKEN_SECRET (32+ characters) first: the platform secrets derive from it",
                   EXIT_USAGE)
    for variable, secret in platform_environment(identity_secret).items():
        typer.echo(f"export {variable}={secret}")
