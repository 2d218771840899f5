"""Which of the email provider's suppression lists Reset Status lifts (issue #15, point 9).

After a hard bounce SendGrid puts the address on its bounce list and drops every later send to it, so the
retry that Reset Status allows would be dropped unless the address comes off that list too. Only lists of
delivery failures are lifted: a spam report or an unsubscribe is the person's own choice, kept whatever staff
do, the way a STOP is never lifted by Reset Status.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

# SendGrid's names for its lists (the suppression API's paths).
LIFTED_BY_RESET = ("bounces", "blocks", "invalid_emails")
KEPT_BY_RESET = ("spam_reports", "global_unsubscribes")
SUPPRESSION_LISTS = LIFTED_BY_RESET + KEPT_BY_RESET


class SuppressionsUnavailable(Exception):
    """The provider could not say or change which lists hold an address; the message says what failed."""


@dataclass(frozen=True, slots=True)
class SuppressionLift:
    lifted: tuple[str, ...]  # lists the address is to come off
    kept: tuple[str, ...]  # lists it stays on, because the person put it there

    def as_dict(self) -> dict:
        return {"lifted": list(self.lifted), "kept": list(self.kept)}


def plan_lift(listed: Collection[str]) -> SuppressionLift:
    """What Reset Status does about the lists that hold an address, in the provider's order of lists."""
    return SuppressionLift(lifted=tuple(name for name in LIFTED_BY_RESET if name in listed),
                           kept=tuple(name for name in KEPT_BY_RESET if name in listed))
