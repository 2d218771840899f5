"""nameko dependencies of the notify service beyond its database: the delivery queue, the sweeper's bound,
webhook secrets and the Join links' base URL.

Each reads its configuration in setup(), when the container starts, never at import.
"""
from __future__ import annotations

from datetime import timedelta

from nameko.extensions import DependencyProvider

from services.notify.adapters.providers import providers_from_env
from services.notify.domain.conversation_records import ReplySettings
from services.notify.queue.dead_letters import DeadLetterQueue
from services.notify.queue.publisher import DeliveryPublisher
from shared.provider_signatures import WebhookSecrets, webhook_secrets_from_env
from shared.settings import seconds, value


class DeliveryQueue(DependencyProvider):
    """Hands workers the windowed, confirmed publisher of delivery jobs (pika, green under eventlet).

    Its connections stay open between publishes, one per publish under way, so one publisher serves
    every worker at once; they are closed when the service stops.
    """

    def setup(self) -> None:
        self.publisher = DeliveryPublisher(self.container.config["AMQP_URI"])

    def stop(self) -> None:
        self.publisher.close()

    def get_dependency(self, worker_ctx) -> DeliveryPublisher:
        return self.publisher


class DeadLetterQueueAccess(DependencyProvider):
    """The delivery queue's dead letters, for the operator's RPCs (a short pika connection per call)."""

    def setup(self) -> None:
        self.dead_letters = DeadLetterQueue(self.container.config["AMQP_URI"])

    def get_dependency(self, worker_ctx) -> DeadLetterQueue:
        return self.dead_letters


SWEEP_AFTER_VARIABLE = "NOTIFY_SWEEP_AFTER_SECONDS"


class SweepBound(DependencyProvider):
    """How long a delivery may stay `queued` with no job on its queue before the sweeper queues it again."""

    def setup(self) -> None:
        self.bound = seconds(SWEEP_AFTER_VARIABLE)

    def get_dependency(self, worker_ctx) -> timedelta:
        return self.bound


class ProviderWebhookSecrets(DependencyProvider):
    """The Twilio auth token and the SendGrid Event Webhook key, from the environment, and the replay window of
    signed SendGrid batches (NOTIFY_WEBHOOK_REPLAY_WINDOW_SECONDS): what the gateway verifies with too."""

    def setup(self) -> None:
        self.secrets = webhook_secrets_from_env()

    def get_dependency(self, worker_ctx) -> WebhookSecrets:
        return self.secrets


# `make run` serves everything on loopback: unless JOIN_BASE_URL says otherwise, a Join link points at the
# gateway's own address (WEB_SERVER_ADDRESS, from GATEWAY_ADDRESS).
DEFAULT_GATEWAY_ADDRESS = "127.0.0.1:8000"


class ConversationReplies(DependencyProvider):
    """How replies come back, from the environment: CONVERSATION_REPLY_SECRET signs each Reply-To address,
    INBOUND_EMAIL_URL_SECRET is the secret path segment of the Inbound Parse URL, and Reply-To addresses are
    <token>@INBOUND_EMAIL_DOMAIN, the domain whose mail Inbound Parse posts to us. Either secret unset: no
    email replies (emails go without a Reply-To, and every inbound post is refused)."""

    def setup(self) -> None:
        token_secret = value("CONVERSATION_REPLY_SECRET") or ""
        self.settings = ReplySettings(
            token_secret=token_secret.encode() or None,
            email_domain=value("INBOUND_EMAIL_DOMAIN"),
            url_secret=value("INBOUND_EMAIL_URL_SECRET"))

    def get_dependency(self, worker_ctx) -> ReplySettings:
        return self.settings


class JoinLinks(DependencyProvider):
    """The public base URL of the web app's Join page (JOIN_BASE_URL), for the links invitations carry."""

    def setup(self) -> None:
        address = self.container.config.get("WEB_SERVER_ADDRESS") or DEFAULT_GATEWAY_ADDRESS
        self.base_url = value("JOIN_BASE_URL") or f"http://{address}"

    def get_dependency(self, worker_ctx) -> str:
        return self.base_url


class EmailSuppressionLists(DependencyProvider):
    """SendGrid's suppression lists for Reset Status, or None when no email provider is configured."""

    def setup(self) -> None:
        from services.notify.adapters.providers.sendgrid_suppressions import SendGridSuppressions

        settings = providers_from_env()
        self.suppressions = SendGridSuppressions(settings) if settings.sendgrid else None

    def get_dependency(self, worker_ctx):
        return self.suppressions


class PushAvailability(DependencyProvider):
    """Whether push (FCM) is configured: without it no device may be registered (handlers_inbox.register_device)."""

    def setup(self) -> None:
        self.configured = providers_from_env().fcm is not None

    def get_dependency(self, worker_ctx) -> bool:
        return self.configured
