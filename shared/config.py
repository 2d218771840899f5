"""Configuration from the environment. Read in setup() or a composition root, never at import."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
SERVICES = ("identity", "directory", "notify", "rostering")


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def var_dir() -> Path:
    return Path(os.environ.get("SCHOOL_VAR_DIR", PROJECT_ROOT / "var"))


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else a SQLite file per service under var/."""
    return os.environ.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{var_dir() / (service + '.db')}"


def database_urls() -> dict[str, str]:
    return {service: database_url(service) for service in SERVICES}


# The gateway's sign-in protection, as the environment sets it (services/gateway/sign_in_settings.py reads
# and checks these from the nameko config): failed sign-ins allowed per login and per client address within
# a window of seconds, the proxies (addresses or CIDR blocks) whose X-Forwarded-For names the client, and
# how many seconds a gateway process keeps identity's answer for an access token (0: it asks every time).
SIGN_IN_DEFAULTS = {
    "GATEWAY_LOGIN_FAILURES_PER_LOGIN": "10",
    "GATEWAY_LOGIN_WINDOW_PER_LOGIN": "900",
    "GATEWAY_LOGIN_FAILURES_PER_ADDRESS": "100",
    "GATEWAY_LOGIN_WINDOW_PER_ADDRESS": "900",
    "GATEWAY_TRUSTED_PROXIES": "",
    "GATEWAY_SIGNED_IN_CACHE_SECONDS": "2",
}


def sign_in_settings() -> dict[str, str]:
    return {name: os.environ.get(name, default) for name, default in SIGN_IN_DEFAULTS.items()}


def service_config(**overrides) -> dict:
    """The nameko config every service process runs with."""
    config = {
        "AMQP_URI": amqp_uri(),
        "DATABASES": database_urls(),
        "WEB_SERVER_ADDRESS": os.environ.get("GATEWAY_ADDRESS", "127.0.0.1:8000"),
        "max_workers": int(os.environ.get("NAMEKO_MAX_WORKERS", "10")),
        **sign_in_settings(),
        # How long a directory process keeps each viewer's facts (services/directory/adapters/kept_facts.py).
        **{name: os.environ[name] for name in ("DIRECTORY_SCOPE_CACHE_SECONDS",) if os.environ.get(name)},
    }
    config.update(overrides)
    return config


# The nameko services `school-service NAME` runs, as module:class (imported only by the runner itself,
# so that naming them never imports eventlet's monkey patching).
SERVICE_CLASSES = {
    "identity": "services.identity.service:IdentityService",
    "directory": "services.directory.service:DirectoryService",
    "notify": "services.notify.service:NotifyService",
    "rostering": "services.rostering.service:RosteringService",
    "gateway": "services.gateway.service:GatewayService",
}
