"""The identity nameko service: thin entrypoints over handlers.py."""
from __future__ import annotations

from datetime import datetime, timezone

from shared.callers import CallerVerification
from shared.contracts import directory, identity, notify
from shared.contracts import callers as caller_contract
from shared.db import Database
from shared.health import HealthCheck
from shared.messaging import ServiceRpc, handles, rpc_endpoint
from shared.outbox import Outbox, ProcessedEvents
from shared.outbox_relay import OutboxRelay
from shared.platform_identity import PlatformIdentity
from shared.request_tracing import RequestTracing

from . import handlers, handlers_callers, handlers_credentials, handlers_joining, handlers_sessions, handlers_settings
from .adapters.passwords import PasswordHashing
from .adapters.repository import AccountRepository
from .adapters.service_credentials import ServiceCredentialRepository
from .adapters.signing_keys import CredentialSigning, identity_platform_token, identity_public_keys
from .adapters.tokens import TokenSigning


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class IdentityService:
    name = identity.NAME

    accounts = Database(identity.NAME, AccountRepository)
    passwords = PasswordHashing()
    tokens = TokenSigning()
    # Its events go to its outbox with the change they describe; the relay publishes them (shared/outbox.py).
    publish = Outbox(identity.contract, database="accounts")
    relay = OutboxRelay(database="accounts")
    processed_events = ProcessedEvents(database="accounts")  # each event it handles, once
    # Sends the codes that prove control of a credential, and resets a bad one its owner proved.
    notify_rpc = ServiceRpc(notify.contract)
    # Who is calling (shared/callers.py), and the credentials identity issues to callers.
    callers = CallerVerification(local_keys=identity_public_keys)
    service_credentials = Database(identity.NAME, ServiceCredentialRepository)
    signer = CredentialSigning()
    # identity's own token on its calls (to notify), signed here.
    platform = PlatformIdentity(sign_locally=identity_platform_token)
    tracing = RequestTracing()  # the request id of whatever caused this work, on its log lines
    health = HealthCheck()  # its database answers: shared/health.py

    @rpc_endpoint(identity.check_health)
    def check_health(self, request: dict) -> dict:
        return self.health()

    @rpc_endpoint(caller_contract.issue_assertion)
    def issue_assertion(self, request):
        return handlers_callers.issue_assertion(request, repo=self.accounts, tokens=self.tokens, signer=self.signer,
                                                clock=utc_now)

    @rpc_endpoint(caller_contract.issue_service_token)
    def issue_service_token(self, request):
        return handlers_callers.issue_service_token(request, credentials=self.service_credentials,
                                                    signer=self.signer, clock=utc_now)

    @rpc_endpoint(caller_contract.get_signing_keys)
    def get_signing_keys(self, request):
        return handlers_callers.get_signing_keys(signer=self.signer)

    @rpc_endpoint(identity.upsert_accounts)
    def upsert_accounts(self, request):
        return handlers.upsert_accounts(request, repo=self.accounts, publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.login)
    def login(self, request):
        return handlers.login(request, repo=self.accounts, passwords=self.passwords, tokens=self.tokens,
                              publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.authenticate)
    def authenticate(self, request):
        return handlers.authenticate(request, repo=self.accounts, tokens=self.tokens, clock=utc_now)

    @rpc_endpoint(identity.get_accounts)
    def get_accounts(self, request):
        return handlers.get_accounts(request, repo=self.accounts)

    @rpc_endpoint(identity.set_password)
    def set_password(self, request):
        return handlers.set_password(request, repo=self.accounts, passwords=self.passwords, clock=utc_now)

    @rpc_endpoint(identity.set_staff_permissions)
    def set_staff_permissions(self, request):
        return handlers.set_staff_permissions(request, repo=self.accounts, publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.match_credentials)
    def match_credentials(self, request):
        return handlers.match_credentials(request, repo=self.accounts)

    @rpc_endpoint(identity.grant_roles)
    def grant_roles(self, request):
        return handlers.grant_roles(request, repo=self.accounts, publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.update_contact_details)
    def update_contact_details(self, request):
        return handlers.update_contact_details(request, repo=self.accounts, publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.refresh_session)
    def refresh_session(self, request):
        return handlers_sessions.refresh_session(request, repo=self.accounts, tokens=self.tokens, clock=utc_now)

    @rpc_endpoint(identity.sign_out)
    def sign_out(self, request):
        return handlers_sessions.sign_out(request, repo=self.accounts, tokens=self.tokens, clock=utc_now)

    @rpc_endpoint(identity.sign_out_everywhere)
    def sign_out_everywhere(self, request):
        return handlers_sessions.sign_out_everywhere(request, repo=self.accounts, tokens=self.tokens, clock=utc_now)

    @rpc_endpoint(identity.change_password)
    def change_password(self, request):
        return handlers_sessions.change_password(request, repo=self.accounts, passwords=self.passwords,
                                                 tokens=self.tokens, clock=utc_now)
    @rpc_endpoint(identity.issue_join_tokens)
    def issue_join_tokens(self, request):
        return handlers_joining.issue_join_tokens(request, repo=self.accounts, tokens=self.tokens,
                                                  publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.join)
    def join(self, request):
        return handlers_joining.join(request, repo=self.accounts, passwords=self.passwords, tokens=self.tokens,
                                     publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.check_join_invitation)
    def check_join_invitation(self, request):
        return handlers_joining.check_join_invitation(request, repo=self.accounts, tokens=self.tokens, clock=utc_now)

    @rpc_endpoint(identity.get_district_languages)
    def get_district_languages(self, request):
        return handlers_settings.get_district_languages(request, repo=self.accounts)

    @rpc_endpoint(identity.republish_district)
    def republish_district(self, request):
        return handlers_settings.republish_district(request, repo=self.accounts, publish=self.publish)

    @rpc_endpoint(identity.set_district_languages)
    def set_district_languages(self, request):
        return handlers_settings.set_district_languages(request, repo=self.accounts, publish=self.publish,
                                                        clock=utc_now)

    @rpc_endpoint(identity.set_language)
    def set_language(self, request):
        return handlers_settings.set_language(request, repo=self.accounts, publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.send_credential_code)
    def send_credential_code(self, request):
        return handlers_credentials.send_credential_code(request, repo=self.accounts, tokens=self.tokens,
                                                         notify=self.notify_rpc, clock=utc_now)

    @rpc_endpoint(identity.confirm_credential)
    def confirm_credential(self, request):
        return handlers_credentials.confirm_credential(request, repo=self.accounts, tokens=self.tokens,
                                                       notify=self.notify_rpc, publish=self.publish, clock=utc_now)

    @rpc_endpoint(identity.remove_credential)
    def remove_credential(self, request):
        return handlers_credentials.remove_credential(request, repo=self.accounts, publish=self.publish,
                                                      clock=utc_now)

    # Requeued on failure (database down, a deadlock): a lost enablement would keep a student out
    # until someone enabled them again, and recording one twice changes nothing.
    @handles(directory.STUDENT_ACCOUNTS_ENABLED, requeue_on_error=True)
    def on_student_accounts_enabled(self, payload):
        return handlers.record_student_enablements(payload, repo=self.accounts, clock=utc_now)

    # Requeued on failure like enablements: a lost archival would let an archived person keep signing in,
    # and a lost unarchival keep them out; applying a page twice changes nothing.
    @handles(directory.PEOPLE_UPSERTED, requeue_on_error=True)
    def on_people_upserted(self, payload):
        return handlers.record_archivals(payload, repo=self.accounts, clock=utc_now)
