"""identity's tables. Every change here comes with a revision in migrations/versions/."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, DateTime, ForeignKey, Integer, String, Table, false, text
from sqlalchemy.types import TypeDecorator

from shared.contracts.identity import DEFAULT_LANGUAGE
from shared.db import new_metadata
from shared.outbox import add_event_tables

metadata = new_metadata()
# Its outbox and the ids of the events it handled (shared/outbox.py).
add_event_tables(metadata)


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out: SQLite would otherwise hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: identity stores UTC instants")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


accounts = Table(
    "accounts", metadata,
    Column("person_id", String, primary_key=True),
    Column("district_id", String, nullable=True),
    Column("given_name", String, nullable=False),
    Column("family_name", String, nullable=False),
    # Several accounts may share a credential (two parents, one phone): indexed, not unique.
    Column("email", String, nullable=True, index=True),
    Column("mobile_phone", String, nullable=True, index=True),
    Column("home_phone", String, nullable=True),
    # Grants and permissions are always read and replaced as a whole with their account.
    Column("roles", JSON, nullable=False),
    # Grants made by hand (grant_roles): apart from `roles`, which every upsert replaces, so they survive syncs.
    Column("manual_roles", JSON, nullable=False, server_default=text("'[]'")),
    Column("permissions", JSON, nullable=False),
    Column("managed_by_sync", Boolean, nullable=False),
    Column("status", String, nullable=False),
    # True when the SIS disabled the account (enabledUser=false): only the SIS lifts that again.
    Column("disabled_by_sync", Boolean, nullable=False, server_default=false()),
    Column("joined_at", UtcDateTime, nullable=True),
    Column("password_hash", String, nullable=True),
    Column("language", String, nullable=False, server_default=DEFAULT_LANGUAGE),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("status IN ('invitee', 'active', 'disabled')", name="status"),
)

# One row per sign-in (domain/sessions.py): `jti` is the session's id, named by its access tokens' `sid`.
sessions = Table(
    "sessions", metadata,
    Column("jti", String, primary_key=True),
    Column("person_id", String, ForeignKey("accounts.person_id"), nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revoked_reason", String, nullable=True),
)

# Every refresh token a session was given, by hash only; a used one stays, so a second use is recognised.
refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("token_hash", String, primary_key=True),
    Column("session_id", String, ForeignKey("sessions.jti"), nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

permission_changes = Table(
    "permission_changes", metadata,
    Column("id", String, primary_key=True),
    Column("person_id", String, ForeignKey("accounts.person_id"), nullable=False, index=True),
    Column("previous_permissions", JSON, nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("changed_by", String, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

# Directory enables student accounts (directory.STUDENT_ACCOUNTS_ENABLED), in no order relative to the
# sync that creates the account: the fact is kept by person, with no foreign key, and every read of an
# account looks it up, so it counts whichever arrives first and however the two overlap.
student_enablements = Table(
    "student_enablements", metadata,
    Column("person_id", String, primary_key=True),
    Column("enabled_by", String, nullable=False),
    Column("enabled_at", UtcDateTime, nullable=False),
)

# Directory archives people (directory.PEOPLE_UPSERTED, archived true) and archived people may not sign in.
# Kept like student_enablements, by person with no foreign key: the event may come before the account.
archived_people = Table(
    "archived_people", metadata,
    Column("person_id", String, primary_key=True),
    Column("archived_at", UtcDateTime, nullable=False),
)

# Who changed an account by hand (roles granted, contact details edited), when, and from what.
account_edits = Table(
    "account_edits", metadata,
    Column("id", String, primary_key=True),
    Column("person_id", String, ForeignKey("accounts.person_id"), nullable=False, index=True),
    Column("what", String, nullable=False),
    Column("previous", JSON, nullable=False),
    Column("current", JSON, nullable=False),
    Column("changed_by", String, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    CheckConstraint("what IN ('manual_roles', 'contact_details')", name="what"),
)

# Invitations to join (domain/join_tokens.py): one per account, replaced by the next one issued, kept once used.
join_tokens = Table(
    "join_tokens", metadata,
    Column("person_id", String, ForeignKey("accounts.person_id"), primary_key=True),
    Column("token_hash", String, nullable=False, unique=True),
    Column("code_hash", String, nullable=False, unique=True),
    Column("issued_by", String, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

# The languages a district offers its people (domain/languages.py); a district without a row offers the default.
district_languages = Table(
    "district_languages", metadata,
    Column("district_id", String, primary_key=True),
    Column("languages", JSON, nullable=False),
    Column("default_language", String, nullable=True),  # None: DEFAULT_LANGUAGE, the district never chose
    Column("changed_by", String, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

# Codes sent to prove control of an email or mobile phone (domain/verification.py): one per account and kind.
credential_verifications = Table(
    "credential_verifications", metadata,
    Column("person_id", String, ForeignKey("accounts.person_id"), primary_key=True),
    Column("kind", String, primary_key=True),
    Column("address", String, nullable=False),
    Column("code_hash", String, nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("tries", Integer, nullable=False),
    CheckConstraint("kind IN ('email', 'mobile_phone')", name="kind"),
)
