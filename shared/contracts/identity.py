"""identity: accounts, credentials, passwords, tokens, roles and staff permissions."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.base import ServiceContract
from shared.contracts.common import BulkResult, Empty, Timestamp, page_of

NAME = "identity"
contract = ServiceContract(NAME)

DISTRICT_ADMIN = "district_admin"
SCHOOL_ADMIN = "school_admin"
TEACHER = "teacher"
GUARDIAN = "guardian"
STUDENT = "student"
ROLES = (DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER, GUARDIAN, STUDENT)

# The seven custom staff permissions of the product's settings screen.
PERMISSIONS_ADMIN = "permissions_admin"
SCHOOL_WIDE_COMMUNICATIONS = "school_wide_communications"
ROSTERING_ADMINISTRATOR = "rostering_administrator"
CONTENT_MODERATOR = "content_moderator"
USERS_MANAGER = "users_manager"
FAMILY_ACCESS = "family_access"
ENGAGEMENT_VISIBILITY = "engagement_visibility"
STAFF_PERMISSIONS = (
    PERMISSIONS_ADMIN, SCHOOL_WIDE_COMMUNICATIONS, ROSTERING_ADMINISTRATOR, CONTENT_MODERATOR,
    USERS_MANAGER, FAMILY_ACCESS, ENGAGEMENT_VISIBILITY,
)

ACCOUNT_STATUSES = ("invitee", "active", "disabled")
# The fields of an account row that a source (an SIS export) can hold an invalid value in.
SOURCE_CREDENTIAL_FIELDS = ("email", "mobile_phone", "home_phone")
# The credentials a person signs in with (and is contacted through); a home phone is never one.
LOGIN_CREDENTIAL_KINDS = ("email", "mobile_phone")
# The product's words when an email or mobile phone already belongs to an account its owner controls
# (the owner has joined): refused by hand (Conflict), reported per row by a sync, followed by the reason.
CREDENTIAL_OF_JOINED_ACCOUNT = "This email and phone can't be used at the same time"


class RoleGrant(Schema):
    """A role held in a set of schools (empty for district-wide roles and families)."""

    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    school_ids = fields.List(fields.String(), load_default=list)


class Principal(Schema):
    """Who is asking: what the gateway learns from a token and hands to services."""

    person_id = fields.String(required=True)
    district_id = fields.String(allow_none=True, load_default=None)
    display_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES))
    roles = fields.List(fields.Nested(RoleGrant), required=True)
    permissions = fields.List(fields.String(validate=validate.OneOf(STAFF_PERMISSIONS)), required=True)


class AccountInput(Schema):
    person_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.String(allow_none=True, load_default=None)
    mobile_phone = fields.String(allow_none=True, load_default=None)
    home_phone = fields.String(allow_none=True, load_default=None)
    roles = fields.List(fields.Nested(RoleGrant), required=True)
    managed_by_sync = fields.Boolean(load_default=True)
    enabled = fields.Boolean(load_default=True, metadata={
        "description": "false (the SIS's enabledUser=false) disables the account; true again restores the "
                       "status a sync disabled (invitee, or active once joined)"})
    invalid_fields = fields.List(
        fields.String(validate=validate.OneOf(SOURCE_CREDENTIAL_FIELDS)), load_default=list, metadata={
            "description": "fields whose source value was invalid (and reported by the reader): the account "
                           "keeps its stored value for these, whatever this row holds; a null field not listed "
                           "here clears the stored value"})


class UpsertAccountsRequest(Schema):
    district_id = fields.String(required=True)
    region = fields.String(load_default="US", validate=validate.Length(equal=2))
    accounts = page_of(AccountInput, required=True)
    update_contact_details_of_active_users = fields.Boolean(load_default=True, metadata={
        "description": "the district setting \"allow sync to update contact details of active users\": false "
                       "keeps the stored email, mobile_phone and home_phone of every account whose owner has "
                       "joined, whatever the rows say (names, roles and enabled still follow the sync)"})


class Credential(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LOGIN_CREDENTIAL_KINDS))
    value = fields.String(required=True)
    shared = fields.Boolean(required=True, metadata={"description": "also a credential of another account"})


class Account(Schema):
    person_id = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    mobile_phone = fields.String(allow_none=True)
    home_phone = fields.String(allow_none=True)
    credentials = fields.List(fields.Nested(Credential), required=True)
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES))
    joined_at = Timestamp(allow_none=True)
    archived = fields.Boolean(required=True, metadata={
        "description": "directory archived the person: the account may not sign in until unarchived"})
    roles = fields.List(fields.Nested(RoleGrant), required=True, metadata={
        "description": "the grants the sync sends together with those granted by hand (grant_roles)"})
    permissions = fields.List(fields.String(), required=True)


class LoginRequest(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=320),
                          metadata={"description": "email address or mobile phone number"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class LoginResult(Schema):
    token = fields.String(required=True)
    expires_at = Timestamp(required=True)
    principal = fields.Nested(Principal, required=True)


class AuthenticateRequest(Schema):
    token = fields.String(required=True)


class GetAccountsRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=5000))


class Accounts(Schema):
    accounts = fields.List(fields.Nested(Account), required=True)


class SetPasswordRequest(Schema):
    login = fields.String(required=True)
    password = fields.String(required=True, validate=validate.Length(min=8, max=1024), load_only=True)


class SetStaffPermissionsRequest(Schema):
    person_id = fields.String(required=True)
    permissions = fields.List(fields.String(validate=validate.OneOf(STAFF_PERMISSIONS)), required=True)
    changed_by = fields.String(required=True)


class MatchCredentialsRequest(Schema):
    region = fields.String(load_default="US", validate=validate.Length(equal=2),
                           metadata={"description": "how a mobile phone without a country code is read"})
    email = fields.String(allow_none=True, load_default=None)
    mobile_phone = fields.String(allow_none=True, load_default=None)


class CredentialHolder(Schema):
    person_id = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    holds = fields.List(fields.String(validate=validate.OneOf(LOGIN_CREDENTIAL_KINDS)), required=True,
                        metadata={"description": "which of the asked credentials this account holds"})
    joined = fields.Boolean(required=True, metadata={"description": "the owner has signed in at least once"})
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES))


class CredentialMatches(Schema):
    email = fields.String(allow_none=True, required=True, metadata={"description": "normalised, or null"})
    mobile_phone = fields.String(allow_none=True, required=True, metadata={"description": "E.164, or null"})
    holders = fields.List(fields.Nested(CredentialHolder), required=True)


class GrantRolesRequest(Schema):
    person_id = fields.String(required=True)
    roles = fields.List(fields.Nested(RoleGrant), required=True, validate=validate.Length(min=1), metadata={
        "description": "added to the account's grants and kept through later syncs"})
    changed_by = fields.String(required=True)


class UpdateContactDetailsRequest(Schema):
    """A hand edit of an account's contact details: an absent field is left as it is, null removes it."""

    person_id = fields.String(required=True)
    region = fields.String(load_default="US", validate=validate.Length(equal=2))
    email = fields.String(allow_none=True)
    mobile_phone = fields.String(allow_none=True)
    home_phone = fields.String(allow_none=True)
    changed_by = fields.String(required=True)


class AccountChange(Schema):
    """What other services project from an account."""

    person_id = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    mobile_phone = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES))
    roles = fields.List(fields.Nested(RoleGrant), required=True)


class AccountsUpserted(Schema):
    accounts = page_of(AccountChange, required=True)


class UserJoined(Schema):
    person_id = fields.String(required=True)
    joined_at = fields.DateTime(required=True)


class StaffPermissionsChanged(Schema):
    person_id = fields.String(required=True)
    permissions = fields.List(fields.String(), required=True)
    changed_by = fields.String(required=True)


upsert_accounts = contract.rpc("upsert_accounts", request=UpsertAccountsRequest, response=BulkResult)
login = contract.rpc("login", request=LoginRequest, response=LoginResult)
authenticate = contract.rpc("authenticate", request=AuthenticateRequest, response=Principal)
get_accounts = contract.rpc("get_accounts", request=GetAccountsRequest, response=Accounts)
set_password = contract.rpc("set_password", request=SetPasswordRequest, response=Empty)
set_staff_permissions = contract.rpc("set_staff_permissions", request=SetStaffPermissionsRequest, response=Account)
match_credentials = contract.rpc("match_credentials", request=MatchCredentialsRequest, response=CredentialMatches)
grant_roles = contract.rpc("grant_roles", request=GrantRolesRequest, response=Account)
update_contact_details = contract.rpc("update_contact_details", request=UpdateContactDetailsRequest,
                                      response=Account)

ACCOUNTS_UPSERTED = contract.event("accounts_upserted", AccountsUpserted)
USER_JOINED = contract.event("user_joined", UserJoined)
STAFF_PERMISSIONS_CHANGED = contract.event("staff_permissions_changed", StaffPermissionsChanged)
