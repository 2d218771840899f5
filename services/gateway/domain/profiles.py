"""A user profile: what directory knows about a person joined with what identity knows about their account."""
from __future__ import annotations

from collections.abc import Iterable, Mapping


def account_of(accounts: Iterable[Mapping], person_id: str) -> Mapping | None:
    """The account of `person_id` among identity's answer; a person without one is not an error."""
    return next((account for account in accounts if account["person_id"] == person_id), None)


def user_profile(profile: Mapping, account: Mapping | None, *, show_contact_details: bool) -> dict:
    """The profile screen's data.

    Credentials and the home phone are contact details: when the viewer may not
    see them the keys are left out rather than emptied, so "hidden" never reads
    as "this person has none".
    """
    merged = {**profile, "account_status": account["status"] if account else None}
    if show_contact_details:
        merged["credentials"] = list(account["credentials"]) if account else []
        merged["home_phone"] = account.get("home_phone") if account else None
    return merged
