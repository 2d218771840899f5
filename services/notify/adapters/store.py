"""Everything notify keeps in its database, for one worker: one session, a repository per concept.

One Database dependency (one engine, one pool) serves them all; each
repository commits its own unit of work on the shared session.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.notify.adapters.communications_repository import CommunicationsRepository
from services.notify.adapters.conversations_repository import ConversationsRepository
from services.notify.adapters.credentials_repository import CredentialsRepository
from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.devices_repository import DevicesRepository
from services.notify.adapters.history_repository import HistoryRepository
from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.adapters.invitations_repository import InvitationsRepository
from services.notify.adapters.moderation_repository import ModerationRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.adapters.preview_repository import PreviewRepository
from services.notify.adapters.reports_repository import ReportsRepository
from services.notify.adapters.sweep_repository import SweepRepository
from services.notify.adapters.repository import RecipientRepository
from services.notify.adapters.translations_repository import TranslationsRepository
from services.notify.adapters.webhooks_repository import WebhooksRepository


class NotifyStore:
    def __init__(self, session: Session):
        self.recipients = RecipientRepository(session)
        self.preferences = PreferencesRepository(session)
        self.communications = CommunicationsRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.reports = ReportsRepository(session)
        self.credentials = CredentialsRepository(session)
        self.webhooks = WebhooksRepository(session)
        self.invitations = InvitationsRepository(session)
        self.translations = TranslationsRepository(session)
        self.preview = PreviewRepository(session)
        self.conversations = ConversationsRepository(session)
        self.inbox = InboxRepository(session)
        self.devices = DevicesRepository(session)
        self.history = HistoryRepository(session)
        self.moderation = ModerationRepository(session)
        self.sweep = SweepRepository(session)
