"""The gateway's sign-in protection, read from its nameko config (shared.config.SIGN_IN_DEFAULTS names the
settings, the environment sets them); a value that makes no sense stops the gateway from starting."""
from __future__ import annotations

from collections.abc import Mapping

from services.gateway.domain.client_address import InvalidProxyList, TrustedProxies
from services.gateway.domain.signed_in import SignedInCache
from services.gateway.domain.throttling import Limit, LoginThrottle
from shared.config import SIGN_IN_DEFAULTS


# A session ended through another process may be honoured this long at most: it must stay a few seconds.
MAX_SIGNED_IN_CACHE_SECONDS = 10.0


class SignInConfigurationError(RuntimeError):
    """A sign-in setting the gateway cannot use."""


def login_throttle(config: Mapping) -> LoginThrottle:
    return LoginThrottle(per_login=_limit(config, "PER_LOGIN"), per_address=_limit(config, "PER_ADDRESS"))


def trusted_proxies(config: Mapping) -> TrustedProxies:
    try:
        return TrustedProxies.parse(str(_setting(config, "GATEWAY_TRUSTED_PROXIES")))
    except InvalidProxyList as error:
        raise SignInConfigurationError(f"GATEWAY_TRUSTED_PROXIES: {error}") from None


def signed_in_cache(config: Mapping) -> SignedInCache:
    name = "GATEWAY_SIGNED_IN_CACHE_SECONDS"
    raw = _setting(config, name)
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds <= MAX_SIGNED_IN_CACHE_SECONDS:
        raise SignInConfigurationError(
            f"{name} must be a number of seconds from 0 (ask identity on every request) to "
            f"{MAX_SIGNED_IN_CACHE_SECONDS:.0f}, not {raw!r}: a session ended elsewhere is honoured this long")
    return SignedInCache(seconds)


def _limit(config: Mapping, scope: str) -> Limit:
    name = f"GATEWAY_LOGIN_FAILURES_{scope}"
    failures = _positive(config, name)
    if failures != int(failures):
        raise SignInConfigurationError(f"{name} must be a whole number, not {_setting(config, name)!r}")
    return Limit(failures=int(failures), window_seconds=_positive(config, f"GATEWAY_LOGIN_WINDOW_{scope}"))


def _positive(config: Mapping, name: str) -> float:
    raw = _setting(config, name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise SignInConfigurationError(f"{name} must be a positive number, not {raw!r}")
    return value


def _setting(config: Mapping, name: str):
    value = config.get(name)
    return SIGN_IN_DEFAULTS[name] if value is None or value == "" else value
