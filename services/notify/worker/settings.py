"""The worker's configuration, read from the environment once, in the composition root.

    AMQP_URI                    the broker (shared.config)
    NOTIFY_DATABASE_URL         notify's database (shared.config.database_url("notify"))
    NOTIFY_WORKER_PREFETCH      jobs held ahead per worker, default 2
    NOTIFY_WORKER_HEARTBEAT     broker heartbeat in seconds, default 30
    NOTIFY_PROVIDER_FACTORY     "module:function" returning {Channel: ProviderChannel};
                                default: the Twilio and SendGrid channels the environment configures

Prefetch counts jobs, and a job is a page of 50 to 1,000 deliveries, so the
default 2 keeps 100 to 2,000 deliveries at hand: the per-message sweet spot
of 100–300 (PLATFORM-NOTES) already, while more would only hoard pages that
other workers could be sending and return them all when this worker stops.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.notify.domain.delivery import Channel, ProviderChannel
from shared.config import amqp_uri, database_url
from shared.settings import value

DEFAULT_PREFETCH = 2
DEFAULT_HEARTBEAT_SECONDS = 30
DEFAULT_PROVIDER_FACTORY = "services.notify.worker.settings:configured_provider_channels"

ProviderFactory = Callable[[], Mapping[Channel, ProviderChannel]]


class WorkerConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    amqp_uri: str
    database_url: str
    prefetch: int = DEFAULT_PREFETCH
    heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS
    provider_factory: str = DEFAULT_PROVIDER_FACTORY

    @classmethod
    def from_env(cls) -> WorkerSettings:
        return cls(
            amqp_uri=amqp_uri(),
            database_url=database_url("notify"),
            prefetch=_positive_int("NOTIFY_WORKER_PREFETCH", DEFAULT_PREFETCH),
            heartbeat_seconds=_positive_int("NOTIFY_WORKER_HEARTBEAT", DEFAULT_HEARTBEAT_SECONDS),
            provider_factory=value("NOTIFY_PROVIDER_FACTORY") or DEFAULT_PROVIDER_FACTORY,
        )

    def provider_channels(self) -> Mapping[Channel, ProviderChannel]:
        module_name, _, function_name = self.provider_factory.partition(":")
        if not function_name:
            raise WorkerConfigError(f"NOTIFY_PROVIDER_FACTORY must be module:function, not {self.provider_factory!r}")
        factory: ProviderFactory = getattr(importlib.import_module(module_name), function_name)
        return factory()


def configured_provider_channels() -> Mapping[Channel, ProviderChannel]:
    """The real providers, as the environment configures them (TWILIO_*, SENDGRID_*).

    Imported here, not at the top, so a worker given another factory never loads the SDKs.
    """
    from services.notify.adapters.providers import provider_channels, providers_from_env

    return provider_channels(providers_from_env())


def _positive_int(name: str, default: int) -> int:
    raw = value(name)
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise WorkerConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if number < 1:
        raise WorkerConfigError(f"{name} must be at least 1")
    return number
