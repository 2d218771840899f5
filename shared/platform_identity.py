"""The platform's own services as callers: each holds a platform credential and sends its token with every call.

A platform service's client id is `platform:<name>` and its secret, `<NAME>_PLATFORM_SECRET` in its environment,
is derived by identity from identity's own secret (`platform_secret`), so nothing is registered anywhere and
rotating identity's secret rotates them all (`schoolctl deploy platform-secrets` prints them). The service
exchanges it with identity for a service token limited to `platform:<name>` (shared/contracts/callers.py,
PLATFORM_METHODS), keeps the token until shortly before it expires, and `ServiceRpc` puts it in the nameko
context (PLATFORM_SERVICE_CONTEXT_KEY) of every call, so a callee always knows which process is calling.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from shared.contracts import identity
from shared.contracts.callers import (
    PLATFORM_CLIENT_PREFIX, PLATFORM_SERVICE_CONTEXT_KEY, PLATFORM_SERVICES, issue_service_token,
    platform_secret_variable,
)
from shared.settings import value

log = logging.getLogger(__name__)

# A token is exchanged again this long before it expires, so no call carries one that expires on the way.
REFRESH_MARGIN = timedelta(minutes=2)
EXCHANGE_TIMEOUT = 30
_DERIVATION_LABEL = "school-platform platform service secret v1:"

Clock = Callable[[], datetime]
# exchange(client_id, secret) -> identity's ServiceToken answer ({"token", "expires_at", ...}).
Exchange = Callable[[str, str], Mapping]


def platform_client_id(service: str) -> str:
    return f"{PLATFORM_CLIENT_PREFIX}{service}"


def platform_secret(identity_secret: str, service: str) -> str:
    """The secret of `service`'s platform credential: identity derives it from its own secret and checks it."""
    digest = hmac.new(identity_secret.encode("utf-8"), (_DERIVATION_LABEL + service).encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def platform_environment(identity_secret: str) -> dict[str, str]:
    """Every platform service's secret variable, for a stack started from one identity secret (identity signs
    its own token and needs none)."""
    return {platform_secret_variable(service): platform_secret(identity_secret, service)
            for service in PLATFORM_SERVICES if service != identity.NAME}


class PlatformTokens:
    """One service's token, exchanged with identity when first needed and again shortly before it expires."""

    def __init__(self, client_id: str, secret: str, exchange: Exchange,
                 clock: Clock = lambda: datetime.now(timezone.utc)) -> None:
        self.client_id = client_id
        self._secret = secret
        self._exchange = exchange
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: datetime | None = None

    def current(self) -> str:
        with self._lock:
            if self._expires_at is None or self._clock() >= self._expires_at - REFRESH_MARGIN:
                answer = self._exchange(self.client_id, self._secret)
                self._token, self._expires_at = answer["token"], _moment(answer["expires_at"])
            return self._token


def _moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class PlatformIdentity(DependencyProvider):
    """Declared by every platform service as `platform`; its ServiceRpc calls then carry the service's token.

    `sign_locally(client_id)`: identity's own way to get a token (identity does not call itself). A service
    whose secret is not set sends no token: callees that verify callers refuse what it alone could call."""

    def __init__(self, sign_locally: Callable[[str], Mapping] | None = None) -> None:
        self.sign_locally = sign_locally

    def setup(self) -> None:
        service = self.container.service_name
        client_id = platform_client_id(service)
        if self.sign_locally is not None:
            self.tokens: PlatformTokens | None = PlatformTokens(client_id, "", lambda cid, _: self.sign_locally(cid))
            return
        secret = value(platform_secret_variable(service)) or ""
        if not secret:
            log.warning("%s is not set: %s calls other services without a platform credential",
                        platform_secret_variable(service), service)
            self.tokens = None
            return
        config = self.container.config

        def exchange(client_id: str, secret: str) -> Mapping:
            with ClusterRpcProxy(config, timeout=EXCHANGE_TIMEOUT) as proxy:
                return getattr(getattr(proxy, identity.NAME), issue_service_token.name)(
                    {"client_id": client_id, "client_secret": secret})

        self.tokens = PlatformTokens(client_id, secret, exchange)

    def present(self, worker_ctx) -> None:
        """Put the service's current token in `worker_ctx`, so the call about to be made carries it."""
        if self.tokens is not None:
            worker_ctx.data[PLATFORM_SERVICE_CONTEXT_KEY] = self.tokens.current()
        else:
            # Never pass on the token of the service that called us: its rights are not ours.
            worker_ctx.data.pop(PLATFORM_SERVICE_CONTEXT_KEY, None)

    def get_dependency(self, worker_ctx) -> Callable[[], None]:
        return lambda: self.present(worker_ctx)
