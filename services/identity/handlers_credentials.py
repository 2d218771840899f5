"""A person's own email and mobile phone: add or change one by proving control of it (a code sent there),
remove one while another remains.

Proving control of a credential that notify marked bad is also the user-side
Reset Status (DESIGN.md): identity asks notify to reset it, recorded like a staff reset.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest, TooManyRequests

from .adapters.repository import AccountRepository
from .adapters.tokens import TokenSigner
from .domain.accounts import Account, Profile
from .domain.own_credentials import change_refusal, removal_refusal
from .domain.documents import account_change_document
from .domain.hand_edits import CONTACT_DETAILS, AccountEdit, contact_details, normalise_typed
from .domain.joined_credentials import belongs_to_joined_account, joined_holders, taken_by_joined
from .domain.verification import (
    MAX_TRIES,
    NO_TRIES_LEFT,
    PROVED_CONTROL,
    PendingVerification,
    attempt_refusal,
    code_matches,
    new_verification,
    resend_refusal,
    wrong_code,
)
from .handlers import Clock, Publish, stored_account_document, account_edit, existing_account

BAD = "bad"


class Notify(Protocol):
    """notify's RPC methods identity calls (shared.contracts.notify), as a ServiceRpc proxy offers them."""

    def send_verification_code(self, payload: dict) -> dict: ...

    def get_credential_health(self, payload: dict) -> dict: ...

    def reset_credential_status(self, payload: dict) -> dict: ...


def send_credential_code(request: dict, *, repo: AccountRepository, tokens: TokenSigner, notify: Notify,
                         clock: Clock) -> dict:
    kind = request["kind"]
    typed, invalid = normalise_typed({kind: request["value"]}, request["region"])
    if invalid:
        raise InvalidRequest(invalid[kind][0], fields={"value": invalid[kind]})
    address = typed[kind]
    account = existing_account(repo, request["viewer"]["person_id"])
    refusal = change_refusal(account, kind)
    if refusal is not None:
        raise InvalidRequest(refusal, fields={"kind": [refusal]})
    _refuse_if_taken(account, kind, address, repo)
    now = clock()
    too_soon = resend_refusal(repo.verification(account.person_id, kind), now)
    if too_soon is not None:
        raise TooManyRequests(too_soon)
    code, pending = new_verification(account.person_id, kind, address, now=now, digest=tokens.digest)
    # Queued first, kept second: a code notify refused is never waited for (nor blocks a new one), and
    # notify only queues it, so it cannot arrive before it is kept.
    notify.send_verification_code({"person_id": account.person_id, "district_id": account.profile.district_id,
                                   "kind": kind, "address": address, "code": code,
                                   "expires_at": pending.expires_at.isoformat()})
    repo.replace_verification(pending)
    return {"kind": kind, "address": address, "expires_at": pending.expires_at, "tries": MAX_TRIES}


def confirm_credential(request: dict, *, repo: AccountRepository, tokens: TokenSigner, notify: Notify,
                       publish: Publish, clock: Clock) -> dict:
    """The right code makes the address the account's credential (or proves an unchanged one works again)."""
    account = existing_account(repo, request["viewer"]["person_id"])
    kind = request["kind"]
    pending = repo.verification(account.person_id, kind)
    refusal = attempt_refusal(pending, clock())
    if refusal == NO_TRIES_LEFT:
        raise TooManyRequests(refusal, fields={"code": [refusal]})
    if refusal is not None:
        raise InvalidRequest(refusal, fields={"code": [refusal]})
    if not repo.claim_try(pending, max_tries=MAX_TRIES):
        # Tried meanwhile to the limit, or replaced by a newer code.
        raise TooManyRequests(NO_TRIES_LEFT, fields={"code": [NO_TRIES_LEFT]})
    if not code_matches(pending, request["code"], tokens.digest):
        reason = wrong_code(pending.tries_left - 1)
        raise InvalidRequest(reason, fields={"code": [reason]})
    _refuse_if_taken(account, kind, pending.address, repo)

    if getattr(account.profile, kind) == pending.address:
        _reset_if_bad(account, kind, pending.address, notify)
        repo.complete_verification(pending, None, None)
        return stored_account_document(repo, account.person_id)
    profile = replace(account.profile, **{kind: pending.address})
    publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(replace(account, profile=profile))]})
    repo.complete_verification(pending, profile, _own_edit(account, profile, clock))
    return stored_account_document(repo, account.person_id)


def remove_credential(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    account = existing_account(repo, request["viewer"]["person_id"])
    kind = request["kind"]
    refusal = removal_refusal(account, kind)
    if refusal is not None:
        raise InvalidRequest(refusal, fields={"kind": [refusal]})
    profile = replace(account.profile, **{kind: None})
    publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(replace(account, profile=profile))]})
    repo.replace_contact_details(profile, _own_edit(account, profile, clock))
    return stored_account_document(repo, account.person_id)


def _refuse_if_taken(account: Account, kind: str, address: str, repo: AccountRepository) -> None:
    """A credential of another account whose owner joined is theirs (CREDENTIAL_OF_JOINED_ACCOUNT).

    Unlike staff, the person is not told whose account it is.
    """
    wanted = {(kind, address)}
    profile = replace(account.profile, **{kind: address})
    holders = joined_holders(repo.accounts_holding(wanted, joined_only=True), wanted)
    if taken_by_joined(account.person_id, account.profile, profile, holders):
        reason = belongs_to_joined_account(address)
        raise Conflict(identity.CREDENTIAL_OF_JOINED_ACCOUNT, fields={"value": [reason]})


def _reset_if_bad(account: Account, kind: str, address: str, notify: Notify) -> None:
    health = notify.get_credential_health({"person_ids": [account.person_id]})["credentials"]
    if any(row["kind"] == kind and row["address"] == address and row["state"] == BAD for row in health):
        notify.reset_credential_status({"person_id": account.person_id, "kind": kind,
                                        "reset_by": account.person_id, "reason": PROVED_CONTROL})


def _own_edit(account: Account, profile: Profile, clock: Clock) -> AccountEdit:
    """The history of a change the person made to their own account."""
    return account_edit({"person_id": account.person_id, "changed_by": account.person_id}, CONTACT_DETAILS,
                 contact_details(account.profile), contact_details(profile), clock)
