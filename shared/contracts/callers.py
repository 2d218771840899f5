"""Who is calling over RPC: the signed credentials identity issues, and what each one may call.

Two kinds of caller carry a credential in the nameko context (`CREDENTIAL_CONTEXT_KEY`), never in the payload:

- a person, through the gateway: an *assertion* identity signed for the principal of the signed-in user
  (`issue_assertion` exchanges the user's access token for it);
- a service of another team, or an operator's tool: a *service token* identity signed for a service
  credential (`issue_service_token` exchanges the client id and secret for it), limited to its scopes.

Every RPC method whose payload names a principal (`viewer`, `sender`) is refused unless the credential
asserts that very principal, and every field of `ACTING_PERSON_FIELDS` (`changed_by`, `decided_by`, ...)
unless it is the credential's person id; a service token may call only the methods its scopes name. The rule
runs in one place, shared.callers, for every service (shared/messaging.py's `rpc_endpoint`).
"""
from __future__ import annotations

from types import MappingProxyType

from marshmallow import Schema, fields, validate

from shared.contracts import directory, identity, notify, rostering
from shared.contracts.base import RpcMethod
from shared.contracts.common import Empty

# The nameko context key (sent as the AMQP header `nameko.platform_credential`) that carries the credential.
CREDENTIAL_CONTEXT_KEY = "platform_credential"
SIGNING_ALGORITHM = "EdDSA"

ANNOUNCEMENTS_SEND = "announcements:send"
DIRECTORY_READ = "directory:read"
ACCOUNTS_MANAGE = "accounts:manage"
ROSTERING_MANAGE = "rostering:manage"
SCOPES = (ANNOUNCEMENTS_SEND, DIRECTORY_READ, ACCOUNTS_MANAGE, ROSTERING_MANAGE)
# What the operator's own credential holds (schoolctl's accounts and roster commands act with it).
OPERATOR_SCOPES = (ACCOUNTS_MANAGE, ROSTERING_MANAGE)
# The person id of a service credential's principal: `service:<client id>`, never a person's id.
SERVICE_PRINCIPAL_PREFIX = "service:"


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
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True, metadata={
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


# Answered without any credential: signing in and getting one.
PUBLIC_METHODS = frozenset(map(method_name, (
    identity.login, identity.authenticate, issue_assertion, issue_service_token, get_signing_keys)))

# What each scope lets a service token call, including what those methods call on its behalf (nameko passes
# the credential on): notify resolves an announcement's audience through directory as the sender.
SCOPE_METHODS = MappingProxyType({
    ANNOUNCEMENTS_SEND: frozenset(map(method_name, (notify.send_announcement, directory.resolve_audience))),
    DIRECTORY_READ: frozenset(map(method_name, (
        directory.get_schools, directory.search_people, directory.get_person_profile,
        directory.get_student_profile))),
    ACCOUNTS_MANAGE: frozenset(map(method_name, (identity.set_password,))),
    # The operator's `schoolctl roster approve|reject|settings`: decided and changed by the credential's principal.
    ROSTERING_MANAGE: frozenset(map(method_name, (
        rostering.approve_sync_run, rostering.reject_sync_run, rostering.update_district_sync_settings,
        rostering.sync_district))),
})

# Methods that name no principal yet act on accounts: only a service token holding the scope may call them
# (an operator's `schoolctl accounts set-password`), never a person's assertion nor an anonymous caller.
SERVICE_ONLY_METHODS = frozenset(map(method_name, (identity.set_password,)))

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
    (rostering.import_package, "requested_by"),
    (rostering.preview_import, "requested_by"),
    (rostering.sync_district, "requested_by"),
)})
