"""The directory as a nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from datetime import datetime, timezone

from shared.callers import CallerVerification
from shared.contracts import directory, identity, notify, rostering
from shared.db import Database
from shared.health import HealthCheck
from shared.messaging import ServiceRpc, handles, rpc_endpoint
from shared.outbox import Outbox, ProcessedEvents
from shared.outbox_relay import OutboxRelay
from shared.platform_identity import PlatformIdentity
from shared.request_tracing import RequestTracing

from services.directory import (
    handlers,
    handlers_archiving,
    handlers_audit,
    handlers_guardians,
    handlers_manual,
    handlers_sync_archiving,
    handlers_teachers,
)
from services.directory.adapters.kept_facts import ViewerFactsKept
from services.directory.adapters.store import DirectoryStore
from services.directory.adapters.tables import READ_INDEX_ONLY


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class DirectoryService:
    name = directory.NAME
    callers = CallerVerification()  # who may call what: shared/callers.py
    platform = PlatformIdentity()  # this service's own token on every call it makes: shared/platform_identity.py
    tracing = RequestTracing()  # the request id of whatever caused this work, on its log lines
    health = HealthCheck()  # its database answers: shared/health.py
    store = Database(directory.NAME, DirectoryStore, vacuumed=READ_INDEX_ONLY)
    kept_facts = ViewerFactsKept()  # each viewer's facts for a few seconds; every write drops them
    # Its events go to its outbox with the change they describe; the relay publishes them (shared/outbox.py).
    publish = Outbox(directory.contract, database="store")
    relay = OutboxRelay(database="store")
    processed_events = ProcessedEvents(database="store")  # each event it handles, once
    # Manual actions create accounts and grant roles: identity owns credentials and roles.
    identity_rpc = ServiceRpc(identity.contract)

    @rpc_endpoint(directory.check_health)
    def check_health(self, request: dict) -> dict:
        return self.health()

    @rpc_endpoint(directory.upsert_district)
    def upsert_district(self, request):
        return handlers.upsert_district(request, repo=self.store.people)

    @rpc_endpoint(directory.upsert_schools)
    def upsert_schools(self, request):
        return handlers.upsert_schools(request, repo=self.store.people)

    @rpc_endpoint(directory.upsert_classrooms)
    def upsert_classrooms(self, request):
        return handlers.upsert_classrooms(request, repo=self.store.people)

    @rpc_endpoint(directory.upsert_people)
    def upsert_people(self, request):
        return handlers.upsert_people(request, repo=self.store.people, publish=self.publish)

    @rpc_endpoint(directory.upsert_enrollments)
    def upsert_enrollments(self, request):
        return handlers.upsert_enrollments(request, repo=self.store.people)

    @rpc_endpoint(directory.upsert_guardian_links)
    def upsert_guardian_links(self, request):
        return handlers.upsert_guardian_links(request, repo=self.store.people)

    @rpc_endpoint(directory.get_schools, without_worker=True)
    def get_schools(self, request):
        return handlers.get_schools(request, repo=self.store.people)

    # A read in its contract: request and reply travel transient, the reply unconfirmed (shared/rpc_replies.py);
    # each read is answered without a nameko worker (shared/reads_without_worker.py).
    @rpc_endpoint(directory.search_people, without_worker=True)
    def search_people(self, request):
        return handlers.search_people(request, repo=self.store.people, kept_facts=self.kept_facts)

    @rpc_endpoint(directory.get_student_profile, without_worker=True)
    def get_student_profile(self, request):
        return handlers.get_student_profile(request, repo=self.store.people)

    @rpc_endpoint(directory.get_person_profile, without_worker=True)
    def get_person_profile(self, request):
        return handlers.get_person_profile(request, repo=self.store.people)

    @rpc_endpoint(directory.enable_student_accounts)
    def enable_student_accounts(self, request):
        return handlers.enable_student_accounts(request, repo=self.store.people, publish=self.publish)

    @rpc_endpoint(directory.enable_synced_student_accounts)
    def enable_synced_student_accounts(self, request):
        return handlers.enable_synced_student_accounts(request, repo=self.store.people, publish=self.publish)

    @rpc_endpoint(directory.resolve_audience)
    def resolve_audience(self, request):
        return handlers.resolve_audience(request, repo=self.store.people)

    @rpc_endpoint(directory.list_teachers_of)
    def list_teachers_of(self, request):
        return handlers_teachers.list_teachers_of(request, repo=self.store.people)

    @rpc_endpoint(directory.archive_people)
    def archive_people(self, request):
        return handlers_archiving.archive_people(request, store=self.store, publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.unarchive_people)
    def unarchive_people(self, request):
        return handlers_archiving.archive_people(request, store=self.store, publish=self.publish, clock=utc_now,
                                                 action=handlers_archiving.UNARCHIVE_PEOPLE)

    @rpc_endpoint(directory.archive_classrooms)
    def archive_classrooms(self, request):
        return handlers_archiving.archive_classrooms(request, store=self.store, publish=self.publish,
                                                     clock=utc_now)

    @rpc_endpoint(directory.unarchive_classrooms)
    def unarchive_classrooms(self, request):
        return handlers_archiving.archive_classrooms(request, store=self.store, publish=self.publish,
                                                     clock=utc_now, action=handlers_archiving.UNARCHIVE_CLASSROOMS)

    @rpc_endpoint(directory.get_job)
    def get_job(self, request):
        return handlers_archiving.get_job(request, store=self.store)

    @rpc_endpoint(directory.archive_synced_records)
    def archive_synced_records(self, request):
        return handlers_sync_archiving.archive_synced_records(request, store=self.store, publish=self.publish)

    @rpc_endpoint(directory.republish_district)
    def republish_district(self, request):
        return handlers_sync_archiving.republish_district(request, store=self.store, publish=self.publish)

    @rpc_endpoint(directory.get_district_counts)
    def get_district_counts(self, request):
        return handlers_sync_archiving.get_district_counts(request, store=self.store)

    @rpc_endpoint(directory.set_district_sync)
    def set_district_sync(self, request):
        return handlers_audit.set_district_sync(request, store=self.store, clock=utc_now)

    @rpc_endpoint(directory.get_audit_log)
    def get_audit_log(self, request):
        return handlers_audit.get_audit_log(request, store=self.store)

    @rpc_endpoint(directory.enroll_student)
    def enroll_student(self, request):
        return handlers_manual.enroll_student(request, store=self.store, identity_rpc=self.identity_rpc,
                                              publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.unenroll_person)
    def unenroll_person(self, request):
        return handlers_manual.unenroll_person(request, store=self.store, publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.add_staff)
    def add_staff(self, request):
        return handlers_manual.add_staff(request, store=self.store, identity_rpc=self.identity_rpc,
                                         publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.set_job_title)
    def set_job_title(self, request):
        return handlers_manual.set_job_title(request, store=self.store, publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.assign_staff_to_classroom)
    def assign_staff_to_classroom(self, request):
        return handlers_manual.assign_staff_to_classroom(request, store=self.store, publish=self.publish,
                                                         clock=utc_now)

    @rpc_endpoint(directory.add_guardian)
    def add_guardian(self, request):
        return handlers_guardians.add_guardian(request, store=self.store, identity_rpc=self.identity_rpc,
                                               publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.update_guardian)
    def update_guardian(self, request):
        return handlers_guardians.update_guardian(request, store=self.store, identity_rpc=self.identity_rpc,
                                                  publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.remove_guardian)
    def remove_guardian(self, request):
        return handlers_guardians.remove_guardian(request, store=self.store, publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.remove_guardians)
    def remove_guardians(self, request):
        return handlers_guardians.remove_guardians(request, store=self.store, publish=self.publish, clock=utc_now)

    # A job that stops part way is marked failed with where it stopped: repeating the action is safe.
    @handles(directory.BULK_ACTION_QUEUED)
    def on_bulk_action_queued(self, payload):
        return handlers_archiving.work_through_job(payload, store=self.store, publish=self.publish, clock=utc_now)

    @rpc_endpoint(directory.get_district)
    def get_district(self, request):
        return handlers.get_district(request, repo=self.store.people)

    @handles(identity.JOIN_TOKENS_ISSUED, requeue_on_error=True)
    def on_join_tokens_issued(self, payload):
        handlers.record_join_tokens_issued(payload, repo=self.store.people)

    @handles(identity.USER_JOINED, requeue_on_error=True)
    def on_user_joined(self, payload):
        handlers.record_user_joined(payload, repo=self.store.people)

    # Requeued like joins: a lost entry is a hole in the audit log; the change id makes a repeat a no-op.
    @handles(identity.STAFF_PERMISSIONS_CHANGED, requeue_on_error=True)
    def on_staff_permissions_changed(self, payload):
        handlers_audit.record_permission_change(payload, store=self.store)

    # Likewise: a moderation decision lost would be a hole in the audit log; its decision id dedupes.
    @handles(notify.CONTENT_MODERATED, requeue_on_error=True)
    def on_content_moderated(self, payload):
        handlers_audit.record_moderation_decision(payload, store=self.store)

    # Likewise: a change of a district's sync settings (made in rostering); its change id dedupes.
    @handles(rostering.DISTRICT_SYNC_SETTINGS_CHANGED, requeue_on_error=True)
    def on_sync_settings_changed(self, payload):
        handlers_audit.record_sync_settings_change(payload, store=self.store)
