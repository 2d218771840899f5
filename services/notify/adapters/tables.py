"""notify's tables (SQLAlchemy Core). Every change here comes with a revision in migrations/versions/."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)

from shared.db import new_metadata
from shared.outbox import add_event_tables

metadata = new_metadata()
# Its outbox and the ids of the events it handled (shared/outbox.py).
add_event_tables(metadata)

# Ids are the owning services' UUID4 hex strings.
ID = String(64)
# The server defaults make a new row the blank domain Recipient, so the repository can create the
# rows of a page it is about to lock by sending only their ids.
EMPTY_LIST = text("'[]'")

# One row per person notify has heard of, from identity's and directory's events.
recipients = Table(
    "recipients",
    metadata,
    Column("person_id", ID, primary_key=True),
    Column("district_id", ID, nullable=True, index=True),
    Column("given_name", Text, nullable=True),
    Column("family_name", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("mobile_phone", Text, nullable=True),
    Column("account_status", String(16), nullable=True),
    Column("roles", JSON, nullable=False, server_default=EMPTY_LIST),
    Column("kinds", JSON, nullable=False, server_default=EMPTY_LIST),
    Column("student_account_enabled", Boolean, nullable=False, server_default=false()),
    Column("joined", Boolean, nullable=False, server_default=false()),
    Column("archived", Boolean, nullable=False, server_default=false()),
    Column("in_directory", Boolean, nullable=False, server_default=false()),
    # From identity's accounts: the next issue renders messages in it.
    Column("language", String(35), nullable=False, server_default=text("'en'")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A person's schools as rows, so "everyone in school X" is an index lookup.
recipient_schools = Table(
    "recipient_schools",
    metadata,
    Column("person_id", ID, ForeignKey("recipients.person_id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ID, primary_key=True, index=True),
)


# --- The delivery loop: communications, their deliveries, the send ledger and credential health. ---
# Statuses, channels and states are the StrEnum values of services.notify.domain.delivery; they are
# checked in code, not by CHECK constraints, so adding a value never needs a table rebuild on SQLite.
EMPTY_OBJECT = text("'{}'")

# One row per communication: what was sent, by whom, to which audience, and how far sending got.
communications = Table(
    "communications",
    metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("subject", Text, nullable=True),
    Column("body", Text, nullable=False),
    Column("priority", Boolean, nullable=False, server_default=false()),
    Column("with_call", Boolean, nullable=False, server_default=false()),
    Column("sender_id", ID, nullable=True),
    Column("audience", JSON, nullable=False, server_default=EMPTY_OBJECT),
    # planning (deliveries being created) -> queued (every job published) -> completed (none outstanding).
    Column("state", String(16), nullable=False, server_default=text("'planning'")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("planned_count", Integer, nullable=False, server_default=text("0")),
    Column("queued_at", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
)

# Who a communication is for, as the directory resolved its audience when it was sent; the planner
# reads it back in pages of person ids (the primary key's order), a profile's history by person.
communication_recipients = Table(
    "communication_recipients",
    metadata,
    Column("communication_id", ID, ForeignKey("communications.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ID, primary_key=True, index=True),
)

# One communication to one person on one channel. The unique key is what makes planning and
# fallback idempotent: a second plan of the same delivery finds the first.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("communication_id", ID, ForeignKey("communications.id", ondelete="CASCADE"), nullable=False),
    Column("person_id", ID, nullable=False, index=True),
    Column("channel", String(8), nullable=False),
    Column("address", Text, nullable=True),  # None on the app channel
    Column("label", Text, nullable=True),  # "For Dennis:" on SMS and calls to a shared mobile
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("provider_code", String(64), nullable=True),
    Column("provider_message_id", String(128), nullable=True, index=True),  # webhooks find deliveries by it
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("fallback_of", ID, ForeignKey("deliveries.id"), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("communication_id", "person_id", "channel"),
    # Reports count per status and channel; "is anything outstanding" looks up by status.
    Index("ix_deliveries_communication_id_status_channel", "communication_id", "status", "channel"),
    # A text from a phone finds the latest SMS that went to it.
    Index("ix_deliveries_address_channel", "address", "channel"),
    # The sweeper looks for the oldest `queued` deliveries; only those rows are in the index.
    Index("ix_deliveries_queued_updated_at", "updated_at", postgresql_where=text("status = 'queued'"),
          sqlite_where=text("status = 'queued'")),
)

# Written before a provider call, keyed like a delivery: neither Twilio nor SendGrid takes an
# idempotency key, so this is how a redelivered job knows what already went out. `job_id` is the
# queue message that claimed the row: a row still 'sending' under the same job was left by a worker
# that died mid-send, and only that job may send it again.
send_ledger = Table(
    "send_ledger",
    metadata,
    Column("communication_id", ID, primary_key=True),
    Column("person_id", ID, primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("delivery_id", ID, nullable=False),
    # 'sending' before the provider call; 'answered' once it answered, with its receipt below, written
    # as each answer comes (a worker killed mid-page leaves at most its call in flight unanswered);
    # 'sent' once the page's results are recorded.
    Column("state", String(8), nullable=False),
    Column("job_id", String(64), nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("provider_message_id", String(128), nullable=True),
    Column("provider_code", String(64), nullable=True),
    Column("reason", Text, nullable=True),
)

# Every status a delivery went through, and why: the history reports and profiles show.
delivery_events = Table(
    "delivery_events",
    metadata,
    Column("id", ID, primary_key=True),
    Column("delivery_id", ID, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("provider_code", String(64), nullable=True),
    Column("reason", Text, nullable=True),
    Column("source", String(16), nullable=False),  # 'worker', 'webhook' or 'planner'
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)

# The health of a credential, not of a person: a bad phone shared by two parents is bad for both.
# No row means good.
credential_health = Table(
    "credential_health",
    metadata,
    Column("kind", String(16), primary_key=True),  # 'email' or 'mobile_phone'
    Column("address", Text, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("last_outcome", String(16), nullable=True),
    Column("soft_failures", Integer, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

preferences = Table(
    "preferences",
    metadata,
    Column("person_id", ID, primary_key=True),
    Column("preference", String(16), nullable=False),
    Column("chosen_at", DateTime(timezone=True), nullable=False),
    Column("chosen_by", ID, nullable=True),
)

district_settings = Table(
    "district_settings",
    metadata,
    Column("district_id", ID, primary_key=True),
    Column("default_preference", String(16), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", ID, nullable=True),
)

# Each district's default language (identity.district_languages_changed): the language of its people who have not
# chosen one (not joined); a district without a row has DEFAULT_LANGUAGE.
district_languages = Table(
    "district_languages",
    metadata,
    Column("district_id", ID, primary_key=True),
    Column("default_language", String(35), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Reset Status sends and deletes nothing, but is recorded: who, when, why, and what it cleared.
status_resets = Table(
    "status_resets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("address", Text, nullable=False),
    Column("previous_state", String(16), nullable=False),
    Column("previous_reason", Text, nullable=True),
    Column("reset_by", ID, nullable=False),
    Column("reason", Text, nullable=True),
    Column("reset_at", DateTime(timezone=True), nullable=False),
    Index("ix_status_resets_kind_address", "kind", "address"),
)

inbox_items = Table(
    "inbox_items",
    metadata,
    Column("id", ID, primary_key=True),
    Column("person_id", ID, nullable=False),
    Column("communication_id", ID, ForeignKey("communications.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("person_id", "communication_id"),
    # A person's inbox, newest first, page by page.
    Index("ix_inbox_items_person_id_created_at", "person_id", "created_at"),
)

# Provider webhooks are stored first and answered 2xx at once, then applied idempotently.
webhook_receipts = Table(
    "webhook_receipts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("provider", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=True, index=True),
    # An inbound text's MessageSid (None for status reports, which repeat it legitimately): stored once, so a
    # replayed STOP or START is taken once.
    Column("provider_message_id", String(64), nullable=True),
    Index("ix_webhook_receipts_kind_provider_message_id", "kind", "provider_message_id", unique=True),
)


# What a personal communication (an invitation, a verification code) says to one person only: their Join link
# and code, their 6-digit code. Workers compose each message from it at send time (domain.messages), a
# fallback too. It holds secrets until they expire: the recovery timer deletes rows past `expires_at`.
communication_personal = Table(
    "communication_personal",
    metadata,
    Column("communication_id", ID, ForeignKey("communications.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ID, primary_key=True),
    Column("content", JSON, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# An invitation job: a school's or classroom's audience, invited page by page in the background. Its
# people are listed up front (`invitation_results`, pending); each page turns pending into invited or
# skipped in the transaction that writes its deliveries, so a rerun resumes where the last one stopped.
invitation_jobs = Table(
    "invitation_jobs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, nullable=False, index=True),
    Column("communication_id", ID, ForeignKey("communications.id"), nullable=False),
    Column("requested_by", ID, nullable=False),
    Column("inviter", JSON, nullable=False),  # the principal, for the scope of every page
    Column("audience", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # running -> completed
    Column("total", Integer, nullable=False),
    # One runner at a time: a page is worked on only under an unexpired lease (a token issued twice
    # would make the first email's link useless).
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

invitation_results = Table(
    "invitation_results",
    metadata,
    Column("job_id", ID, ForeignKey("invitation_jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ID, primary_key=True),
    Column("outcome", String(16), nullable=False),  # pending, invited, skipped
    Column("channel", String(8), nullable=True),
    Column("reason", String(32), nullable=True),
    Column("detail", String(32), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Index("ix_invitation_results_job_id_outcome", "job_id", "outcome"),
)


# --- each person's language ---------------------------------------------------------------------

# Every text the provider translated, per target language (a BCP 47 tag in lower case), kept so the same
# text is paid for once: an announcement's subject sent again, a reply translated back to the same staff.
translation_cache = Table(
    "translation_cache",
    metadata,
    Column("text_sha256", String(64), primary_key=True),
    Column("language", String(35), primary_key=True),
    Column("translation", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A communication in each of its recipients' languages other than its original's (the communication row
# keeps the original): made once per communication and language when it is planned, read by the workers.
communication_translations = Table(
    "communication_translations",
    metadata,
    Column("communication_id", ID, ForeignKey("communications.id", ondelete="CASCADE"), primary_key=True),
    Column("language", String(35), primary_key=True),
    Column("outcome", String(16), nullable=False),  # translated, unavailable (the original went, with a note)
    Column("subject", Text, nullable=True),
    Column("body", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Conversations between staff and families. Each message written is delivered as a communication of kind
# `message` (`communication_id`), through the same deliveries, queue and reports as everything else; a
# text from a phone finds its conversation through the latest SMS delivery to that phone.
conversations = Table(
    "conversations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("district_id", ID, nullable=False),
    Column("started_by", ID, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_message_at", DateTime(timezone=True), nullable=False),
)

conversation_participants = Table(
    "conversation_participants",
    metadata,
    Column("conversation_id", ID, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ID, primary_key=True),
    # Its place in the conversation (0 = the starter): what a Reply-To token names, to stay short.
    Column("position", Integer, nullable=False),
    Column("role", String(8), nullable=False),  # staff, family
    UniqueConstraint("conversation_id", "position"),
    Index("ix_conversation_participants_person_id", "person_id"),
)

conversation_messages = Table(
    "conversation_messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("conversation_id", ID, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", ID, nullable=True),  # None: a text from a phone several participants share
    Column("possible_author_ids", JSON, nullable=False),
    Column("via", String(8), nullable=False),  # app, sms, email
    Column("text", Text, nullable=False),
    Column("attachments", JSON, nullable=False),
    Column("communication_id", ID, nullable=True, index=True),
    # The provider's id of an inbound reply (Twilio's MessageSid, the email's Message-ID): a repeat files nothing.
    Column("source_ref", String(255), nullable=True, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Set while a moderator keeps it hidden: its text stays, everyone else sees a notice instead.
    Column("hidden_at", DateTime(timezone=True), nullable=True),
    Column("hidden_by", ID, nullable=True),
    Index("ix_conversation_messages_conversation_id_created_at", "conversation_id", "created_at"),
)

# A person's registered devices for push: FCM registration tokens. A token belongs to one device, so to
# one person at a time: registering it again (another person signed in on that phone) moves it. A token
# FCM reports stale is deleted by the worker that heard it.
devices = Table(
    "devices",
    metadata,
    Column("id", ID, primary_key=True),
    Column("person_id", ID, nullable=False, index=True),
    Column("token", String(512), nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

# A participant's flag on a message, for a moderator to review: one per person and message. A moderator's
# decision (hide or restore) marks the message's flags reviewed.
message_flags = Table(
    "message_flags",
    metadata,
    Column("id", ID, primary_key=True),
    Column("message_id", ID, ForeignKey("conversation_messages.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("flagged_by", ID, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("message_id", "flagged_by"),
)
