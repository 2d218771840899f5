"""identity: accounts, credentials, passwords, tokens, roles and staff permissions."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts.base import ServiceContract
from shared.contracts.common import BulkResult, Empty, Republished, RepublishDistrictRequest, Timestamp, page_of
from shared.contracts.health import declare_health_check

NAME = "identity"
contract = ServiceContract(NAME)
check_health = declare_health_check(contract)

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
# The language of anyone who has not chosen one (a BCP 47 tag).
DEFAULT_LANGUAGE = "en"
# How long an invitation's Join link and code stay valid.
JOIN_TOKEN_DAYS = 10
JOIN_TOKEN_ISSUED = "issued"
JOIN_TOKEN_OUTCOMES = (JOIN_TOKEN_ISSUED, "joined", "not_found", "archived", "not_enabled", "disabled")
# The fields of an account row that a source (an SIS export) can hold an invalid value in.
SOURCE_CREDENTIAL_FIELDS = ("email", "mobile_phone", "home_phone")
# The credentials a person signs in with (and is contacted through); a home phone is never one.
LOGIN_CREDENTIAL_KINDS = ("email", "mobile_phone")
# The product's words when an email or mobile phone already belongs to an account its owner controls
# (the owner has joined): refused by hand (Conflict), reported per row by a sync, followed by the reason.
CREDENTIAL_OF_JOINED_ACCOUNT = "This email and phone can't be used at the same time"


class RoleGrant(Schema):
    """A role held in a set of schools (empty for district-wide roles and families)."""

    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata={
        "description": "the role granted: district_admin, school_admin, teacher, guardian or student"})
    school_ids = fields.List(fields.String(), load_default=list, metadata={
        "description": "the directory's ids of the schools the role holds in; "
                       "empty for a district administrator and a guardian"})


class Principal(Schema):
    """Who is asking: what the gateway learns from a token and hands to services."""

    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the signed-in person, which is also their account's id"})
    district_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of the person's district; null for an account that belongs to no district"})
    display_name = fields.String(required=True, metadata={
        "description": "given and family name joined by a space, as shown to other people"})
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES), metadata={
        "description": "the account's status: invitee (never signed in), active (has signed in) or disabled"})
    roles = fields.List(fields.Nested(RoleGrant), required=True, metadata={
        "description": "every role the account holds, synced and granted by hand, one grant per role"})
    permissions = fields.List(fields.String(validate=validate.OneOf(STAFF_PERMISSIONS)), required=True, metadata={
        "description": "the custom staff permissions in force; empty unless the person holds a staff role"})
    language = fields.String(load_default=DEFAULT_LANGUAGE, metadata={
        "description": "the BCP 47 tag of the person's language (default en), one the district offered"})


class AccountInput(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person the account belongs "
                       "to; the account is created or updated under it"})
    given_name = fields.String(required=True, metadata={
        "description": "the person's given name, as the source spells it"})
    family_name = fields.String(required=True, metadata={
        "description": "the person's family name, as the source spells it"})
    email = fields.String(allow_none=True, load_default=None, metadata={
        "description": "email address, normalised to lower case; null or blank removes "
                       "it, an invalid one is reported and the stored one kept"})
    mobile_phone = fields.String(allow_none=True, load_default=None, metadata={
        "description": "mobile phone number, read with the request's region when it has no country code and stored "
                       "in E.164; null or blank removes it, an invalid one is reported and the stored one kept"})
    home_phone = fields.String(allow_none=True, load_default=None, metadata={
        "description": "home phone number, stored in E.164 and never used "
                       "to sign in or to send; null or blank removes it"})
    roles = fields.List(fields.Nested(RoleGrant), required=True, metadata={
        "description": "the grants the source gives the person, replacing "
                       "the synced grants (grants made by hand stay)"})
    managed_by_sync = fields.Boolean(load_default=True, metadata={
        "description": "true when a roster sync owns the account, false for a person staff added by hand"})
    enabled = fields.Boolean(load_default=True, metadata={
        "description": "false (the SIS's enabledUser=false) disables the account; true again restores the "
                       "status a sync disabled (invitee, or active once joined)"})
    invalid_fields = fields.List(
        fields.String(validate=validate.OneOf(SOURCE_CREDENTIAL_FIELDS)), load_default=list, metadata={
            "description": "fields whose source value was invalid (and reported by the reader): the account "
                           "keeps its stored value for these, whatever this row holds; a null field not listed "
                           "here clears the stored value"})


class UpsertAccountsRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district every account of the page belongs to"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region (US, GB, ...) that "
                       "phone numbers without a country code are read in"})
    accounts = page_of(AccountInput, required=True, metadata={
        "description": "the page of accounts to create or update, at most 5,000, each answered by person_id"})
    update_contact_details_of_active_users = fields.Boolean(load_default=True, metadata={
        "description": "the district setting \"allow sync to update contact details of active users\": false "
                       "keeps the stored email, mobile_phone and home_phone of every account whose owner has "
                       "joined, whatever the rows say (names, roles and enabled still follow the sync)"})


class Credential(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LOGIN_CREDENTIAL_KINDS), metadata={
        "description": "email or mobile_phone"})
    value = fields.String(required=True, metadata={
        "description": "the address: a lower-case email, or a mobile phone in E.164"})
    shared = fields.Boolean(required=True, metadata={"description": "also a credential of another account"})


class Account(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person, which is also the account's id"})
    district_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the account's district; "
                       "null for an account that belongs to no district"})
    given_name = fields.String(required=True, metadata={"description": "the person's given name"})
    family_name = fields.String(required=True, metadata={"description": "the person's family name"})
    email = fields.String(allow_none=True, metadata={
        "description": "the account's email address, lower case; null when it has none"})
    mobile_phone = fields.String(allow_none=True, metadata={
        "description": "the account's mobile phone in E.164; null when it has none"})
    home_phone = fields.String(allow_none=True, metadata={
        "description": "the account's home phone in E.164, kept but never "
                       "used to sign in or to send; null when it has none"})
    credentials = fields.List(fields.Nested(Credential), required=True, metadata={
        "description": "the email and mobile phone the person signs in with, "
                       "each saying whether another account holds it too"})
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES), metadata={
        "description": "invitee (never signed in), active (has signed in) or disabled"})
    joined_at = Timestamp(allow_none=True, metadata={
        "description": "when the owner first signed in, ISO 8601 with zone (UTC); null until then"})
    archived = fields.Boolean(required=True, metadata={
        "description": "directory archived the person: the account may not sign in until unarchived"})
    roles = fields.List(fields.Nested(RoleGrant), required=True, metadata={
        "description": "the grants the sync sends together with those granted by hand (grant_roles)"})
    permissions = fields.List(fields.String(), required=True, metadata={
        "description": "the custom staff permissions in force; empty unless the person holds a staff role"})
    language = fields.String(load_default=DEFAULT_LANGUAGE, metadata={
        "description": "the BCP 47 tag of the person's language (default en), one the district offered"})


class LoginRequest(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=320),
                          metadata={"description": "email address or mobile phone number"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True, metadata={
        "description": "the account's password, 1 to 1,024 characters; never echoed back"})


class LoginResult(Schema):
    """A session's tokens: the short-lived access token, and the refresh token that renews it."""

    token = fields.String(required=True, metadata={
        "description": "the access token, sent as `Authorization: Bearer <token>`; short-lived (15 minutes by "
                       "default): renew it with the refresh token"})
    expires_at = Timestamp(required=True, metadata={"description": "when the access token stops working"})
    refresh_token = fields.String(required=True, metadata={
        "description": "trade it for new tokens (refresh_session); each works once, and one used twice ends "
                       "the whole session"})
    refresh_expires_at = Timestamp(required=True, metadata={
        "description": "when the refresh token stops working, if not used before"})
    principal = fields.Nested(Principal, required=True, metadata={
        "description": "who signed in, as the gateway will see them on each call with this token"})


class AuthenticateRequest(Schema):
    token = fields.String(required=True, metadata={
        "description": "an access token from login; refused when forged, "
                       "expired, or its session or account may no longer sign in"})


class RefreshSessionRequest(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=512), metadata={
        "description": "the refresh token from login, join or the last refresh; each works once"})


class SessionRequest(Schema):
    """One signed-in session, named by an access token it issued."""

    token = fields.String(required=True, metadata={"description": "the caller's access token"})


class ChangePasswordRequest(Schema):
    token = fields.String(required=True, metadata={
        "description": "the caller's access token: names the person, and the session that stays signed in"})
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True,
                                     metadata={"description": "the password in force now, proving it is the owner"})
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True,
                                 metadata={"description": "at least 8 characters"})


class SessionsEnded(Schema):
    sessions_ended = fields.Integer(required=True, metadata={
        "description": "how many signed-in sessions this ended (their access and refresh tokens stop working)"})


class GetAccountsRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=5000), metadata={
        "description": "the directory's ids of the people whose accounts "
                       "are wanted, at most 5,000; unknown ids are left out"})


class Accounts(Schema):
    accounts = fields.List(fields.Nested(Account), required=True, metadata={
        "description": "the accounts found, in the order asked, each once"})


class SetPasswordRequest(Schema):
    login = fields.String(required=True, metadata={
        "description": "the email address or mobile phone (read as US when it has "
                       "no country code) of exactly one account that may sign in"})
    password = fields.String(required=True, validate=validate.Length(min=8, max=1024), load_only=True, metadata={
        "description": "the new password, 8 to 1,024 characters, stored only as an Argon2 hash; never echoed back"})


class SetStaffPermissionsRequest(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the staff member whose permissions are replaced"})
    permissions = fields.List(fields.String(validate=validate.OneOf(STAFF_PERMISSIONS)), required=True, metadata={
        "description": "the complete set of custom staff permissions the "
                       "person holds from now on (empty removes all)"})
    changed_by = fields.String(required=True, metadata={
        "description": "the person id of who made the change, recorded with it: set by the gateway from the token"})


class MatchCredentialsRequest(Schema):
    region = fields.String(load_default="US", validate=validate.Length(equal=2),
                           metadata={"description": "how a mobile phone without a country code is read"})
    email = fields.String(allow_none=True, load_default=None, metadata={
        "description": "an email address to look for; null to look only for the mobile phone"})
    mobile_phone = fields.String(allow_none=True, load_default=None, metadata={
        "description": "a mobile phone number to look for, read with region; null to look only for the email"})


class CredentialHolder(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person whose account holds the credential"})
    district_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of that account's district; "
                       "null for an account that belongs to no district"})
    holds = fields.List(fields.String(validate=validate.OneOf(LOGIN_CREDENTIAL_KINDS)), required=True,
                        metadata={"description": "which of the asked credentials this account holds"})
    joined = fields.Boolean(required=True, metadata={"description": "the owner has signed in at least once"})
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES), metadata={
        "description": "that account's status: invitee, active or disabled"})


class CredentialMatches(Schema):
    email = fields.String(allow_none=True, required=True, metadata={"description": "normalised, or null"})
    mobile_phone = fields.String(allow_none=True, required=True, metadata={"description": "E.164, or null"})
    holders = fields.List(fields.Nested(CredentialHolder), required=True, metadata={
        "description": "every account holding the email or the mobile phone asked for; empty when none does"})


class GrantRolesRequest(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person whose account receives the grants"})
    roles = fields.List(fields.Nested(RoleGrant), required=True, validate=validate.Length(min=1), metadata={
        "description": "added to the account's grants and kept through later syncs"})
    changed_by = fields.String(required=True, metadata={
        "description": "the person id of the staff member granting the roles, recorded with the change"})


class UpdateContactDetailsRequest(Schema):
    """A hand edit of an account's contact details: an absent field is left as it is, null removes it."""

    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person whose account is edited"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region that phone numbers without a country code are read in"})
    email = fields.String(allow_none=True, metadata={
        "description": "the new email address (stored lower case); null removes it, absent leaves it"})
    mobile_phone = fields.String(allow_none=True, metadata={
        "description": "the new mobile phone, stored in E.164; null removes it, absent leaves it"})
    home_phone = fields.String(allow_none=True, metadata={
        "description": "the new home phone, stored in E.164; null removes it, absent leaves it"})
    changed_by = fields.String(required=True, metadata={
        "description": "the person id of the staff member making the edit, recorded with it"})


class AccountChange(Schema):
    """What other services project from an account."""

    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person, which is also the account's id"})
    district_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the account's district; "
                       "null for an account that belongs to no district"})
    given_name = fields.String(required=True, metadata={
        "description": "the person's given name as the account holds it"})
    family_name = fields.String(required=True, metadata={
        "description": "the person's family name as the account holds it"})
    email = fields.String(allow_none=True, metadata={
        "description": "the account's email address, lower case; null when it has none"})
    mobile_phone = fields.String(allow_none=True, metadata={
        "description": "the account's mobile phone in E.164; null when it has none"})
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES), metadata={
        "description": "invitee (never signed in), active (has signed in) or disabled"})
    roles = fields.List(fields.Nested(RoleGrant), required=True, metadata={
        "description": "every role the account holds now, synced and granted by hand"})
    language = fields.String(load_default=DEFAULT_LANGUAGE, metadata={
        "description": "the BCP 47 tag of the person's language (default en), one the district offered"})


class AccountsUpserted(Schema):
    accounts = page_of(AccountChange, required=True, metadata={
        "description": "the accounts created or changed, at most 5,000, each as it is now"})


class UserJoined(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person who signed in for the first time"})
    joined_at = Timestamp(required=True, metadata={
        "description": "when they first signed in, ISO 8601 with zone (UTC)"})


# --- invitations: join tokens are issued here and delivered by notify -------------------------------

class IssueJoinTokensRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000), metadata={
        "description": "the directory's ids of the people to invite, 1 to 5,000"})
    issued_by = fields.String(required=True, metadata={
        "description": "the person (or service) inviting, recorded with the token: notify, the only caller "
                       "(its platform credential), checked them when the invitation or its job started"})


class IssuedJoinToken(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person asked for"})
    outcome = fields.String(required=True, validate=validate.OneOf(JOIN_TOKEN_OUTCOMES), metadata={
        "description": "issued; or why nobody should be invited: joined already, not_found, archived, "
                       "not_enabled (a student who is not a Student User), disabled"})
    reason = fields.String(allow_none=True, load_default=None, metadata={
        "description": "why no token was issued, in words staff can read; null when issued"})
    token = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the secret of the Join link, given only here and only once (identity keeps its hash); "
                       "it replaces any earlier token of the person"})
    join_code = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the same invitation as a short code a person can type (printable invitations)"})
    expires_at = Timestamp(allow_none=True, load_default=None, metadata={
        "description": "when the token and code stop working (10 days after issue), ISO 8601 with zone; null "
                       "unless issued"})


class IssuedJoinTokens(Schema):
    results = fields.List(fields.Nested(IssuedJoinToken), required=True, metadata={
        "description": "one result per person asked for, in the order asked"})


class JoinTokensIssued(Schema):
    """People invited (a token issued for them): directory shows an enabled student as Invited from now on."""

    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=5000), metadata={
        "description": "the directory's ids of the people invited"})
    issued_at = Timestamp(required=True, metadata={"description": "when, ISO 8601 with zone (UTC)"})


class StaffPermissionsChanged(Schema):
    """A staff member's custom permissions were replaced: before, after, who and when, so a subscriber (the
    directory's audit log) can show the change without asking back."""

    change_id = fields.String(required=True, metadata={
        "description": "identity's id of this change; the same id delivered twice is one change"})
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the staff member whose permissions changed"})
    district_id = fields.String(required=True, allow_none=True, metadata={
        "description": "the staff member's district; null for an account of no district"})
    previous_permissions = fields.List(fields.String(), required=True, metadata={
        "description": "the custom staff permissions they held before the change"})
    permissions = fields.List(fields.String(), required=True, metadata={
        "description": "the complete set of custom staff permissions they hold now"})
    changed_by = fields.String(required=True, metadata={"description": "the person id of who made the change"})
    changed_at = fields.DateTime(required=True, metadata={"description": "when the change was stored (UTC)"})


upsert_accounts = contract.rpc("upsert_accounts", request=UpsertAccountsRequest, response=BulkResult,
                               description="Create or update a page of accounts from a roster sync, answering each "
                                           "by person id; publishes accounts_upserted for those that changed.")
login = contract.rpc("login", request=LoginRequest, response=LoginResult,
                     description="Sign in with an email or mobile phone and a password; "
                                 "the first sign-in joins the account (user_joined).")
authenticate = contract.rpc("authenticate", request=AuthenticateRequest, response=Principal,
                            description="Check an access token and say who holds "
                                        "it; the gateway calls it on every request.")
get_accounts = contract.rpc("get_accounts", request=GetAccountsRequest, response=Accounts,
                            description="The accounts of the people asked for, with "
                                        "their credentials and whether each is shared.")
set_password = contract.rpc("set_password", request=SetPasswordRequest, response=Empty,
                            description="Set the password of the one account that signs in "
                                        "with a login (an operator's command, not a user's).")
set_staff_permissions = contract.rpc("set_staff_permissions", request=SetStaffPermissionsRequest, response=Account,
                                     description="Replace a staff member's custom permissions; "
                                                 "publishes staff_permissions_changed when they change.")
match_credentials = contract.rpc("match_credentials", request=MatchCredentialsRequest, response=CredentialMatches,
                                 description="Which accounts hold an email or mobile phone, so staff "
                                             "adding someone by hand can link an existing account.")
grant_roles = contract.rpc("grant_roles", request=GrantRolesRequest, response=Account,
                           description="Add role grants made by hand to an account; later syncs keep them.")
update_contact_details = contract.rpc("update_contact_details", request=UpdateContactDetailsRequest,
                                      response=Account,
                                      description="Edit an account's email and phones by hand; a credential of "
                                                  "another account whose owner joined is refused (Conflict).")
refresh_session = contract.rpc("refresh_session", request=RefreshSessionRequest, response=LoginResult,
                               description="Trade a refresh token for new tokens; a refresh token used twice "
                                           "ends its whole session (NotAuthenticated).")
sign_out = contract.rpc("sign_out", request=SessionRequest, response=SessionsEnded,
                        description="End the session the access token belongs to (sign out of this device).")
sign_out_everywhere = contract.rpc("sign_out_everywhere", request=SessionRequest, response=SessionsEnded,
                                   description="End every session of the token's owner (sign out of all devices).")
change_password = contract.rpc("change_password", request=ChangePasswordRequest, response=SessionsEnded,
                               description="The signed-in person changes their password, proving the current "
                                           "one; their other sessions end.")
issue_join_tokens = contract.rpc("issue_join_tokens", request=IssueJoinTokensRequest, response=IssuedJoinTokens,
                                 description="Invite people: a new Join link token and code for each (replacing "
                                             "any earlier one), or why they should not be invited.")

ACCOUNTS_UPSERTED = contract.event("accounts_upserted", AccountsUpserted,
                                   description="Accounts were created or changed (by a sync or by hand): "
                                               "their names, credentials, status and roles as they are now.")
USER_JOINED = contract.event("user_joined", UserJoined,
                             description="A person signed in for the first time, so their account is now active.")
STAFF_PERMISSIONS_CHANGED = contract.event("staff_permissions_changed", StaffPermissionsChanged,
                                           description="A staff member's custom permissions were replaced: before, "
                                                       "after, who and when (the directory keeps it in its audit log).")
JOIN_TOKENS_ISSUED = contract.event("join_tokens_issued", JoinTokensIssued,
                                    description="People were invited: a Join link and code were issued for each.")


# --- joining, languages and each person's own account settings (#12) --------------------------------

class JoinInvitationRequest(Schema):
    """An invitation, by its link's token or its printed code."""

    token = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "the secret of the Join link; give it or join_code"})
    join_code = fields.String(validate=validate.Length(min=1, max=40), metadata={
        "description": "the code of a printed invitation (any case; spaces and hyphens are ignored)"})

    @validates_schema
    def _one_invitation(self, data, **kwargs):
        if ("token" in data) == ("join_code" in data):
            raise ValidationError("give the token of the Join link or the join code, not both or neither",
                                  field_name="token")


class JoinInvitation(Schema):
    """What the Join page shows before the person chooses a password and a language."""

    given_name = fields.String(required=True, metadata={"description": "the invited person's given name"})
    expires_at = Timestamp(required=True, metadata={"description": "when the invitation stops serving"})
    languages = fields.List(fields.String(), required=True, metadata={
        "description": "the BCP 47 tags the person may choose from (their district's)"})


class JoinRequest(JoinInvitationRequest):
    """Join Now: the invitation (its link's token, or its printed code), a new password and a language."""

    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True,
                             metadata={"description": "at least 8 characters, not a common or breached password"})
    language = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=35), metadata={
        "description": "a BCP 47 tag among the district's languages (get_district_languages); the district's "
                       "default language when left out"})


class DistrictLanguagesRequest(Schema):
    """The languages a district offers its people to choose from."""

    district_id = fields.String(required=True, metadata={"description": "the district"})


class SetDistrictLanguagesRequest(Schema):
    """Replace the languages a district offers; people keep a language they chose."""

    district_id = fields.String(required=True, metadata={"description": "the district"})
    languages = fields.List(fields.String(validate=validate.Length(min=1, max=35)), required=True,
                            validate=validate.Length(min=1, max=100), metadata={
                                "description": "BCP 47 tags; the default language among them"})
    default_language = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=35),
                                      metadata={"description": "the BCP 47 tag of the language of everyone who has "
                                                               "not chosen one; when left out, the current default "
                                                               f"(at first {DEFAULT_LANGUAGE})"})
    changed_by = fields.String(required=True, metadata={"description": "the district administrator deciding"})


class DistrictLanguages(Schema):
    """What a district offers."""

    district_id = fields.String(required=True, metadata={"description": "the district"})
    languages = fields.List(fields.String(), required=True, metadata={
        "description": f"the BCP 47 tags people may choose from (standard form); [\"{DEFAULT_LANGUAGE}\"] "
                       "until the district chooses"})
    default_language = fields.String(required=True, metadata={
        "description": "the BCP 47 tag of the language of everyone who has not chosen one (invited people who "
                       f"have not joined, people without an account); {DEFAULT_LANGUAGE} until the district chooses"})


class SetLanguageRequest(Schema):
    """A person chooses their own language."""

    viewer = fields.Nested(Principal, required=True, metadata={
        "description": "the signed-in person, acting on their own account: set by the gateway from the token, "
                       "and checked against the caller's signed assertion"})
    language = fields.String(required=True, validate=validate.Length(min=1, max=35),
                             metadata={"description": "a BCP 47 tag among the district's languages"})


class SendCredentialCodeRequest(Schema):
    """Add or change one's email or mobile phone (or prove one still works): a code goes to `value`."""

    viewer = fields.Nested(Principal, required=True, metadata={
        "description": "the signed-in person, acting on their own account: set by the gateway from the token, "
                       "and checked against the caller's signed assertion"})
    kind = fields.String(required=True, validate=validate.OneOf(LOGIN_CREDENTIAL_KINDS),
                         metadata={"description": "which credential: email or mobile_phone"})
    value = fields.String(required=True, validate=validate.Length(min=1, max=320),
                          metadata={"description": "the email address or mobile phone number, as typed"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2),
                           metadata={"description": "how a mobile phone without a country code is read"})


class CredentialCodeSent(Schema):
    """The code is on its way; notify delivers it."""

    kind = fields.String(required=True, validate=validate.OneOf(LOGIN_CREDENTIAL_KINDS),
                         metadata={"description": "which credential: email or mobile_phone"})
    address = fields.String(required=True, metadata={"description": "where the code went: normalised or E.164"})
    expires_at = Timestamp(required=True, metadata={"description": "when the code stops serving"})
    tries = fields.Integer(required=True, metadata={"description": "how many times the code may be tried"})


class ConfirmCredentialRequest(Schema):
    """The code sent to the address: the address becomes the person's credential (a bad one is reset)."""

    viewer = fields.Nested(Principal, required=True, metadata={
        "description": "the signed-in person, acting on their own account: set by the gateway from the token, "
                       "and checked against the caller's signed assertion"})
    kind = fields.String(required=True, validate=validate.OneOf(LOGIN_CREDENTIAL_KINDS),
                         metadata={"description": "which credential: email or mobile_phone"})
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$", error="six digits"),
                         load_only=True, metadata={"description": "the 6 digits sent to the address"})


class RemoveCredentialRequest(Schema):
    """A person removes their own email or mobile phone; the other one stays."""

    viewer = fields.Nested(Principal, required=True, metadata={
        "description": "the signed-in person, acting on their own account: set by the gateway from the token, "
                       "and checked against the caller's signed assertion"})
    kind = fields.String(required=True, validate=validate.OneOf(LOGIN_CREDENTIAL_KINDS),
                         metadata={"description": "which credential: email or mobile_phone"})


join = contract.rpc("join", request=JoinRequest, response=LoginResult,
                    description="Join Now: use an invitation, set a password and a language; the account "
                                "becomes active and is signed in.")
check_join_invitation = contract.rpc("check_join_invitation", request=JoinInvitationRequest,
                                     response=JoinInvitation,
                                     description="Whether an invitation can be used, and the languages to choose "
                                                 "from; changes nothing.")
get_district_languages = contract.rpc("get_district_languages", request=DistrictLanguagesRequest,
                                      response=DistrictLanguages,
                                      description="The languages a district offers its people.")
set_district_languages = contract.rpc("set_district_languages", request=SetDistrictLanguagesRequest,
                                      response=DistrictLanguages,
                                      description="Replace the languages a district offers.")
DISTRICT_LANGUAGES_CHANGED = contract.event(
    "district_languages_changed", DistrictLanguages,
    description="A district replaced the languages it offers or its default language (notify renders messages "
                "to people who have not chosen a language in the default).")
set_language = contract.rpc("set_language", request=SetLanguageRequest, response=Account,
                            description="A person chooses their own language among the district's.")
send_credential_code = contract.rpc("send_credential_code", request=SendCredentialCodeRequest,
                                    response=CredentialCodeSent,
                                    description="Send a 6-digit code to an address a person wants as their "
                                                "credential (or proves still works).")
confirm_credential = contract.rpc("confirm_credential", request=ConfirmCredentialRequest, response=Account,
                                  description="The right code makes the address the person's credential.")
remove_credential = contract.rpc("remove_credential", request=RemoveCredentialRequest, response=Account,
                                 description="A person removes their own email or mobile phone, keeping one.")
republish_district = contract.rpc("republish_district", request=RepublishDistrictRequest, response=Republished,
                                  description="Publish accounts_upserted again for every account of the district, "
                                              "and its languages, as they are now (an operator's "
                                              "`schoolctl republish district`).")
