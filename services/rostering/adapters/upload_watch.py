"""What each SFTP inbox looked like on the last poll, and when the next poll is due, kept by the process.

The timer ticks every few seconds; a poll happens only every ROSTERING_SFTP_POLL_SECONDS (read when the
service starts), so the interval is configuration rather than a constant fixed when the module is imported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider

from services.rostering.domain.sftp_pickup import Signature
from shared.settings import seconds

POLL_SECONDS_VARIABLE = "ROSTERING_SFTP_POLL_SECONDS"
TICK_SECONDS = 5


@dataclass
class Watch:
    interval: timedelta
    seen: dict[str, dict[str, Signature]] = field(default_factory=dict)  # per inbox address
    last_poll: datetime | None = None

    def due(self, now: datetime) -> bool:
        """True, and the poll counted as started, when the interval has passed since the last one."""
        if self.last_poll is not None and now - self.last_poll < self.interval:
            return False
        self.last_poll = now
        return True


class UploadWatch(DependencyProvider):
    def setup(self) -> None:
        self.watch = Watch(seconds(POLL_SECONDS_VARIABLE))

    def get_dependency(self, worker_ctx) -> Watch:
        return self.watch
