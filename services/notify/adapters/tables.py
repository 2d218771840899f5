"""notify's tables (SQLAlchemy Core). Every change here comes with a revision in migrations/versions/."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, String, Table, Text, false, func, text

from shared.db import new_metadata

metadata = new_metadata()

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
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A person's schools as rows, so "everyone in school X" is an index lookup.
recipient_schools = Table(
    "recipient_schools",
    metadata,
    Column("person_id", ID, ForeignKey("recipients.person_id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ID, primary_key=True, index=True),
)
