"""The gateway's side of provider webhooks: the secrets it verifies posts with, and the durable queue it hands
verified posts to (shared/contracts/provider_webhooks.py).

A post is handed over persistent, `mandatory` and confirmed by the broker before the provider is answered: a
confirm for a message no queue took would prove nothing, so an unroutable one is an error too. A broker that is
unreachable, refuses or does not confirm is `WebhookQueueUnavailable` (the provider gets 503 and posts again).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import pika
from pika.exceptions import AMQPError
from nameko.extensions import DependencyProvider

from services.gateway.confirmed_channel import CONFIRMED, RETURNED, ConfirmedChannel, PublishNotConfirmed
from shared.contracts.provider_webhooks import WEBHOOK_CONTENT_TYPE, WEBHOOK_EXCHANGE, WEBHOOK_QUEUE
from shared.metrics import DEPENDENCY_FAILURES
from shared.provider_signatures import WebhookSecrets, webhook_secrets_from_env
from shared.webhook_queue import declare_with_pika, verified_webhook_json

log = logging.getLogger(__name__)


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
    """Hands verified posts to the queue on one kept channel with confirms, shared by every request of the
    process (services/gateway/confirmed_channel.py): each post waits for its own confirm while the others go out
    behind it, instead of one full round trip after another.

    The queue is declared before the first post, not with every one. `mandatory` still guards every post:
    should the queue be gone since (deleted by hand), the post comes back unrouted and is published once more
    after declaring again, so a post is never confirmed into nowhere."""

    def __init__(self, amqp_uri: str) -> None:
        self._amqp_uri = amqp_uri
        self._channel = ConfirmedChannel(amqp_uri)
        self._declared = False

    def hand_over(self, webhook: Mapping) -> None:
        body = verified_webhook_json(**webhook)
        try:
            declared_now = not self._declared
            if declared_now:
                self._declare()
            outcome = self._publish(body)
            if outcome == RETURNED and not declared_now:
                self._declare()
                outcome = self._publish(body)
            if outcome != CONFIRMED:
                raise PublishNotConfirmed(f"the broker {outcome} the post")
        except (PublishNotConfirmed, AMQPError, OSError) as failed:
            self._declared = False  # the next post declares again first (a broker restarted bare, say)
            DEPENDENCY_FAILURES.labels("gateway", "broker", "webhook_queue_unavailable").inc()
            log.warning("the webhook queue did not take a %s post: %s", webhook["kind"], failed)
            raise WebhookQueueUnavailable(str(failed)) from failed

    def close(self, wait_seconds: float = 10.0) -> None:
        self._channel.close(wait_seconds)

    def _declare(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self._amqp_uri))
        try:
            declare_with_pika(connection.channel())
        finally:
            if connection.is_open:
                connection.close()
        self._declared = True

    def _publish(self, body: bytes) -> str:
        return self._channel.publish(WEBHOOK_EXCHANGE, WEBHOOK_QUEUE, body, content_type=WEBHOOK_CONTENT_TYPE,
                                     content_encoding="utf-8")


class ProviderWebhookIntake(DependencyProvider):
    """TWILIO_AUTH_TOKEN, SENDGRID_WEBHOOK_PUBLIC_KEY and NOTIFY_WEBHOOK_REPLAY_WINDOW_SECONDS from the
    environment, and one publisher (one kept channel) for every request."""

    def setup(self) -> None:
        self.publisher = WebhookQueuePublisher(self.container.config["AMQP_URI"])
        self.intake = WebhookIntake(secrets=webhook_secrets_from_env(), hand_over=self.publisher.hand_over)

    def stop(self) -> None:
        self.publisher.close()

    def kill(self) -> None:
        self.publisher.close(wait_seconds=1.0)

    def get_dependency(self, worker_ctx) -> WebhookIntake:
        return self.intake
