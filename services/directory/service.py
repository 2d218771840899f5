"""The directory as a nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from shared.contracts import directory, identity
from shared.db import Database
from shared.messaging import EventPublisher, handles, rpc_endpoint

from services.directory import handlers
from services.directory.adapters.repository import DirectoryRepository


class DirectoryService:
    name = directory.NAME
    people = Database(directory.NAME, DirectoryRepository)
    publish = EventPublisher(directory.contract)

    @rpc_endpoint(directory.upsert_district)
    def upsert_district(self, request):
        return handlers.upsert_district(request, repo=self.people)

    @rpc_endpoint(directory.upsert_schools)
    def upsert_schools(self, request):
        return handlers.upsert_schools(request, repo=self.people)

    @rpc_endpoint(directory.upsert_classrooms)
    def upsert_classrooms(self, request):
        return handlers.upsert_classrooms(request, repo=self.people)

    @rpc_endpoint(directory.upsert_people)
    def upsert_people(self, request):
        return handlers.upsert_people(request, repo=self.people, publish=self.publish)

    @rpc_endpoint(directory.upsert_enrollments)
    def upsert_enrollments(self, request):
        return handlers.upsert_enrollments(request, repo=self.people)

    @rpc_endpoint(directory.upsert_guardian_links)
    def upsert_guardian_links(self, request):
        return handlers.upsert_guardian_links(request, repo=self.people)

    @rpc_endpoint(directory.get_schools)
    def get_schools(self, request):
        return handlers.get_schools(request, repo=self.people)

    @rpc_endpoint(directory.search_people)
    def search_people(self, request):
        return handlers.search_people(request, repo=self.people)

    @rpc_endpoint(directory.get_student_profile)
    def get_student_profile(self, request):
        return handlers.get_student_profile(request, repo=self.people)

    @rpc_endpoint(directory.get_person_profile)
    def get_person_profile(self, request):
        return handlers.get_person_profile(request, repo=self.people)

    @rpc_endpoint(directory.enable_student_accounts)
    def enable_student_accounts(self, request):
        return handlers.enable_student_accounts(request, repo=self.people, publish=self.publish)

    @rpc_endpoint(directory.resolve_audience)
    def resolve_audience(self, request):
        return handlers.resolve_audience(request, repo=self.people)

    @handles(identity.USER_JOINED, requeue_on_error=True)
    def on_user_joined(self, payload):
        handlers.record_user_joined(payload, repo=self.people)
