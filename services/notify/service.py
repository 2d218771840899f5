"""The notify nameko service: thin entrypoints over notify's handlers.

The recipient projection is built only from identity's and directory's events.
Every event handler requeues its message on failure rather than losing it:
applying a page twice, or planning an announcement twice, is harmless.
A timer picks up work whose event or first attempt was lost: announcements
stuck in planning, webhook receipts stored but not applied, deliveries left
`queued` whose job is gone (handlers_sweeper). Provider webhooks, verified by the
gateway, come off its durable queue in batches (adapters/webhook_batches.py);
inbound texts among them are stored, then filed in batches right after.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from nameko.timer import timer

from services.notify import (
    handlers,
    handlers_announcements,
    handlers_conversation_preview,
    handlers_conversation_replies,
    handlers_conversations,
    handlers_credentials,
    handlers_dead_letters,
    handlers_history,
    handlers_inbox,
    handlers_invitations,
    handlers_moderation,
    handlers_preferences,
    handlers_preview,
    handlers_reports,
    handlers_sweeper,
    handlers_translations,
    handlers_verification,
    handlers_webhook_batches,
    handlers_webhooks,
)
from services.notify.adapters.service_dependencies import (
    ConversationReplies,
    DeadLetterQueueAccess,
    DeliveryQueue,
    EmailSuppressionLists,
    PushAvailability,
    JoinLinks,
    ProviderWebhookSecrets,
    SweepBound,
)
from services.notify.adapters.inbound_batches import InboundWakeup, files_inbound_batches
from services.notify.adapters.webhook_batches import applies_webhook_batches
from services.notify.adapters.store import NotifyStore
from services.notify.adapters.translation_dependency import TranslationProvider
from shared.callers import CallerVerification
from shared.contracts import directory, identity, notify
from shared.database_faults import database_answers
from shared.db import Database
from shared.health import HealthCheck
from shared.messaging import ServiceRpc, handles, rpc_endpoint
from shared.outbox import Outbox, ProcessedEvents
from shared.outbox_relay import OutboxRelay
from shared.platform_identity import PlatformIdentity
from shared.request_tracing import RequestTracing

RECOVERY_INTERVAL_SECONDS = 60


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class InvitationPorts:
    """handlers_invitations.Ports, for one worker."""

    directory_rpc: object
    identity_rpc: object
    invitations: object
    communications: object
    queue_marks: object
    jobs: object
    publish: object
    join_base_url: str
    clock: object


@dataclass(frozen=True)
class ConversationPorts:
    """handlers_conversations.Ports, for one worker."""

    directory_rpc: object
    conversations: object
    personal: object
    communications: object
    queue_marks: object
    jobs: object
    district_defaults: object
    replies: object
    translator: object
    translations: object
    clock: object


class NotifyService:
    name = notify.NAME
    callers = CallerVerification()  # who may call what: shared/callers.py
    platform = PlatformIdentity()  # this service's own token on every call it makes: shared/platform_identity.py
    tracing = RequestTracing()  # the request id of whatever caused this work, on its log lines
    health = HealthCheck()  # its database answers: shared/health.py
    store = Database(notify.NAME, NotifyStore)
    # Its events go to its outbox with the change they describe; the relay publishes them (shared/outbox.py).
    publish = Outbox(notify.contract, database="store")
    relay = OutboxRelay(database="store")
    processed_events = ProcessedEvents(database="store")  # each event it handles, once
    directory_rpc = ServiceRpc(directory.contract)
    delivery_jobs = DeliveryQueue()
    sweep_after = SweepBound()
    dead_letters = DeadLetterQueueAccess()
    webhook_secrets = ProviderWebhookSecrets()
    identity_rpc = ServiceRpc(identity.contract)
    join_links = JoinLinks()
    translator = TranslationProvider()
    replies = ConversationReplies()
    email_suppressions = EmailSuppressionLists()  # lifted by Reset Status, so its retry is not dropped
    push_available = PushAvailability()  # devices are registered only when FCM is configured
    inbound_wakeup = InboundWakeup()  # inbound texts are stored on the provider's request, filed in batches

    # --- the recipient projection ---

    @handles(identity.ACCOUNTS_UPSERTED, requeue_on_error=True)
    def on_accounts_upserted(self, payload: dict) -> int:
        return handlers.project_accounts_upserted(payload, recipients=self.store.recipients, clock=utc_now)

    @handles(identity.USER_JOINED, requeue_on_error=True)
    def on_user_joined(self, payload: dict) -> int:
        return handlers.project_user_joined(payload, recipients=self.store.recipients, clock=utc_now)

    @handles(directory.PEOPLE_UPSERTED, requeue_on_error=True)
    def on_people_upserted(self, payload: dict) -> int:
        return handlers.project_people_upserted(payload, recipients=self.store.recipients, clock=utc_now)

    @handles(directory.STUDENT_ACCOUNTS_ENABLED, requeue_on_error=True)
    def on_student_accounts_enabled(self, payload: dict) -> int:
        return handlers.project_student_accounts_enabled(payload, recipients=self.store.recipients, clock=utc_now)

    @handles(identity.DISTRICT_LANGUAGES_CHANGED, requeue_on_error=True)
    def on_district_languages_changed(self, payload: dict) -> int:
        return handlers.apply_district_languages(payload, recipients=self.store.recipients, clock=utc_now)

    @rpc_endpoint(notify.check_health)
    def check_health(self, request: dict) -> dict:
        return self.health()

    @rpc_endpoint(notify.get_recipients)
    def get_recipients(self, request: dict) -> dict:
        return handlers.get_recipients(request, recipients=self.store.recipients)

    # --- preferences ---

    @rpc_endpoint(notify.get_preferences)
    def get_preferences(self, request: dict) -> dict:
        return handlers_preferences.get_preferences(request, preferences=self.store.preferences)

    @rpc_endpoint(notify.set_preference)
    def set_preference(self, request: dict) -> dict:
        return handlers_preferences.set_preference(request, preferences=self.store.preferences, clock=utc_now)

    @rpc_endpoint(notify.get_district_settings)
    def get_district_settings(self, request: dict) -> dict:
        return handlers_preferences.get_district_settings(request, preferences=self.store.preferences)

    @rpc_endpoint(notify.set_district_default)
    def set_district_default(self, request: dict) -> dict:
        return handlers_preferences.set_district_default(request, preferences=self.store.preferences, clock=utc_now)

    # --- announcements ---

    @rpc_endpoint(notify.send_announcement)
    def send_announcement(self, request: dict) -> dict:
        return handlers_announcements.send_announcement(
            request, directory_rpc=self.directory_rpc, communications=self.store.communications,
            publish=self.publish, clock=utc_now)

    @rpc_endpoint(notify.preview_announcement)
    def preview_announcement(self, request: dict) -> dict:
        return handlers_preview.preview_announcement(
            request, directory_rpc=self.directory_rpc, audience=self.store.preview,
            district_defaults=self.store.preferences, translator=self.translator, cache=self.store.translations,
            clock=utc_now)

    @handles(notify.ANNOUNCEMENT_REQUESTED, requeue_on_error=True)
    def on_announcement_requested(self, payload: dict) -> int:
        # Each language once, before the deliveries exist: the workers read the translations when they send.
        handlers_translations.translate_communication(
            payload, translations=self.store.translations, translator=self.translator,
            cache=self.store.translations, clock=utc_now)
        return handlers_announcements.plan_announcement(
            payload, communications=self.store.communications, district_defaults=self.store.preferences,
            queue_marks=self.store.deliveries, jobs=self.delivery_jobs, clock=utc_now)

    # --- invitations and verification codes ---

    @rpc_endpoint(notify.send_invitation)
    def send_invitation(self, request: dict) -> dict:
        return handlers_invitations.send_invitation(request, ports=self._invitation_ports())

    @rpc_endpoint(notify.start_invitations)
    def start_invitations(self, request: dict) -> dict:
        return handlers_invitations.start_invitations(request, ports=self._invitation_ports())

    @handles(notify.INVITATIONS_REQUESTED, requeue_on_error=True)
    def on_invitations_requested(self, payload: dict) -> int:
        return handlers_invitations.work_through_invitations(payload, ports=self._invitation_ports())

    @rpc_endpoint(notify.get_invitation_job)
    def get_invitation_job(self, request: dict) -> dict:
        return handlers_invitations.get_invitation_job(request, ports=self._invitation_ports())

    @rpc_endpoint(notify.issue_printable_invitation)
    def issue_printable_invitation(self, request: dict) -> dict:
        return handlers_invitations.issue_printable_invitation(request, ports=self._invitation_ports())

    @rpc_endpoint(notify.send_verification_code)
    def send_verification_code(self, request: dict) -> dict:
        return handlers_verification.send_verification_code(
            request, invitations=self.store.invitations, communications=self.store.communications,
            queue_marks=self.store.deliveries, jobs=self.delivery_jobs, clock=utc_now)

    # --- conversations ---

    @rpc_endpoint(notify.start_conversation)
    def start_conversation(self, request: dict) -> dict:
        return handlers_conversations.start_conversation(request, ports=self._conversation_ports())

    @rpc_endpoint(notify.post_conversation_message)
    def post_conversation_message(self, request: dict) -> dict:
        return handlers_conversations.post_conversation_message(request, ports=self._conversation_ports())

    @rpc_endpoint(notify.get_conversation)
    def get_conversation(self, request: dict) -> dict:
        return handlers_conversations.get_conversation(request, ports=self._conversation_ports())

    @rpc_endpoint(notify.list_conversations)
    def list_conversations(self, request: dict) -> dict:
        return handlers_conversations.list_conversations(request, ports=self._conversation_ports())

    @rpc_endpoint(notify.preview_conversation)
    def preview_conversation(self, request: dict) -> dict:
        return handlers_conversation_preview.preview_conversation(request, ports=self._conversation_ports(),
                                                                  audience=self.store.preview)

    @rpc_endpoint(notify.preview_conversation_message)
    def preview_conversation_message(self, request: dict) -> dict:
        return handlers_conversation_preview.preview_conversation_message(
            request, ports=self._conversation_ports(), audience=self.store.preview)

    @rpc_endpoint(notify.receive_email_reply)
    def receive_email_reply(self, request: dict) -> dict:
        with database_answers(notify.NAME, "an Inbound Parse email reply"):  # 503: SendGrid posts it again
            return handlers_conversation_replies.receive_email_reply(request, ports=self._conversation_ports())

    # --- reports ---

    @rpc_endpoint(notify.get_delivery_report)
    def get_delivery_report(self, request: dict) -> dict:
        return handlers_reports.get_delivery_report(
            request, communications=self.store.communications, counts=self.store.deliveries,
            reports=self.store.reports, translations=self.store.translations, reads=self.store.inbox)

    @rpc_endpoint(notify.list_unreachable_contacts)
    def list_unreachable_contacts(self, request: dict) -> dict:
        return handlers_reports.list_unreachable_contacts(
            request, reports=self.store.reports, district_defaults=self.store.preferences)

    # --- content moderation ---

    @rpc_endpoint(notify.flag_message)
    def flag_message(self, request: dict) -> dict:
        return handlers_moderation.flag_message(request, store=self.store.moderation, publish=self.publish,
                                                clock=utc_now)

    @rpc_endpoint(notify.list_flagged_messages)
    def list_flagged_messages(self, request: dict) -> dict:
        return handlers_moderation.list_flagged_messages(request, store=self.store.moderation)

    @rpc_endpoint(notify.hide_message)
    def hide_message(self, request: dict) -> dict:
        return handlers_moderation.hide_message(request, store=self.store.moderation, publish=self.publish,
                                                clock=utc_now)

    @rpc_endpoint(notify.restore_message)
    def restore_message(self, request: dict) -> dict:
        return handlers_moderation.restore_message(request, store=self.store.moderation, publish=self.publish,
                                                   clock=utc_now)

    # --- each person's own inbox and push devices ---

    @rpc_endpoint(notify.get_inbox)
    def get_inbox(self, request: dict) -> dict:
        return handlers_inbox.get_inbox(request, inbox=self.store.inbox)

    @rpc_endpoint(notify.open_inbox_item)
    def open_inbox_item(self, request: dict) -> dict:
        return handlers_inbox.open_inbox_item(request, inbox=self.store.inbox, clock=utc_now)

    @rpc_endpoint(notify.mark_inbox_read)
    def mark_inbox_read(self, request: dict) -> dict:
        return handlers_inbox.mark_inbox_read(request, inbox=self.store.inbox, clock=utc_now)

    @rpc_endpoint(notify.register_device)
    def register_device(self, request: dict) -> dict:
        return handlers_inbox.register_device(request, devices=self.store.devices,
                                              push_configured=self.push_available, clock=utc_now)

    @rpc_endpoint(notify.list_devices)
    def list_devices(self, request: dict) -> dict:
        return handlers_inbox.list_devices(request, devices=self.store.devices)

    @rpc_endpoint(notify.remove_device)
    def remove_device(self, request: dict) -> dict:
        return handlers_inbox.remove_device(request, devices=self.store.devices)

    # --- a person's communication history, for their user profile ---

    @rpc_endpoint(notify.get_communication_history)
    def get_communication_history(self, request: dict) -> dict:
        return handlers_history.get_communication_history(request, history=self.store.history)

    # --- credential health ---

    @rpc_endpoint(notify.get_credential_health)
    def get_credential_health(self, request: dict) -> dict:
        return handlers_credentials.get_credential_health(request, credentials=self.store.credentials)

    @rpc_endpoint(notify.reset_credential_status)
    def reset_credential_status(self, request: dict) -> dict:
        return handlers_credentials.reset_credential_status(
            request, credentials=self.store.credentials, suppressions=self.email_suppressions, publish=self.publish,
            clock=utc_now)

    # --- provider webhooks ---

    @rpc_endpoint(notify.receive_provider_webhook)
    def receive_provider_webhook(self, request: dict) -> dict:
        # A database that cannot take it answers 503, and the provider posts it again: never a 500.
        with database_answers(notify.NAME, f"a {request['kind']} webhook"):
            return handlers_webhooks.receive_provider_webhook(request, secrets=self.webhook_secrets,
                                                              ports=self._webhook_ports())

    # --- the delivery queue's dead letters (the operator) ---

    @rpc_endpoint(notify.list_dead_letters)
    def list_dead_letters(self, request: dict) -> dict:
        return handlers_dead_letters.list_dead_letters(request, dead_letters=self.dead_letters)

    @rpc_endpoint(notify.replay_dead_letters)
    def replay_dead_letters(self, request: dict) -> dict:
        return handlers_dead_letters.replay_dead_letters(request, dead_letters=self.dead_letters)

    @rpc_endpoint(notify.purge_dead_letters)
    def purge_dead_letters(self, request: dict) -> dict:
        return handlers_dead_letters.purge_dead_letters(request, dead_letters=self.dead_letters)

    @applies_webhook_batches
    def apply_provider_webhooks(self, webhooks: list[dict]) -> int:
        # The gateway verified them; the queue's messages are acknowledged once this returns (committed).
        applied = handlers_webhook_batches.apply_webhook_batch(webhooks, ports=self._webhook_ports())
        self.publish.flush()  # the credential changes staged with the batch go out now, not at the relay's next look
        return applied

    @files_inbound_batches
    def file_inbound_texts(self) -> bool:
        return handlers_webhooks.apply_inbound_batch(ports=self._webhook_ports())

    # --- recovery ---

    @timer(interval=RECOVERY_INTERVAL_SECONDS)
    def resume_unfinished_work(self) -> None:
        handlers_announcements.stalled_announcements(communications=self.store.communications,
                                                     publish=self.publish, clock=utc_now)
        handlers_webhooks.apply_unapplied_webhooks(ports=self._webhook_ports())
        handlers_invitations.resume_stalled_invitations(ports=self._invitation_ports())
        handlers_sweeper.measure_queue_age(deliveries=self.store.sweep, clock=utc_now)
        handlers_sweeper.sweep_stuck_deliveries(deliveries=self.store.sweep, queue=self.delivery_jobs,
                                                clock=utc_now, sweep_after=self.sweep_after)

    def _invitation_ports(self) -> InvitationPorts:
        return InvitationPorts(
            directory_rpc=self.directory_rpc, identity_rpc=self.identity_rpc, invitations=self.store.invitations,
            communications=self.store.communications, queue_marks=self.store.deliveries, jobs=self.delivery_jobs,
            publish=self.publish, join_base_url=self.join_links, clock=utc_now)

    def _conversation_ports(self) -> ConversationPorts:
        return ConversationPorts(
            directory_rpc=self.directory_rpc, conversations=self.store.conversations, personal=self.store.invitations,
            communications=self.store.communications, queue_marks=self.store.deliveries, jobs=self.delivery_jobs,
            district_defaults=self.store.preferences, replies=self.replies, translator=self.translator,
            translations=self.store.translations, clock=utc_now)

    def _webhook_ports(self) -> handlers_webhooks.WebhookPorts:
        return handlers_webhooks.WebhookPorts(
            webhooks=self.store.webhooks, deliveries=self.store.deliveries, credentials=self.store.credentials,
            jobs=self.delivery_jobs, publish=self.publish, clock=utc_now,
            file_texts=self._file_texts, wake_inbound=self.inbound_wakeup)

    def _file_texts(self, texts) -> int:
        return handlers_conversation_replies.file_text_replies(texts, ports=self._conversation_ports())
