"""The sandbox's settings: command line first, then environment, then local-only defaults.

The defaults are fake credentials for a machine that talks only to itself;
the app under test reads the same variable names (TWILIO_ACCOUNT_SID, ...),
so one environment configures both sides of `make run`.
"""
from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from shared.settings import value

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "sandbox-auth-token"
DEFAULT_SENDGRID_API_KEY = "SG.sandbox-api-key"
DEFAULT_DEEPL_AUTH_KEY = "sandbox-deepl-auth-key"


@dataclass(frozen=True)
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    twilio_account_sid: str = DEFAULT_ACCOUNT_SID
    twilio_auth_token: str = field(default=DEFAULT_AUTH_TOKEN, repr=False)
    sendgrid_api_key: str = field(default=DEFAULT_SENDGRID_API_KEY, repr=False)
    deepl_auth_key: str = field(default=DEFAULT_DEEPL_AUTH_KEY, repr=False)
    sendgrid_events_url: str | None = None
    twilio_inbound_url: str | None = None
    sendgrid_inbound_url: str | None = None  # where Inbound Parse posts email replies (its secret included)
    sendgrid_signing_key_pem: str | None = field(default=None, repr=False)  # None: a new key at start
    # The FCM service account notify signs its token requests with (FCM_CREDENTIALS_JSON); None: not checked.
    fcm_service_account_json: str | None = field(default=None, repr=False)
    event_flush_seconds: float = 0.2  # SendGrid posts events in batches, not one by one
    webhook_workers: int = 4
    verbose: bool = False


def _listen_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def config_from(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> SandboxConfig:
    parser = argparse.ArgumentParser(prog="school-sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=_listen_address,
                        default=_listen_address(value("SANDBOX_LISTEN", environ)),
                        help="HOST:PORT to serve on; port 0 picks a free one (env SANDBOX_LISTEN)")
    parser.add_argument("--sendgrid-events-url", default=value("SANDBOX_SENDGRID_EVENTS_URL", environ),
                        help="where SendGrid event batches are posted (env SANDBOX_SENDGRID_EVENTS_URL)")
    parser.add_argument("--twilio-inbound-url", default=value("SANDBOX_TWILIO_INBOUND_URL", environ),
                        help="where inbound SMS are posted (env SANDBOX_TWILIO_INBOUND_URL)")
    parser.add_argument("--event-flush-seconds", type=float,
                        default=float(value("SANDBOX_EVENT_FLUSH_SECONDS", environ)))
    parser.add_argument("--verbose", action="store_true", default=value("SANDBOX_VERBOSE", environ) == "1",
                        help="log every request")
    args = parser.parse_args(argv)
    host, port = args.listen
    return SandboxConfig(
        host=host,
        port=port,
        twilio_account_sid=value("TWILIO_ACCOUNT_SID", environ) or DEFAULT_ACCOUNT_SID,
        twilio_auth_token=value("TWILIO_AUTH_TOKEN", environ) or DEFAULT_AUTH_TOKEN,
        sendgrid_api_key=value("SENDGRID_API_KEY", environ) or DEFAULT_SENDGRID_API_KEY,
        deepl_auth_key=value("DEEPL_AUTH_KEY", environ) or DEFAULT_DEEPL_AUTH_KEY,
        sendgrid_events_url=args.sendgrid_events_url,
        twilio_inbound_url=args.twilio_inbound_url,
        sendgrid_inbound_url=value("SANDBOX_SENDGRID_INBOUND_URL", environ),
        sendgrid_signing_key_pem=value("SANDBOX_SENDGRID_SIGNING_KEY", environ),
        fcm_service_account_json=value("FCM_CREDENTIALS_JSON", environ),
        event_flush_seconds=args.event_flush_seconds,
        verbose=args.verbose,
    )
