"""Every environment variable the project reads, declared and read here, and nowhere else.

A variable is declared once in VARIABLES: its name, its default (None: unset means "not configured", or the
reader works one out, e.g. a database file under the var directory), which processes read it, whether it is a
secret, and a check that says what is wrong with a value. Code reads a value with `value(NAME)` (or
`value(NAME, environ)` when it is handed a mapping, as the tests and `make run` do); an undeclared name is a
programming error. Each process checks its own variables when it starts (`exit_if_misconfigured`): every wrong
value is named with the reason, and the process exits with EX_CONFIG (78) before it connects to anything.

Adding a variable: one `Variable(...)` below and one row in the README's configuration table
(tests/unit/test_settings.py fails on either missing, and on an environment read anywhere else).
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

# The exit status of a process that stops on its configuration (sysexits.h EX_CONFIG).
EXIT_CONFIG = 78

Check = Callable[[str], "str | None"]  # a value -> why it is wrong, or None


def _positive_int(text: str) -> str | None:
    return None if text.isdigit() and int(text) >= 1 else "must be a whole number, 1 or more"


def _non_negative_int(text: str) -> str | None:
    return None if text.isdigit() else "must be a whole number, 0 or more"


def _positive_seconds(text: str) -> str | None:
    try:
        seconds = float(text)
    except ValueError:
        return "must be a number of seconds"
    return None if 0 < seconds < float("inf") else "must be a number of seconds above 0"


def _seconds_up_to(most: float) -> Check:
    def check(text: str) -> str | None:
        try:
            seconds = float(text)
        except ValueError:
            return "must be a number of seconds"
        return None if 0 <= seconds <= most else f"must be a number of seconds from 0 to {most:g}"
    return check


def _host_port(text: str) -> str | None:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        return "must be host:port (e.g. 127.0.0.1:8000)"
    return None


def _url(*schemes: str) -> Check:
    def check(text: str) -> str | None:
        parts = urlsplit(text)
        if parts.scheme not in schemes or not parts.netloc:
            return f"must be a {' or '.join(schemes)} URL (e.g. {schemes[0]}://host:port)"
        return None
    return check


def _database_url(text: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(text)
    except ArgumentError:
        return "must be a database URL (sqlite:///path or postgresql+psycopg://user@host/db)"
    return None


def _one_of(*choices: str) -> Check:
    def check(text: str) -> str | None:
        return None if text in choices else f"must be one of {', '.join(choices)}"
    return check


def _log_level(text: str) -> str | None:
    if isinstance(logging.getLevelName(text), int):
        return None
    return "must be a logging level name in capitals (DEBUG, INFO, WARNING, ERROR, CRITICAL)"


def _at_least_characters(count: int) -> Check:
    def check(text: str) -> str | None:
        return None if len(text) >= count else f"must be at least {count} characters (it has {len(text)})"
    return check


def _module_function(text: str) -> str | None:
    module, _, function = text.partition(":")
    return None if module and function.isidentifier() else "must be module:function"


def _pem(text: str) -> str | None:
    return None if text.startswith("-----BEGIN ") else "must be a PEM block (-----BEGIN ...)"


def _fernet_keys(text: str) -> str | None:
    from shared.sealed_secrets import SealedSecrets, SecretsUnavailable

    try:
        SealedSecrets("", text)
    except SecretsUnavailable:
        return "must be comma-separated Fernet keys (32 url-safe base64-encoded bytes each)"
    return None


def _flag(text: str) -> str | None:
    return None if text in ("0", "1") else "must be 1 or 0"


# Who reads what: each process checks the variables it reads when it starts.
SERVICES = ("identity", "directory", "notify", "rostering")
ALL = ("identity", "directory", "notify", "rostering", "gateway", "notify-worker")
NOTIFY = ("notify", "notify-worker")


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None = None
    read_by: tuple[str, ...] = ()
    check: Check | None = None
    secret: bool = False
    required_by: tuple[str, ...] = ()  # processes that refuse to start without it


def _database(service: str) -> Variable:
    readers = (service, "schoolctl", *(("notify-worker",) if service == "notify" else ()))
    return Variable(f"{service.upper()}_DATABASE_URL", None, readers, _database_url, secret=True)


def _platform_secret(service: str) -> Variable:
    return Variable(f"{service.upper()}_PLATFORM_SECRET", None, (service,), _at_least_characters(32), secret=True)


VARIABLES: tuple[Variable, ...] = (
    # every process
    Variable("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", (*ALL, "schoolctl"), _url("amqp", "amqps"),
             secret=True),
    Variable("SCHOOL_VAR_DIR", None, (*ALL, "schoolctl")),
    *(_database(service) for service in SERVICES),
    Variable("LOG_FORMAT", "text", ALL, _one_of("text", "json")),
    Variable("LOG_LEVEL", "INFO", ALL, _log_level),
    Variable("METRICS_ADDRESS", None, ALL, _host_port),
    Variable("PORT", None, ALL, _positive_int),
    Variable("NAMEKO_MAX_WORKERS", "10", ALL, _positive_int),
    # identity
    Variable("IDENTITY_TOKEN_SECRET", None, ("identity", "schoolctl"), _at_least_characters(32), secret=True,
             required_by=("identity",)),
    Variable("IDENTITY_TOKEN_TTL_SECONDS", "900", ("identity",), _positive_int),
    Variable("IDENTITY_REFRESH_TOKEN_TTL_SECONDS", "1209600", ("identity",), _positive_int),
    Variable("IDENTITY_SIGNING_KEY", None, ("identity",), _pem, secret=True),
    *(_platform_secret(service) for service in ("gateway", "directory", "notify", "rostering")),
    # gateway
    Variable("GATEWAY_ADDRESS", "127.0.0.1:8000", ("gateway", "notify", "schoolctl"), _host_port),
    Variable("GATEWAY_PUBLIC_URL", None, ("gateway",), _url("https", "http")),
    Variable("GATEWAY_CORS_ORIGINS", None, ("gateway",)),
    Variable("GATEWAY_LOGIN_FAILURES_PER_LOGIN", "10", ("gateway",), _positive_int),
    Variable("GATEWAY_LOGIN_WINDOW_PER_LOGIN", "900", ("gateway",), _positive_int),
    Variable("GATEWAY_LOGIN_FAILURES_PER_ADDRESS", "100", ("gateway",), _positive_int),
    Variable("GATEWAY_LOGIN_WINDOW_PER_ADDRESS", "900", ("gateway",), _positive_int),
    Variable("GATEWAY_TRUSTED_PROXIES", "", ("gateway",)),
    Variable("GATEWAY_SIGNED_IN_CACHE_SECONDS", "2", ("gateway",), _seconds_up_to(10)),
    # directory: how long a process keeps each viewer's classes, children and schools
    Variable("DIRECTORY_SCOPE_CACHE_SECONDS", "5", ("directory",), _seconds_up_to(30)),
    # notify and its workers: the providers (the sandbox reads the same credential names)
    Variable("TWILIO_ACCOUNT_SID", None, (*NOTIFY, "sandbox")),
    # The gateway verifies provider webhooks with the Twilio auth token and the SendGrid key (edge authentication).
    Variable("TWILIO_AUTH_TOKEN", None, (*NOTIFY, "sandbox", "gateway"), secret=True),
    Variable("TWILIO_FROM_NUMBER", None, NOTIFY),
    Variable("TWILIO_MESSAGING_SERVICE_SID", None, NOTIFY),
    Variable("TWILIO_API_BASE", None, NOTIFY, _url("https", "http")),
    Variable("SENDGRID_API_KEY", None, (*NOTIFY, "sandbox"), secret=True),
    Variable("SENDGRID_FROM_EMAIL", None, NOTIFY),
    Variable("SENDGRID_FROM_NAME", None, NOTIFY),
    Variable("SENDGRID_API_BASE", "https://api.sendgrid.com", NOTIFY, _url("https", "http")),
    Variable("SENDGRID_WEBHOOK_PUBLIC_KEY", None, (*NOTIFY, "gateway")),
    Variable("FCM_PROJECT_ID", None, NOTIFY),
    Variable("FCM_CREDENTIALS_FILE", None, NOTIFY),
    Variable("FCM_CREDENTIALS_JSON", None, (*NOTIFY, "sandbox"), secret=True),
    Variable("FCM_API_BASE", None, NOTIFY, _url("https", "http")),
    Variable("PROVIDER_TIMEOUT_SECONDS", "10", NOTIFY, _positive_seconds),
    Variable("NOTIFY_WEBHOOK_BASE_URL", None, NOTIFY, _url("https", "http")),
    Variable("DEEPL_AUTH_KEY", None, ("notify", "sandbox"), secret=True),
    Variable("DEEPL_SERVER_URL", None, ("notify",), _url("https", "http")),
    Variable("TRANSLATION_TIMEOUT_SECONDS", "3", ("notify",), _positive_seconds),
    Variable("TRANSLATION_RETRIES", "1", ("notify",), _non_negative_int),
    Variable("JOIN_BASE_URL", None, ("notify",), _url("https", "http")),
    Variable("CONVERSATION_REPLY_SECRET", None, ("notify",), secret=True),
    Variable("INBOUND_EMAIL_URL_SECRET", None, ("notify",), secret=True),
    Variable("INBOUND_EMAIL_DOMAIN", "replies.localhost", ("notify",)),
    Variable("NOTIFY_SWEEP_AFTER_SECONDS", "600", ("notify",), _positive_seconds),
    Variable("NOTIFY_WEBHOOK_REPLAY_WINDOW_SECONDS", "600", ("notify", "gateway"), _positive_seconds),
    Variable("NOTIFY_WORKER_PREFETCH", "2", ("notify-worker",), _positive_int),
    Variable("NOTIFY_WORKER_HEARTBEAT", "30", ("notify-worker",), _positive_int),
    Variable("NOTIFY_PROVIDER_FACTORY", None, ("notify-worker",), _module_function),
    # rostering
    Variable("ROSTERING_SETTINGS_KEY", None, ("rostering",), _fernet_keys, secret=True),
    Variable("ROSTERING_SFTP_POLL_SECONDS", "20", ("rostering",), _positive_seconds),
    # the provider sandbox
    Variable("SANDBOX_LISTEN", "127.0.0.1:8025", ("sandbox", "schoolctl"), _host_port),
    Variable("SANDBOX_SENDGRID_EVENTS_URL", None, ("sandbox",), _url("http", "https")),
    Variable("SANDBOX_TWILIO_INBOUND_URL", None, ("sandbox",), _url("http", "https")),
    Variable("SANDBOX_SENDGRID_INBOUND_URL", None, ("sandbox",), _url("http", "https"), secret=True),
    Variable("SANDBOX_SENDGRID_SIGNING_KEY", None, ("sandbox",), _pem, secret=True),
    Variable("SANDBOX_EVENT_FLUSH_SECONDS", "0.2", ("sandbox",), _positive_seconds),
    Variable("SANDBOX_VERBOSE", "0", ("sandbox",), _flag),
    # schoolctl
    Variable("SCHOOLCTL_CLIENT_ID", None, ("schoolctl",)),
    Variable("SCHOOLCTL_CLIENT_SECRET", None, ("schoolctl",), secret=True),
    Variable("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672", ("schoolctl",), _url("http", "https"),
             secret=True),
    Variable("BROKER_PASSWORD_<USER>", None, ("schoolctl",), secret=True),
    # make bench
    Variable("BENCH_SCALE", "small", ("bench",)),
    Variable("BENCH_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", ("bench",), _url("amqp", "amqps"),
             secret=True),
    Variable("BENCH_RABBIT_API", "http://guest:guest@127.0.0.1:15672", ("bench",), _url("http", "https"),
             secret=True),
    Variable("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres", ("bench",), secret=True),
)

DECLARED = {variable.name: variable for variable in VARIABLES}
# A family of variables named by a placeholder: BROKER_PASSWORD_<USER> declares BROKER_PASSWORD_OPERATOR, ...
_FAMILIES = {name.split("<")[0]: variable for name, variable in DECLARED.items() if name.endswith(">")}


class UndeclaredSetting(KeyError):
    """Code asked for a variable shared/settings.py does not declare."""


def declared(name: str) -> Variable:
    if name in DECLARED:
        return DECLARED[name]
    for prefix, variable in _FAMILIES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return variable
    raise UndeclaredSetting(f"{name} is not declared in shared/settings.py")


def environment() -> Mapping[str, str]:
    """This process's environment, whole: for a child process's environment and for the checks below."""
    return os.environ


def value(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value (surrounding blanks dropped), else its declared default; None when neither."""
    variable = declared(name)
    raw = (environment() if environ is None else environ).get(name)
    text = raw.strip() if raw else ""
    return text or variable.default


def seconds(name: str, environ: Mapping[str, str] | None = None) -> timedelta:
    """A duration variable's value. Its check ran when the process started (exit_if_misconfigured), so the
    default declared above is the only default there is."""
    return timedelta(seconds=float(value(name, environ)))


@dataclass(frozen=True)
class Problem:
    variable: str
    shown: str  # the value as it may be printed: a secret only by its length
    reason: str

    def __str__(self) -> str:
        return f"{self.variable}={self.shown}: {self.reason}"


def _shown(variable: Variable, text: str) -> str:
    return f"<secret, {len(text)} characters>" if variable.secret else repr(text)


def problems(processes: Iterable[str], environ: Mapping[str, str] | None = None) -> list[Problem]:
    """What is wrong with the variables these processes read: each set value its check refuses, and each
    variable one of them requires that is unset."""
    env = environment() if environ is None else environ
    wanted = set(processes)
    found = []
    for variable in VARIABLES:
        if not wanted.intersection(variable.read_by):
            continue
        text = (env.get(variable.name) or "").strip()
        if not text:
            if wanted.intersection(variable.required_by):
                found.append(Problem(variable.name, "<unset>",
                                     f"required by {', '.join(sorted(wanted & set(variable.required_by)))}"))
            continue
        reason = variable.check(text) if variable.check else None
        if reason:
            found.append(Problem(variable.name, _shown(variable, text), reason))
    return found


def exit_if_misconfigured(processes: Iterable[str], environ: Mapping[str, str] | None = None) -> None:
    """At a process's start: every wrong setting named on stderr, then exit 78, before anything connects."""
    processes = tuple(processes)
    found = problems(processes, environ)
    if not found:
        return
    print(f"{', '.join(processes)}: not starting, the environment is wrong "
          "(see the README's configuration table):", file=sys.stderr)
    for problem in found:
        print(f"  {problem}", file=sys.stderr)
    sys.exit(EXIT_CONFIG)
