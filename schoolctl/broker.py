"""Reaching the services over RabbitMQ from the command line, and the exit codes that say how it went."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import typer
from rich.console import Console

from shared.config import amqp_uri as configured_amqp_uri
from shared.contracts import identity
from shared.contracts.callers import OPERATOR_SCOPES
from shared.contracts.errors import NotAuthenticated, PermissionDenied
from shared.settings import value

# sysexits.h codes, so scripts and schedulers can tell failures apart.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REJECTED = 2
EXIT_USAGE = 64
EXIT_DATA = 65
EXIT_NO_USER = 67
EXIT_UNAVAILABLE = 69
EXIT_TEMPORARY = 75
EXIT_NO_PERMISSION = 77

# The operator's service credential (`schoolctl services add operator --scopes accounts:manage,rostering:manage`:
# contracts.callers.OPERATOR_SCOPES).
CLIENT_ID_VARIABLE = "SCHOOLCTL_CLIENT_ID"
CLIENT_SECRET_VARIABLE = "SCHOOLCTL_CLIENT_SECRET"

# Not deploy/compose.yaml's broker: it publishes no port, so only the containers beside it reach it.
START_RABBITMQ = "start it with `rabbitmq-server -detached`"


def errors() -> Console:
    # Messages stay on one line each so they read the same in a terminal and in a log.
    return Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int) -> typer.Exit:
    """Print `message` on stderr and return the Exit to raise."""
    errors().print(message, markup=False, highlight=False)
    return typer.Exit(code)


def redacted(uri: str) -> str:
    """The URI without its password, fit for a message on screen."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@contextmanager
def connected(amqp_uri: str | None, timeout: float, credential: str | None = None) -> Iterator[Callable]:
    """`rpc(contract)` proxies for the block; an unreachable broker or service exits with a clear message.

    `credential`: a service token the calls carry (see `connected_as_operator`)."""
    # Imported here, not above: commands that reach no service (--help, roster check) start without them.
    from amqp.exceptions import AccessRefused, AMQPError
    from kombu.exceptions import OperationalError
    from nameko.exceptions import RpcTimeout, UnknownService

    from shared.messaging import cluster_rpc

    uri = amqp_uri or configured_amqp_uri()
    try:
        with cluster_rpc(uri, timeout=timeout, credential=credential) as rpc:
            yield rpc
    except AccessRefused as refused:
        raise fail(f"RabbitMQ at {redacted(uri)} refused the login: {refused}", EXIT_UNAVAILABLE) from None
    except (OSError, AMQPError, OperationalError):
        raise fail(f"RabbitMQ is not answering at {redacted(uri)}: {START_RABBITMQ}", EXIT_UNAVAILABLE) from None
    except UnknownService as unknown:
        service = unknown.args[0]
        raise fail(f"The {service} service is not running: start it with `school-service {service}`",
                   EXIT_UNAVAILABLE) from None
    except RpcTimeout:
        raise fail(f"No answer within {timeout:g} s; the work may still be going on in the service "
                   "(raise --timeout for large imports)", EXIT_TEMPORARY) from None


@dataclass(frozen=True)
class Operator:
    """An operator's command connected: `rpc(contract)` proxies whose calls carry the operator's service token,
    and the credential's `principal`, which is who the command records as acting (`decided_by`, `changed_by`)."""

    rpc: Callable
    principal: Mapping

    @property
    def person_id(self) -> str:
        return self.principal["person_id"]


@contextmanager
def connected_as_operator(amqp_uri: str | None, timeout: float,
                          environ: Mapping[str, str] | None = None) -> Iterator[Operator]:
    """`connected`, with every call made as the operator: the service credential in $SCHOOLCTL_CLIENT_ID and
    $SCHOOLCTL_CLIENT_SECRET, exchanged with identity for a service token first."""
    client_id, secret = value(CLIENT_ID_VARIABLE, environ), value(CLIENT_SECRET_VARIABLE, environ)
    if not client_id or not secret:
        scopes = ",".join(OPERATOR_SCOPES)
        raise fail(f"This command acts as an operator: export {CLIENT_ID_VARIABLE} and {CLIENT_SECRET_VARIABLE} of a "
                   f"service credential with the {scopes} scopes (`schoolctl services add operator "
                   f"--scopes {scopes}` prints them)", EXIT_NO_PERMISSION)
    with connected(amqp_uri, timeout) as rpc:
        try:
            issued = rpc(identity.contract).issue_service_token({"client_id": client_id, "client_secret": secret})
        except NotAuthenticated:
            raise fail(f"identity refused the operator credential {client_id}: it is unknown, revoked, or the "
                       "secret is wrong", EXIT_NO_PERMISSION) from None
    with connected(amqp_uri, timeout, credential=issued["token"]) as rpc:
        try:
            yield Operator(rpc, issued["principal"])
        except PermissionDenied as denied:
            raise fail(f"The operator credential {client_id} may not do this: {denied.message}",
                       EXIT_NO_PERMISSION) from None
