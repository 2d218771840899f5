"""Provider webhooks as the gateway hands them to notify: the URL the provider called and the body as text.

The gateway verifies nothing itself; notify holds the provider secrets. What
the gateway must get right is to change nothing a signature covers: Twilio
signs the exact URL it called (query string included) plus the form fields,
SendGrid signs the exact body bytes.
"""
from __future__ import annotations

from shared.contracts.errors import InvalidRequest

# What Twilio expects back from an inbound-SMS webhook when we have nothing to say in reply.
EMPTY_TWIML = "<Response/>"
TWIML = "text/xml"


def called_url(*, public_url: str | None, request_host_url: str, raw_path: str, query_string: str) -> str:
    """The URL as the provider wrote it.

    Behind a proxy or a tunnel the provider called a public address, not the
    host the gateway sees, so a configured public base URL wins; without one
    the request's own scheme and host are the public address. The path and
    query stay exactly as they arrived (still percent-encoded).
    """
    base = (public_url or request_host_url).rstrip("/")
    return f"{base}{raw_path}?{query_string}" if query_string else f"{base}{raw_path}"


def body_text(raw: bytes) -> str:
    """The body for the contract's string field; both providers post UTF-8 (forms are ASCII)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("The webhook body is not UTF-8.", fields={"body": ["Not UTF-8."]}) from None
