"""How a credential's state changes by hand (Reset Status) and by text (STOP / START).

DESIGN.md §3: Reset Status clears *bad* so future communications are attempted
again; it never clears *opted out*, which only START from that number does.
STOP opts a number out whatever its state: nothing, priority included, goes by
SMS or call to it afterwards. Delivery outcomes (bounces, complaints) change
states in the delivery repository, not here.
"""
from __future__ import annotations

from services.notify.domain.delivery import CredentialKind, CredentialState
from services.notify.domain.outcomes import InboundKeyword

OPT_OUT_REASON = "recipient texted STOP"


class ResetRefused(ValueError):
    """Reset Status does not apply to the credential as it is; `reason` is fit to show the person asking."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_reset(kind: CredentialKind, state: CredentialState) -> None:
    """Raises ResetRefused unless `state` is one Reset Status clears (bad)."""
    noun = "email address" if kind is CredentialKind.EMAIL else "mobile phone"
    if state is CredentialState.OPTED_OUT and kind is CredentialKind.EMAIL:
        raise ResetRefused("this email address unsubscribed; only its owner can subscribe again")
    if state is CredentialState.OPTED_OUT:
        raise ResetRefused(f"this {noun} opted out by texting STOP; only START from that number clears it")
    if state is CredentialState.GOOD:
        raise ResetRefused(f"this {noun} is not marked bad; there is nothing to reset")


def state_after_keyword(state: CredentialState, keyword: InboundKeyword) -> CredentialState:
    """A number's state after its owner texted an opt-out or opt-in keyword."""
    if keyword == "opt_out":
        return CredentialState.OPTED_OUT
    # START clears an opt-out only: a number that is bad stays bad until someone resets it.
    return CredentialState.GOOD if state is CredentialState.OPTED_OUT else state
