"""The gateway's side of provider webhooks: the secrets it verifies posts with, and the durable queue it hands
verified posts to (shared/contracts/provider_webhooks.py).

A post is handed over persistent, `mandatory` and confirmed by the broker before the provider is answered: a
confirm for a message no queue took would prove nothing, so an unroutable one is an error too. A broker that is
unreachable, refuses or does not confirm is `WebhookQueueUnavailable` (the provider gets 503 and posts again).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import KombuError
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.extensions import DependencyProvider

from shared.contracts.provider_webhooks import WEBHOOK_CONTENT_TYPE, WEBHOOK_EXCHANGE, WEBHOOK_QUEUE, VerifiedWebhook
from shared.metrics import DEPENDENCY_FAILURES
from shared.provider_signatures import WebhookSecrets, webhook_secrets_from_env
from shared.webhook_queue import kombu_declarations

log = logging.getLogger(__name__)

# A few quick tries on a dropped connection, then 503: the provider's own retry is the long one.
RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.4, "interval_max": 1.0}
_SCHEMA = VerifiedWebhook()


class WebhookQueueUnavailable(ConnectionError):
    """The broker did not take the post; nothing was handed over, so the provider's retry is safe (a
    ConnectionError: the gateway answers 503 with Retry-After, services/gateway/errors.py)."""


@dataclass(frozen=True)
class WebhookIntake:
    """What the webhook endpoints use: the provider secrets, the clock, and `hand_over(kind, url, body, at)`."""

    secrets: WebhookSecrets
    hand_over: Callable[[Mapping], None]
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)


class WebhookQueuePublisher:
    """Declares the queue before its first post, not with every one: kombu copies and binds each declared entity
    on every publish, 7 % of the gateway's CPU under a stream of posts (py-spy, 2026-12-05). `mandatory` still
    guards every post: should the queue be gone since (deleted by hand), the post comes back unrouted and is
    published once more after declaring again, so a post is never confirmed into nowhere."""

    def __init__(self, amqp_uri: str) -> None:
        self._amqp_uri = amqp_uri
        self._publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True, retry=True,
                                    retry_policy=RETRY_POLICY)
        self._declared = False

    def hand_over(self, webhook: Mapping) -> None:
        body = json.dumps(_SCHEMA.dump(webhook), separators=(",", ":"))
        try:
            declared_now = not self._declared
            if declared_now:
                self._declare()
            try:
                self._publish(body)
            except UndeliverableMessage:
                if declared_now:
                    raise
                self._declare()
                self._publish(body)
        except (UndeliverableMessage, AMQPError, KombuError, OSError) as failed:
            DEPENDENCY_FAILURES.labels("gateway", "broker", "webhook_queue_unavailable").inc()
            log.warning("the webhook queue did not take a %s post: %s", webhook["kind"], failed)
            raise WebhookQueueUnavailable(str(failed)) from failed

    def _declare(self) -> None:
        # Declared outright (kombu's declaration cache would skip a queue it believes declared).
        with Connection(self._amqp_uri, transport_options=dict(RETRY_POLICY)) as connection:
            channel = connection.default_channel
            for queue in kombu_declarations():
                queue(channel).declare()
        self._declared = True

    def _publish(self, body: str) -> None:
        self._publisher.publish(body, exchange=WEBHOOK_EXCHANGE, routing_key=WEBHOOK_QUEUE, serializer=None,
                                content_type=WEBHOOK_CONTENT_TYPE, content_encoding="utf-8")


class ProviderWebhookIntake(DependencyProvider):
    """TWILIO_AUTH_TOKEN, SENDGRID_WEBHOOK_PUBLIC_KEY and NOTIFY_WEBHOOK_REPLAY_WINDOW_SECONDS from the
    environment, and one publisher (its connections pooled) for every worker."""

    def setup(self) -> None:
        self.publisher = WebhookQueuePublisher(self.container.config["AMQP_URI"])
        self.intake = WebhookIntake(secrets=webhook_secrets_from_env(), hand_over=self.publisher.hand_over)

    def get_dependency(self, worker_ctx) -> WebhookIntake:
        return self.intake
