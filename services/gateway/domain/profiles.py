"""A user profile: what directory knows about a person joined with what identity knows about their account,
and, next to each credential, what notify knows about delivering to it."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

# What a profile shows of notify's credential health; the rest names the credential, which the profile has.
DELIVERY_STATUS_FIELDS = ("state", "reason", "last_status", "updated_at")


def account_of(accounts: Iterable[Mapping], person_id: str) -> Mapping | None:
    """The account of `person_id` among identity's answer; a person without one is not an error."""
    return next((account for account in accounts if account["person_id"] == person_id), None)


def user_profile(profile: Mapping, account: Mapping | None, *, show_contact_details: bool,
                 show_delivery_status: bool = False, credential_health: Iterable[Mapping] = (),
                 communication_history: Mapping | None = None) -> dict:
    """The profile screen's data.

    Credentials and the home phone are contact details: when the viewer may not
    see them the keys are left out rather than emptied, so "hidden" never reads
    as "this person has none". Delivery status rides on the credentials, and is
    left out the same way from those of a viewer without an extended permission;
    so is the communication history of a viewer who may see none of it.
    """
    merged = {**profile, "account_status": account["status"] if account else None}
    if show_contact_details:
        credentials = account["credentials"] if account else []
        merged["credentials"] = (with_delivery_status(credentials, credential_health) if show_delivery_status
                                 else [dict(credential) for credential in credentials])
        merged["home_phone"] = account.get("home_phone") if account else None
    if communication_history is not None:
        merged["communication_history"] = communication_history
    return merged


def with_delivery_status(credentials: Iterable[Mapping], credential_health: Iterable[Mapping]) -> list[dict]:
    """Each credential with notify's status for that very address; None where notify has none.

    Matched on kind and address, not kind alone: health recorded for an address
    the person no longer has says nothing about the one they have now.
    """
    by_credential = {(health["kind"], health["address"]): health for health in credential_health}
    return [{**credential, "delivery_status": _delivery_status(by_credential.get((credential["kind"],
                                                                                 credential["value"])))}
            for credential in credentials]


def _delivery_status(health: Mapping | None) -> dict | None:
    if health is None:
        return None
    return {name: health.get(name) for name in DELIVERY_STATUS_FIELDS}
