"""Send an announcement to a school as another team's service: the whole way to call the platform.

1. Exchange the service credential (client id and secret, from `schoolctl services add`) with identity for
   a short-lived service token, which also says who the service is to the platform (its principal).
2. Call with the token in the nameko context (`platform_credential`), naming the service's own principal
   wherever a payload names the caller (`sender`, `viewer`).

Only nameko is needed: the platform's contracts are plain JSON over RPC (docs/calling-the-platform.md).

    AMQP_URI=amqp://lunch-alerts:...@broker:5672/ \\
    PLATFORM_CLIENT_ID=lunch-alerts-1a2b3c4d5e6f PLATFORM_CLIENT_SECRET=... \\
        python examples/send_announcement.py --school-id SCHOOL_ID --subject "Lunch" --body "Pizza on Friday"

Prints notify's answer (the communication id, its state and how many people it reaches) as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta, timezone

from nameko.standalone.rpc import ClusterRpcProxy

CREDENTIAL_CONTEXT_KEY = "platform_credential"
# Ask for a new token a little before the one held expires.
RENEW_BEFORE = timedelta(minutes=1)


class PlatformToken:
    """The service token for one credential, asked for again shortly before it expires.

    In a nameko service, keep one in a DependencyProvider and, in its `worker_setup(worker_ctx)`, set
    `worker_ctx.data[CREDENTIAL_CONTEXT_KEY] = token.current()["token"]`: every RPC the worker makes then
    carries it."""

    def __init__(self, config: dict, client_id: str, client_secret: str) -> None:
        self._config = config
        self._request = {"client_id": client_id, "client_secret": client_secret}
        self._issued: dict | None = None

    def current(self) -> dict:
        if self._issued is None or _expires_soon(self._issued["expires_at"]):
            with ClusterRpcProxy(self._config, timeout=30) as rpc:
                self._issued = rpc.identity.issue_service_token(self._request)
        return self._issued


def _expires_soon(expires_at: str) -> bool:
    return datetime.fromisoformat(expires_at) - RENEW_BEFORE <= datetime.now(timezone.utc)


def send_announcement(config: dict, token: PlatformToken, *, school_id: str, subject: str, body: str) -> dict:
    issued = token.current()
    with ClusterRpcProxy(config, timeout=60, context_data={CREDENTIAL_CONTEXT_KEY: issued["token"]}) as rpc:
        return rpc.notify.send_announcement({
            "sender": issued["principal"],  # the service itself: a payload naming anyone else is refused
            "audience": {"school_id": school_id, "include_students": False, "include_guardians": True},
            "subject": subject,
            "body": body,
        })


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--school-id", required=True)
    parser.add_argument("--subject", required=True)
    parser.add_argument("--body", required=True)
    args = parser.parse_args(argv)
    config = {"AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")}
    token = PlatformToken(config, os.environ["PLATFORM_CLIENT_ID"], os.environ["PLATFORM_CLIENT_SECRET"])
    answer = send_announcement(config, token, school_id=args.school_id, subject=args.subject, body=args.body)
    json.dump(answer, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
