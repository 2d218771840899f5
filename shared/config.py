"""Configuration from the environment. Read in setup() or a composition root, never at import."""
from __future__ import annotations

from pathlib import Path

from shared.settings import declared, value

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("identity", "directory", "notify", "rostering")


def amqp_uri() -> str:
    return value("AMQP_URI")


def var_dir() -> Path:
    return Path(value("SCHOOL_VAR_DIR") or PROJECT_ROOT / "var")


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else a SQLite file per service under var/."""
    return value(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{var_dir() / (service + '.db')}"


def database_urls() -> dict[str, str]:
    return {service: database_url(service) for service in SERVICES}


# The gateway's sign-in protection, as the environment sets it (services/gateway/sign_in_settings.py reads
# and checks these from the nameko config): failed sign-ins allowed per login and per client address within
# a window of seconds, the proxies (addresses or CIDR blocks) whose X-Forwarded-For names the client, and
# how many seconds a gateway process keeps identity's answer for an access token (0: it asks every time).
SIGN_IN_VARIABLES = ("GATEWAY_LOGIN_FAILURES_PER_LOGIN", "GATEWAY_LOGIN_WINDOW_PER_LOGIN",
                     "GATEWAY_LOGIN_FAILURES_PER_ADDRESS", "GATEWAY_LOGIN_WINDOW_PER_ADDRESS", "GATEWAY_TRUSTED_PROXIES",
                     "GATEWAY_SIGNED_IN_CACHE_SECONDS")
SIGN_IN_DEFAULTS = {name: declared(name).default for name in SIGN_IN_VARIABLES}


def sign_in_settings() -> dict[str, str]:
    return {name: value(name) for name in SIGN_IN_VARIABLES}


def service_config(**overrides) -> dict:
    """The nameko config every service process runs with."""
    config = {
        "AMQP_URI": amqp_uri(),
        "DATABASES": database_urls(),
        "WEB_SERVER_ADDRESS": value("GATEWAY_ADDRESS"),
        "max_workers": int(value("NAMEKO_MAX_WORKERS")),
        **sign_in_settings(),
        # How long a directory process keeps each viewer's facts (services/directory/adapters/kept_facts.py).
        "DIRECTORY_SCOPE_CACHE_SECONDS": value("DIRECTORY_SCOPE_CACHE_SECONDS"),
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
