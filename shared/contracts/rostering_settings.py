"""rostering: each district's sync settings — its source and connection, its schedule, what the sync owns.

shared/contracts/rostering.py registers the RPC methods and the event with these schemas. A source's
secrets (fields marked `secret`) are accepted on a change and never answered: an answer says only
`<name>_set`.
"""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts.common import Timestamp

ONEROSTER_CSV, CLASSLINK, CLEVER, SFTP = "oneroster_csv", "classlink", "clever", "sftp"
SOURCES = (ONEROSTER_CSV, CLASSLINK, CLEVER, SFTP)
# As people read them, and as the directory names what locks synced records.
SOURCE_LABELS = {ONEROSTER_CSV: "OneRoster CSV", CLASSLINK: "ClassLink", CLEVER: "Clever", SFTP: "OneRoster SFTP"}
# Sources rostering reads by itself; OneRoster CSV packages are handed to it (import).
SYNCED_SOURCES = (CLASSLINK, CLEVER, SFTP)
# Providers rostering asks, on request and at the daily time; an SFTP district's drops are picked up when they
# are complete (its inbox is polled), never on request.
PROVIDER_SOURCES = (CLASSLINK, CLEVER)
# An SFTP district's automated announcements from notices CSVs need all of these or none (notices_priority is
# optional).
NOTICE_FIELDS = ("notices_folder", "notices_subject", "notices_body", "notices_client_id", "notices_client_secret")
_DAILY_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def valid_daily_time(value: object) -> bool:
    return isinstance(value, str) and _DAILY_TIME.fullmatch(value) is not None


def valid_time_zone(value: object) -> bool:
    if not isinstance(value, str) or not value or ".." in value or value.startswith("/"):
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _daily_time(value: str) -> None:
    if not valid_daily_time(value):
        raise ValidationError(f"{value!r} is not a time of day: give HH:MM, 24-hour (05:30)")


def _time_zone(value: str) -> None:
    if not valid_time_zone(value):
        raise ValidationError(f"{value!r} is not an IANA time zone (America/Chicago, Europe/London)")


def _text(description: str, *, secret: bool = False, **kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(min=1, max=kwargs.pop("max", 500)),
                         metadata={"description": description, **({"secret": True} if secret else {})}, **kwargs)


class OneRosterCsvConnection(Schema):
    """Packages are handed to rostering (`schoolctl roster import`): nothing to connect to."""


class ClassLinkConnection(Schema):
    tenant_id = _text("the District Tenant ID ClassLink shows")
    application_id = _text("the application id ClassLink issued")
    server_url = fields.Url(allow_none=True, require_tld=False, schemes={"http", "https"}, metadata={
        "description": "the tenant's OneRoster server, up to /ims"})
    version = fields.String(allow_none=True, validate=validate.OneOf(("1.1", "1.2")), metadata={
        "description": "OneRoster version: 1.1 (default) or 1.2"})
    auth = fields.String(allow_none=True, validate=validate.OneOf(("oauth1", "oauth2")), metadata={
        "description": "oauth1 (HMAC-SHA256, default) or oauth2 (client credentials, with token_url)"})
    token_url = fields.Url(allow_none=True, require_tld=False, schemes={"http", "https"}, metadata={
        "description": "the OAuth 2 token endpoint (auth oauth2 only)"})
    client_id = _text("the OAuth consumer key or client id")
    client_secret = _text("the OAuth consumer secret or client secret: kept sealed, never answered", secret=True)


class CleverConnection(Schema):
    district_id = _text("Clever's id of the district (the district app's district)", max=100)
    token = _text("the district app's bearer token: kept sealed, never answered", secret=True, max=2000)
    api_url = fields.Url(allow_none=True, require_tld=False, schemes={"http", "https"}, metadata={
        "description": "Clever's API base, when not the public one"})


class SftpConnection(Schema):
    host = _text("the SFTP server's host name", max=255)
    port = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=65535), metadata={
        "description": "the SFTP port (22 when absent)"})
    username = _text("the SFTP user", max=255)
    folder = _text("the folder the district drops its OneRoster packages in", max=1000)
    host_key = _text("the server's public host key (OpenSSH form), checked on every connection", max=5000)
    password = _text("the SFTP password: kept sealed, never answered", secret=True)
    private_key = _text("a private key (OpenSSH/PEM) instead of a password: kept sealed, never answered",
                        secret=True, max=20000)
    notices_folder = _text("optional: another folder where the SIS drops notices CSVs, one announcement per row to "
                           "the student's guardians", max=1000)
    notices_subject = _text("the notices' subject template: {Column} is the row's cell of that column", max=200)
    notices_body = _text("the notices' body template: {Column} is the row's cell of that column", max=5000)
    notices_client_id = _text("the service credential the notices are sent as (schoolctl services add NAME "
                              "--scopes announcements:send --district ID)", max=200)
    notices_client_secret = _text("that credential's secret: kept sealed, never answered", secret=True)
    notices_priority = fields.Boolean(allow_none=True, metadata={
        "description": "the notices go out as priority announcements (false when absent)"})


SOURCE_CONNECTIONS: dict[str, type[Schema]] = {ONEROSTER_CSV: OneRosterCsvConnection, CLASSLINK: ClassLinkConnection,
                                               CLEVER: CleverConnection, SFTP: SftpConnection}
_SOURCE_CHOICE = validate.OneOf(SOURCES, error="{input!r} is not a source: give one of {choices}, or null for none")
_CONNECTION_NOTE = ("the source's connection: ClassLink tenant_id, application_id, server_url, version, auth, "
                    "token_url, client_id, client_secret; Clever district_id, token, api_url; SFTP host, port, "
                    "username, folder, host_key, password, private_key and, for notices CSVs, notices_folder, "
                    "notices_subject, notices_body, notices_client_id, notices_client_secret, notices_priority")


class GetDistrictSyncSettingsRequest(Schema):
    district_id = fields.String(required=True, metadata={"description": "the directory's id of the district"})


class DistrictSyncSettings(Schema):
    district_id = fields.String(required=True, metadata={"description": "the directory's id of the district"})
    source = fields.String(allow_none=True, required=True, metadata={
        "description": "what the district syncs from: oneroster_csv, classlink, clever, sftp; null for none"})
    connection = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata={
        "description": _CONNECTION_NOTE + ". Secrets are never answered: `client_secret_set`, `token_set`, "
                                          "`password_set`, `private_key_set`, `notices_client_secret_set` say "
                                          "whether each is kept"})
    daily_sync = fields.Boolean(required=True, metadata={
        "description": "Enable Daily sync: the district is kept in step with its source, which rostering reads at "
                       "daily_time (ClassLink, Clever; an SFTP district's drops are picked up as they come); what the "
                       "sync manages is locked against changes by hand"})
    daily_time = fields.String(required=True, metadata={
        "description": "when the daily sync starts, HH:MM in time_zone"})
    time_zone = fields.String(required=True, metadata={"description": "the district's IANA time zone"})
    region = fields.String(required=True, metadata={
        "description": "ISO 3166-1 alpha-2 region phone numbers without a country code are read in"})
    sync_manages_guardians = fields.Boolean(required=True, metadata={
        "description": "else guardians come from a guardians.csv or are managed by hand"})
    unarchive_classrooms_that_reappear = fields.Boolean(required=True, metadata={
        "description": "an archived classroom a later run lists again is unarchived; else it stays archived"})
    sync_updates_contact_details_of_active_users = fields.Boolean(required=True, metadata={
        "description": "runs may change the email and phones of people who have joined; else those stay as they are"})
    enable_student_accounts_automatically = fields.Boolean(required=True, metadata={
        "description": "students a sync brings in get their accounts enabled (SFTP districts)"})
    mass_change_threshold = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=1),
                                         metadata={"description": "share of current people or enrollments a run "
                                                                  "may archive before it waits for approval"})
    updated_by = fields.String(allow_none=True, metadata={
        "description": "the person id of who last changed the settings; null when never changed"})
    updated_at = Timestamp(allow_none=True, metadata={
        "description": "when the settings were last changed, ISO 8601 with zone (UTC); null when never changed"})


class SyncSettingsChanges(Schema):
    """The settings a change may give, each absent when left as it is."""

    changed_by = fields.String(required=True, metadata={
        "description": "who makes the change, recorded as updated_by: the person id of the caller's credential "
                       "(schoolctl's is the operator's service:<client id>); any other is refused"})
    source = fields.String(allow_none=True, validate=_SOURCE_CHOICE, metadata={
        "description": "oneroster_csv, classlink, clever or sftp; null for none. A new source starts with no "
                       "connection (give it in `connection`); absent leaves it"})
    connection = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), metadata={
        "description": _CONNECTION_NOTE + ". Laid over the kept connection; null removes a field; absent leaves "
                                          "it. Secrets given are kept sealed and never answered"})
    daily_sync = fields.Boolean(metadata={
        "description": "Enable Daily sync (needs a source with its connection complete); absent leaves it"})
    daily_time = fields.String(validate=_daily_time, metadata={
        "description": "HH:MM (24-hour) in time_zone when the daily sync starts; absent leaves it"})
    time_zone = fields.String(validate=_time_zone, metadata={
        "description": "the district's IANA time zone, e.g. America/Chicago; absent leaves it"})
    region = fields.String(validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region for phone numbers without a country code; absent leaves it"})
    sync_manages_guardians = fields.Boolean(metadata={
        "description": "the sync owns guardians and their links; absent leaves it"})
    unarchive_classrooms_that_reappear = fields.Boolean(metadata={
        "description": "unarchive an archived classroom a later run lists again; absent leaves it"})
    sync_updates_contact_details_of_active_users = fields.Boolean(metadata={
        "description": "runs may change the contact details of people who have joined; absent leaves it"})
    enable_student_accounts_automatically = fields.Boolean(metadata={
        "description": "enable the accounts of students a sync brings in (SFTP districts); absent leaves it"})
    mass_change_threshold = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=1), metadata={
        "description": "share of current people or enrollments a run may archive before "
                       "it waits for approval, above 0 and at most 1; absent leaves it"})

    @validates_schema
    def _connection_of_the_source(self, data, **kwargs):
        """A connection given with a source is checked against that source's fields here; one given alone is
        checked against the district's kept source by rostering."""
        if data.get("source") is not None and data.get("connection"):
            check_connection(data["source"], data["connection"])


class UpdateDistrictSyncSettingsRequest(SyncSettingsChanges):
    district_id = fields.String(required=True, metadata={"description": "the directory's id of the district"})


class ConnectDistrictRequest(SyncSettingsChanges):
    """A district that connects its provider before anything was imported: made in the directory under the id its
    provider gives it, with its settings."""

    source_id = fields.String(required=True, validate=validate.Length(min=1, max=255), metadata={
        "description": "the district's id at its provider: the sourcedId of its ClassLink district org, its Clever "
                       "district id (connection.district_id, given from it when absent). A district the directory "
                       "holds under it already is the one connected"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=255), metadata={
        "description": "the district's name until its first run reads the provider's"})


def check_connection(source: str | None, connection: dict) -> dict:
    """The connection as its source's fields read it (`"22"` a port of 22, `"true"` true); ValidationError naming
    `connection.<field>` for what the source does not take or cannot read."""
    schema = SOURCE_CONNECTIONS.get(source) if source else None
    if schema is None:
        raise ValidationError({"connection": [f"the source {source or 'none'} takes no connection"]})
    try:
        return schema().load(connection, partial=True)
    except ValidationError as invalid:
        raise ValidationError({f"connection.{name}": reasons for name, reasons in invalid.messages.items()}) \
            from None


class DistrictSyncSettingsChanged(Schema):
    """A change of a district's sync settings, before and after as answered (secrets only as `<name>_set`), so
    the directory's audit log shows it without asking back."""

    change_id = fields.String(required=True, metadata={
        "description": "rostering's id of the change; the same id delivered twice is one entry"})
    district_id = fields.String(required=True, metadata={"description": "the directory's id of the district"})
    changed_by = fields.String(required=True, metadata={"description": "the person id of who changed them"})
    changed_at = fields.DateTime(required=True, metadata={"description": "when (UTC)"})
    before = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata={
        "description": "the settings that changed, as they were"})
    after = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata={
        "description": "the settings that changed, as they are now"})


class PlanDistrictSyncRequest(Schema):
    district = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "the directory's id of the district"})
    full = fields.Boolean(load_default=False, metadata={"description": "a full run would be asked for"})


class DistrictSyncPlan(Schema):
    """What a sync of the district would do now, without starting one (`schoolctl roster sync --dry-run`)."""

    district_id = fields.String(required=True, metadata={"description": "the directory's id of the district"})
    source = fields.String(required=True, metadata={
        "description": "what a run would read, e.g. ClassLink tenant 1234 (OneRoster 1.1)"})
    full = fields.Boolean(required=True, metadata={"description": "a run now would read the whole roster"})
    changes_since = Timestamp(allow_none=True, metadata={
        "description": "an incremental run asks for changes after this instant; null for a full run"})
    daily_sync = fields.Boolean(required=True, metadata={"description": "the daily schedule starts runs"})
    next_scheduled_at = Timestamp(allow_none=True, metadata={
        "description": "when the schedule next starts a run (UTC); null when the daily sync is off"})
    running_run_id = fields.String(allow_none=True, metadata={
        "description": "the district's run in progress, which a new run would have to wait for; null when none"})
