"""Accounts in the shapes the identity contract speaks (shared/contracts/identity.py)."""
from __future__ import annotations

from .accounts import Account, RoleGrant
from .credentials import EMAIL, MOBILE_PHONE


def role_documents(roles: tuple[RoleGrant, ...]) -> list[dict]:
    return [{"role": grant.role, "school_ids": list(grant.school_ids)} for grant in roles]


def profile_fields(account: Account) -> dict:
    """The person and contact fields every shape of an account carries (documents, events, rows)."""
    profile = account.profile
    return {
        "person_id": account.person_id,
        "district_id": profile.district_id,
        "given_name": profile.given_name,
        "family_name": profile.family_name,
        "email": profile.email,
        "mobile_phone": profile.mobile_phone,
        "roles": role_documents(account.roles),
    }


def principal_document(account: Account) -> dict:
    return {
        "person_id": account.person_id,
        "district_id": account.profile.district_id,
        "display_name": account.display_name,
        "status": account.status,
        "roles": role_documents(account.roles),
        "permissions": list(account.effective_permissions),
        "language": account.language,
    }


def account_document(account: Account, *, email_shared: bool, mobile_shared: bool) -> dict:
    profile = account.profile
    credentials = []
    if profile.email is not None:
        credentials.append({"kind": EMAIL, "value": profile.email, "shared": email_shared})
    if profile.mobile_phone is not None:
        credentials.append({"kind": MOBILE_PHONE, "value": profile.mobile_phone, "shared": mobile_shared})
    return {
        **profile_fields(account),
        "home_phone": profile.home_phone,
        "credentials": credentials,
        "status": account.status,
        "joined_at": account.joined_at,
        "archived": account.archived,
        "permissions": list(account.effective_permissions),
        "language": account.language,
    }


def account_change_document(account: Account) -> dict:
    return {**profile_fields(account), "status": account.status, "language": account.language}


def credential_holder_document(account: Account, email: str | None, mobile_phone: str | None) -> dict:
    """One account holding `email` or `mobile_phone` (both normalised), and which of the two it holds."""
    asked = {EMAIL: email, MOBILE_PHONE: mobile_phone}
    return {
        "person_id": account.person_id,
        "district_id": account.profile.district_id,
        "holds": [kind for kind, value in asked.items()
                  if value is not None and getattr(account.profile, kind) == value],
        "joined": account.has_joined,
        "status": account.status,
    }
