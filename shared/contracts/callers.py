"""Who is calling over RPC: the signed credentials identity issues, and what each one may call.

Credentials travel in the nameko context, never in the payload. Two keys:

- `CREDENTIAL_CONTEXT_KEY`: who the call is *for*:
  - a person, through the gateway: an *assertion* identity signed for the principal of the signed-in user
    (`issue_assertion` exchanges the user's access token for it);
  - a service of another team, or an operator's tool: a *service token* identity signed for a service
    credential (`issue_service_token` exchanges the client id and secret for it), limited to its scopes.
- `PLATFORM_SERVICE_CONTEXT_KEY`: which of the platform's own processes makes the call (gateway, directory,
  notify, rostering, identity): a service token of its *platform credential* (client id `platform:<name>`,
  secret `<NAME>_PLATFORM_SECRET`, derived by identity from its own secret), limited to `PLATFORM_METHODS`.
  Each service sets it on every call it makes, so it always names the immediate caller.

The rule (shared.callers.refusal, run by every RPC method through shared/messaging.py's `rpc_endpoint`):
- `PUBLIC_METHODS` need nothing (signing in, getting credentials, and the calls whose payload carries the
  secret that authorises them: a refresh token, an access token, a join token);
- a payload naming a principal (`viewer`, `sender`) must name exactly the principal the credential asserts,
  and every field of `ACTING_PERSON_FIELDS` (`changed_by`, `decided_by`, ...) the credential's person id;
- then the call must be allowed: a person may call a method that names them (the callee judges what they may
  do) and the harmless `PERSON_READABLE_METHODS`; a service token the methods of its scopes; a platform
  service the methods of its `PLATFORM_METHODS`. Anything else is refused, anonymous calls included.
"""
from __future__ import annotations

from types import MappingProxyType

from marshmallow import Schema, fields, validate

from shared.contracts import directory, identity, notify, rostering
from shared.contracts.base import RpcMethod
from shared.contracts.common import Empty

# The nameko context key (sent as the AMQP header `nameko.platform_credential`) that carries the credential.
CREDENTIAL_CONTEXT_KEY = "platform_credential"
# The nameko context key that carries the calling platform service's own token (`nameko.platform_service`).
PLATFORM_SERVICE_CONTEXT_KEY = "platform_service"
SIGNING_ALGORITHM = "EdDSA"

ANNOUNCEMENTS_SEND = "announcements:send"
DIRECTORY_READ = "directory:read"
ACCOUNTS_MANAGE = "accounts:manage"
ROSTERING_MANAGE = "rostering:manage"
SUPPORT_READ = "support:read"
DELIVERIES_MANAGE = "deliveries:manage"
SCOPES = (ANNOUNCEMENTS_SEND, DIRECTORY_READ, ACCOUNTS_MANAGE, ROSTERING_MANAGE, SUPPORT_READ, DELIVERIES_MANAGE)
# What the operator's own credential holds (schoolctl's accounts, roster and dead-letters commands act with it,
# and support reads what notify and identity know of a person with it).
OPERATOR_SCOPES = (ACCOUNTS_MANAGE, ROSTERING_MANAGE, SUPPORT_READ, DELIVERIES_MANAGE)
# The person id of a service credential's principal: `service:<client id>`, never a person's id.
SERVICE_PRINCIPAL_PREFIX = "service:"
# A platform service's client id: `platform:<service name>` (no credential an operator adds can take that form).
PLATFORM_CLIENT_PREFIX = "platform:"
# The environment variable that holds a platform service's secret: `<NAME>_PLATFORM_SECRET`.
PLATFORM_SECRET_VARIABLE = "{name}_PLATFORM_SECRET"
GATEWAY = "gateway"
PLATFORM_SERVICES = (GATEWAY, directory.NAME, identity.NAME, notify.NAME, rostering.NAME)


def platform_scope(service: str) -> str:
    """The one scope a platform service's token holds: `platform:<service name>`."""
    return f"{PLATFORM_CLIENT_PREFIX}{service}"


def platform_secret_variable(service: str) -> str:
    return PLATFORM_SECRET_VARIABLE.format(name=service.upper())


class IssueAssertionRequest(Schema):
    token = fields.String(required=True, metadata={"description": "the signed-in user's access token"})


class Assertion(Schema):
    principal = fields.Nested(identity.Principal, required=True, metadata={
        "description": "the signed-in user the assertion speaks for, as identity knows them now"})
    assertion = fields.String(required=True, metadata={
        "description": f"a signed statement of `principal`, to send in the nameko context as "
                       f"`{CREDENTIAL_CONTEXT_KEY}` with every call made for this user"})
    expires_at = fields.DateTime(required=True, metadata={
        "description": "when the assertion stops being accepted (minutes away), ISO 8601 with zone"})


class IssueServiceTokenRequest(Schema):
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "the service credential's id, from `schoolctl services add`"})
    client_secret = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "the secret shown once when the credential was added; identity keeps only its digest"})


class ServiceToken(Schema):
    token = fields.String(required=True, metadata={
        "description": f"send it in the nameko context as `{CREDENTIAL_CONTEXT_KEY}`; short-lived: ask again "
                       "before `expires_at`"})
    expires_at = fields.DateTime(required=True, metadata={
        "description": "when the token stops being accepted, ISO 8601 with zone"})
    scopes = fields.List(fields.String(validate=validate.OneOf(
        SCOPES + tuple(map(platform_scope, PLATFORM_SERVICES)))), required=True, metadata={
        "description": "what the token may call (SCOPE_METHODS lists the methods of each scope)"})
    principal = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who the service is to the platform: send it wherever a payload names the caller "
                       "(`sender`, `viewer`), and its person_id (`service:<client id>`) wherever a payload names "
                       "who acts by id (`changed_by`, `decided_by`)"})


class SigningKey(Schema):
    kid = fields.String(required=True, metadata={"description": "the key id every credential names in its header"})
    algorithm = fields.String(required=True, validate=validate.OneOf((SIGNING_ALGORITHM,)), metadata={
        "description": "the JWS algorithm the key signs with (EdDSA: Ed25519)"})
    public_key = fields.String(required=True, metadata={"description": "PEM (SubjectPublicKeyInfo)"})


class SigningKeys(Schema):
    keys = fields.List(fields.Nested(SigningKey), required=True, metadata={
        "description": "every key a current credential may be signed with; callees cache them"})


issue_assertion = identity.contract.rpc(
    "issue_assertion", request=IssueAssertionRequest, response=Assertion,
    description="Exchange a signed-in user's access token for a short-lived signed assertion of their principal.")
issue_service_token = identity.contract.rpc(
    "issue_service_token", request=IssueServiceTokenRequest, response=ServiceToken,
    description="Exchange a service credential's id and secret for a short-lived token limited to its scopes.")
get_signing_keys = identity.contract.rpc(
    "get_signing_keys", request=Empty, response=SigningKeys,
    description="The public keys that assertions and service tokens are signed with, to verify them.")


def method_name(method: RpcMethod) -> str:
    return f"{method.service}.{method.name}"


# Each service's health check: the gateway's `/health/ready` asks them all, and so may an operator.
HEALTH_CHECKS = (directory.check_health, identity.check_health, notify.check_health, rostering.check_health)

# Answered without any credential: signing in and getting one, and the calls whose payload carries the secret
# that authorises them (a refresh token, an access token, a join token or code).
PUBLIC_METHODS = frozenset(map(method_name, (
    identity.login, identity.authenticate, issue_assertion, issue_service_token, get_signing_keys,
    identity.refresh_session, identity.sign_out, identity.sign_out_everywhere, identity.change_password,
    identity.join, identity.check_join_invitation)))

# Methods that name nobody, answer nothing personal, and that a person's assertion alone may call.
PERSON_READABLE_METHODS = frozenset(map(method_name, (
    directory.get_schools, directory.get_district, identity.get_district_languages)))

# What each scope lets a service token call, including what those methods call on its behalf (nameko passes
# the credential on): notify resolves an announcement's audience through directory as the sender.
SCOPE_METHODS = MappingProxyType({
    ANNOUNCEMENTS_SEND: frozenset(map(method_name, (notify.send_announcement, notify.preview_announcement,
                                                    directory.resolve_audience))),
    DIRECTORY_READ: frozenset(map(method_name, (
        directory.get_schools, directory.search_people, directory.get_person_profile,
        directory.get_student_profile))),
    ACCOUNTS_MANAGE: frozenset(map(method_name, (identity.set_password,))),
    # The operator's `schoolctl roster`: imports, runs, decisions and settings, as the credential's principal;
    # and `schoolctl republish district`: the roster's owners publish a district's state again.
    ROSTERING_MANAGE: frozenset(map(method_name, (
        rostering.import_package, rostering.preview_import, rostering.get_sync_run, rostering.follow_sync_run,
        rostering.list_sync_runs, rostering.get_sync_run_changes, rostering.approve_sync_run,
        rostering.reject_sync_run,
        rostering.get_district_sync_settings, rostering.update_district_sync_settings, rostering.sync_district,
        rostering.plan_district_sync, rostering.connect_district, directory.republish_district,
        identity.republish_district))),
    # Support answering "why did this person get nothing?": what notify and identity hold of people.
    SUPPORT_READ: frozenset(map(method_name, (
        notify.get_recipients, notify.get_preferences, notify.get_credential_health, identity.get_accounts,
        *HEALTH_CHECKS))),
    # The operator's `schoolctl dead-letters`: the delivery jobs given up on, read, replayed or purged.
    DELIVERIES_MANAGE: frozenset(map(method_name, (
        notify.list_dead_letters, notify.replay_dead_letters, notify.purge_dead_letters))),
})

# What each platform service calls that names nobody (a call naming a person is admitted by that person's
# credential, which nameko passes on). The gateway calls on behalf of the signed-in user after its own checks.
PLATFORM_METHODS = MappingProxyType({service: frozenset(map(method_name, methods)) for service, methods in (
    (GATEWAY, (
        directory.get_schools, identity.get_accounts, identity.get_district_languages,
        notify.get_credential_health, notify.get_district_settings, notify.get_preferences,
        notify.receive_provider_webhook, notify.receive_email_reply,
        rostering.get_sync_run, rostering.follow_sync_run, rostering.get_sync_run_changes,
        rostering.list_sync_runs, rostering.get_district_sync_settings, *HEALTH_CHECKS)),
    # Manual directory actions create accounts and find who already holds a typed credential.
    (directory.NAME, (identity.upsert_accounts, identity.get_accounts, identity.match_credentials)),
    # Codes that prove control of a credential go out through notify's queue; a person sees their credentials' health.
    (identity.NAME, (notify.send_verification_code, notify.get_credential_health)),
    # Invitation jobs outlive the inviter's assertion: notify asks for tokens (and the district's name) itself,
    # having checked the inviter when the job was started.
    (notify.NAME, (identity.issue_join_tokens, directory.get_district)),
    # A run applies what it read.
    (rostering.NAME, (
        directory.upsert_district, directory.upsert_schools, directory.upsert_classrooms, directory.upsert_people,
        directory.upsert_enrollments, directory.upsert_guardian_links, directory.archive_synced_records,
        directory.get_district_counts, directory.set_district_sync, directory.get_district, directory.get_schools,
        directory.enable_synced_student_accounts, identity.upsert_accounts)),
)})
SCOPE_METHODS = MappingProxyType({**SCOPE_METHODS, **{
    platform_scope(service): methods for service, methods in PLATFORM_METHODS.items()}})

# Methods that name no principal yet act on accounts or the platform: only a service token holding the scope may
# call them (an operator's `schoolctl accounts set-password` or `dead-letters`), never a person's assertion nor
# an anonymous caller.
SERVICE_ONLY_METHODS = frozenset(map(method_name, (
    identity.set_password, notify.list_dead_letters, notify.replay_dead_letters, notify.purge_dead_letters,
    directory.republish_district, identity.republish_district)))

# The bare person-id fields that name who acts (recorded as the decider, judged on their authority): each must be
# the person id of the caller's credential (a service token's is `service:<client id>`), and a call that fills
# one in without a credential is refused. A None (where the field allows it) names nobody and is not checked.
ACTING_PERSON_FIELDS = MappingProxyType({method_name(method): field for method, field in (
    (identity.set_staff_permissions, "changed_by"),
    (identity.grant_roles, "changed_by"),
    (identity.update_contact_details, "changed_by"),
    (identity.set_district_languages, "changed_by"),
    (notify.set_preference, "changed_by"),
    (notify.set_district_default, "changed_by"),
    (notify.reset_credential_status, "reset_by"),
    (rostering.approve_sync_run, "decided_by"),
    (rostering.reject_sync_run, "decided_by"),
    (rostering.update_district_sync_settings, "changed_by"),
    (rostering.connect_district, "changed_by"),
    (rostering.import_package, "requested_by"),
    (rostering.preview_import, "requested_by"),
    (rostering.sync_district, "requested_by"),
)})

