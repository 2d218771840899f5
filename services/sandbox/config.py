"""The sandbox's settings: command line first, then environment, then local-only defaults.

The defaults are fake credentials for a machine that talks only to itself;
the app under test reads the same variable names (TWILIO_ACCOUNT_SID, ...),
so one environment configures both sides of `make run`.
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_LISTEN = "127.0.0.1:8025"
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
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="school-sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=_listen_address,
                        default=_listen_address(env.get("SANDBOX_LISTEN", DEFAULT_LISTEN)),
                        help="HOST:PORT to serve on; port 0 picks a free one (env SANDBOX_LISTEN)")
    parser.add_argument("--sendgrid-events-url", default=env.get("SANDBOX_SENDGRID_EVENTS_URL"),
                        help="where SendGrid event batches are posted (env SANDBOX_SENDGRID_EVENTS_URL)")
    parser.add_argument("--twilio-inbound-url", default=env.get("SANDBOX_TWILIO_INBOUND_URL"),
                        help="where inbound SMS are posted (env SANDBOX_TWILIO_INBOUND_URL)")
    parser.add_argument("--event-flush-seconds", type=float,
                        default=float(env.get("SANDBOX_EVENT_FLUSH_SECONDS", "0.2")))
    parser.add_argument("--verbose", action="store_true", default=env.get("SANDBOX_VERBOSE") == "1",
                        help="log every request")
    args = parser.parse_args(argv)
    host, port = args.listen
    return SandboxConfig(
        host=host,
        port=port,
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN,
        sendgrid_api_key=env.get("SENDGRID_API_KEY") or DEFAULT_SENDGRID_API_KEY,
        deepl_auth_key=env.get("DEEPL_AUTH_KEY") or DEFAULT_DEEPL_AUTH_KEY,
        sendgrid_events_url=args.sendgrid_events_url,
        twilio_inbound_url=args.twilio_inbound_url,
        sendgrid_inbound_url=env.get("SANDBOX_SENDGRID_INBOUND_URL") or None,
        sendgrid_signing_key_pem=env.get("SANDBOX_SENDGRID_SIGNING_KEY") or None,
        fcm_service_account_json=env.get("FCM_CREDENTIALS_JSON") or None,
        event_flush_seconds=args.event_flush_seconds,
        verbose=args.verbose,
    )
