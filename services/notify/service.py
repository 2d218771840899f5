"""The notify nameko service: thin entrypoints over notify's handlers.

The recipient projection is built only from identity's and directory's events.
Every event handler requeues its message on failure rather than losing it:
applying a page twice, or planning an announcement twice, is harmless.
A timer picks up work whose event or first attempt was lost: announcements
stuck in planning, webhook receipts stored but not applied.
"""
from __future__ import annotations

from datetime import datetime, timezone

from nameko.timer import timer

from services.notify import (
    handlers,
    handlers_announcements,
    handlers_credentials,
    handlers_preferences,
    handlers_reports,
    handlers_webhooks,
)
from services.notify.adapters.service_dependencies import DeliveryQueue, ProviderWebhookSecrets
from services.notify.adapters.store import NotifyStore
from shared.callers import CallerVerification
from shared.contracts import directory, identity, notify
from shared.db import Database
from shared.messaging import EventPublisher, ServiceRpc, handles, rpc_endpoint

RECOVERY_INTERVAL_SECONDS = 60


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class NotifyService:
    name = notify.NAME
    callers = CallerVerification()  # who may call what: shared/callers.py
    store = Database(notify.NAME, NotifyStore)
    publish = EventPublisher(notify.contract)
    directory_rpc = ServiceRpc(directory.contract)
    delivery_jobs = DeliveryQueue()
    webhook_secrets = ProviderWebhookSecrets()

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

    @handles(notify.ANNOUNCEMENT_REQUESTED, requeue_on_error=True)
    def on_announcement_requested(self, payload: dict) -> int:
        return handlers_announcements.plan_announcement(
            payload, communications=self.store.communications, district_defaults=self.store.preferences,
            queue_marks=self.store.deliveries, jobs=self.delivery_jobs, clock=utc_now)

    # --- reports ---

    @rpc_endpoint(notify.get_delivery_report)
    def get_delivery_report(self, request: dict) -> dict:
        return handlers_reports.get_delivery_report(
            request, communications=self.store.communications, counts=self.store.deliveries,
            reports=self.store.reports)

    @rpc_endpoint(notify.list_unreachable_contacts)
    def list_unreachable_contacts(self, request: dict) -> dict:
        return handlers_reports.list_unreachable_contacts(
            request, reports=self.store.reports, district_defaults=self.store.preferences)

    # --- credential health ---

    @rpc_endpoint(notify.get_credential_health)
    def get_credential_health(self, request: dict) -> dict:
        return handlers_credentials.get_credential_health(request, credentials=self.store.credentials)

    @rpc_endpoint(notify.reset_credential_status)
    def reset_credential_status(self, request: dict) -> dict:
        return handlers_credentials.reset_credential_status(
            request, credentials=self.store.credentials, publish=self.publish, clock=utc_now)

    # --- provider webhooks ---

    @rpc_endpoint(notify.receive_provider_webhook)
    def receive_provider_webhook(self, request: dict) -> dict:
        return handlers_webhooks.receive_provider_webhook(request, secrets=self.webhook_secrets,
                                                          ports=self._webhook_ports())

    # --- recovery ---

    @timer(interval=RECOVERY_INTERVAL_SECONDS)
    def resume_unfinished_work(self) -> None:
        handlers_announcements.stalled_announcements(communications=self.store.communications,
                                                     publish=self.publish, clock=utc_now)
        handlers_webhooks.apply_unapplied_webhooks(ports=self._webhook_ports())

    def _webhook_ports(self) -> handlers_webhooks.WebhookPorts:
        return handlers_webhooks.WebhookPorts(
            webhooks=self.store.webhooks, deliveries=self.store.deliveries, credentials=self.store.credentials,
            jobs=self.delivery_jobs, publish=self.publish, clock=utc_now)
