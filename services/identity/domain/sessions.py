"""Login sessions: each issued token is recorded, so it can be revoked before it expires."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LoginSession:
    jti: str
    person_id: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_valid_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class PermissionChange:
    """Who replaced a staff member's custom permissions, when, and from what."""

    id: str
    person_id: str
    previous_permissions: tuple[str, ...]
    permissions: tuple[str, ...]
    changed_by: str
    changed_at: datetime
