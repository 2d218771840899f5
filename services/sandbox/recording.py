"""Every message the sandbox was asked to send, one record per recipient, and request counts."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone


class MessageLog:
    """Append-only while running; cleared on demand. Queries scan, which is fine at sandbox scale."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[dict] = []
        self._requests: Counter[str] = Counter()

    def count_request(self, endpoint: str) -> None:
        with self._lock:
            self._requests[endpoint] += 1

    def requests(self) -> dict[str, int]:
        with self._lock:
            return dict(self._requests)

    def record(self, *, channel: str, to: str, from_: str, body: str, provider_message_id: str,
               status: str, subject: str | None = None, batch_id: str | None = None,
               error_code: int | None = None, extra: dict | None = None) -> dict:
        entry = {
            "channel": channel,
            "to": to,
            "from": from_,
            "subject": subject,
            "body": body,
            "provider_message_id": provider_message_id,
            "batch_id": batch_id or provider_message_id,
            "status": status,
            "error_code": error_code,
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            **(extra or {}),
        }
        with self._lock:
            entry["id"] = len(self._records) + 1
            self._records.append(entry)
        return entry

    def _matching(self, channel: str | None, to: str | None, status: str | None) -> Iterator[dict]:
        with self._lock:
            records = list(self._records)
        lowered_to = to.lower() if to else None
        for entry in records:
            if channel and entry["channel"] != channel:
                continue
            if lowered_to and entry["to"].lower() != lowered_to:
                continue
            if status and entry["status"] != status:
                continue
            yield entry

    def query(self, *, channel: str | None = None, to: str | None = None, status: str | None = None,
              offset: int = 0, limit: int | None = None) -> list[dict]:
        matching = list(self._matching(channel, to, status))
        end = None if limit is None else offset + limit
        return matching[offset:end]

    def count(self, *, channel: str | None = None, to: str | None = None, status: str | None = None) -> int:
        if not (channel or to or status):
            with self._lock:
                return len(self._records)
        return sum(1 for _ in self._matching(channel, to, status))

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._requests.clear()
