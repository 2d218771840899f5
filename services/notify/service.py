"""The notify nameko service: thin entrypoints over notify.handlers.

The recipient projection is built only from identity's and directory's events.
A page that fails to apply (database down, a deadlock) goes back on the queue
rather than being lost: the projection would otherwise stay wrong until that
person changed again, and applying a page twice is harmless.
"""
from __future__ import annotations

from datetime import datetime, timezone

from services.notify import handlers
from services.notify.adapters.repository import RecipientRepository
from shared.contracts import directory, identity, notify
from shared.db import Database
from shared.messaging import handles, rpc_endpoint


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class NotifyService:
    name = notify.NAME
    recipients = Database(notify.NAME, RecipientRepository)

    @handles(identity.ACCOUNTS_UPSERTED, requeue_on_error=True)
    def on_accounts_upserted(self, payload: dict) -> int:
        return handlers.project_accounts_upserted(payload, recipients=self.recipients, clock=utc_now)

    @handles(identity.USER_JOINED, requeue_on_error=True)
    def on_user_joined(self, payload: dict) -> int:
        return handlers.project_user_joined(payload, recipients=self.recipients, clock=utc_now)

    @handles(directory.PEOPLE_UPSERTED, requeue_on_error=True)
    def on_people_upserted(self, payload: dict) -> int:
        return handlers.project_people_upserted(payload, recipients=self.recipients, clock=utc_now)

    @handles(directory.STUDENT_ACCOUNTS_ENABLED, requeue_on_error=True)
    def on_student_accounts_enabled(self, payload: dict) -> int:
        return handlers.project_student_accounts_enabled(payload, recipients=self.recipients, clock=utc_now)

    @rpc_endpoint(notify.get_recipients)
    def get_recipients(self, request: dict) -> dict:
        return handlers.get_recipients(request, recipients=self.recipients)
