"""What notify's use cases need from the outside world, as typed protocols the adapters implement.

(The delivery worker's ports are still in worker/ports.py; they belong here too.)
"""
from __future__ import annotations

from typing import Protocol


class EmailSuppressions(Protocol):
    """The email provider's suppression lists (SendGrid's suppression API); raises SuppressionsUnavailable."""

    def lists_holding(self, address: str) -> frozenset[str]:
        """The names of the lists (domain/email_suppression.SUPPRESSION_LISTS) that hold `address`."""

    def remove(self, address: str, list_name: str) -> None:
        """Takes `address` off one list."""
