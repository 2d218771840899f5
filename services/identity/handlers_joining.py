"""Invitations and joining: issuing each person's Join link and code, and joining with one of them."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest

from .adapters.repository import AccountRepository
from .adapters.tokens import TokenSigner
from .domain.accounts import ACTIVE, Account
from .domain.documents import account_change_document, principal_document
from .domain.join_tokens import (
    INVITATION_NOT_VALID,
    INVITATION_USED,
    REFUSALS,
    JoinToken,
    canonical_code,
    invitation_outcome,
    new_invitation,
)
from .domain.passwords import Passwords
from .handlers import Clock, Publish, password_hash_for
from .handlers_sessions import open_session
from .handlers_settings import language_of_choice, offered_to


def issue_join_tokens(request: dict, *, repo: AccountRepository, tokens: TokenSigner, publish: Publish,
                      clock: Clock) -> dict:
    """A new invitation for each person who may be invited (it replaces their earlier one), and for every
    other person why not; one read and one write for the whole page."""
    person_ids = list(dict.fromkeys(request["person_ids"]))
    found = repo.accounts_by_person_id(person_ids)
    now = clock()
    results, invitations = [], []
    for person_id in person_ids:
        outcome = invitation_outcome(found.get(person_id))
        if outcome != identity.JOIN_TOKEN_ISSUED:
            results.append({"person_id": person_id, "outcome": outcome, "reason": REFUSALS[outcome],
                            "token": None, "join_code": None, "expires_at": None})
            continue
        invitation = new_invitation(person_id, issued_by=request["issued_by"], now=now, digest=tokens.digest)
        invitations.append(invitation.stored)
        results.append({"person_id": person_id, "outcome": outcome, "reason": None, "token": invitation.token,
                        "join_code": invitation.join_code, "expires_at": invitation.stored.expires_at})
    if invitations:  # staged first: it commits with the tokens
        publish(identity.JOIN_TOKENS_ISSUED, {"person_ids": [token.person_id for token in invitations],
                                              "issued_at": now})
    repo.replace_join_tokens(invitations)
    return {"results": results}


def join(request: dict, *, repo: AccountRepository, passwords: Passwords, tokens: TokenSigner, publish: Publish,
         clock: Clock) -> dict:
    """Join Now: the invitation's account gets its password and language, becomes active and is signed in.

    Every check comes before the one write, which uses the invitation up only if nobody did meanwhile;
    so a refused join (forged, expired or used invitation, a weak password, a language the district
    does not offer) changes nothing.
    """
    now = clock()
    invitation, account = _usable_invitation(request, repo, tokens, now)
    language = language_of_choice(request["language"], repo, account.profile.district_id)
    password_hash = password_hash_for(account, request["password"], passwords)

    opened = open_session(account.person_id, now, tokens)
    joined = replace(account, status=ACTIVE, joined_at=now, password_hash=password_hash, language=language)

    def announce_join() -> None:
        publish(identity.USER_JOINED, {"person_id": joined.person_id, "joined_at": now})
        publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(joined)]})

    if not repo.record_join(invitation, opened.session, opened.refresh_token, password_hash=password_hash,
                            language=language, now=now, announce_join=announce_join):
        raise Conflict(INVITATION_USED, fields={_field(request): [INVITATION_USED]})
    return {**opened.tokens, "principal": principal_document(joined)}


def check_join_invitation(request: dict, *, repo: AccountRepository, tokens: TokenSigner, clock: Clock) -> dict:
    """Whether the invitation can be used, and what the Join page offers; changes nothing."""
    invitation, account = _usable_invitation(request, repo, tokens, clock())
    return {"given_name": account.profile.given_name, "expires_at": invitation.expires_at,
            "languages": list(offered_to(repo, account.profile.district_id))}


def _usable_invitation(request: dict, repo: AccountRepository, tokens: TokenSigner,
                       now: datetime) -> tuple[JoinToken, Account]:
    """The invitation the request names and its account, if it can be used now: InvalidRequest when it is
    forged or expired or its account may not sign in, Conflict when it was used (or the person joined)."""
    field = _field(request)
    if "token" in request:
        invitation = repo.join_token(token_hash=tokens.digest(request["token"]))
    else:
        invitation = repo.join_token(code_hash=tokens.digest(canonical_code(request["join_code"])))
    if invitation is None:
        raise InvalidRequest(INVITATION_NOT_VALID, fields={field: [INVITATION_NOT_VALID]})
    refusal = invitation.refusal_at(now)
    account = repo.account(invitation.person_id)
    if refusal == INVITATION_USED or account.has_joined:
        raise Conflict(INVITATION_USED, fields={field: [INVITATION_USED]})
    outcome = invitation_outcome(account)
    if refusal is None and outcome != identity.JOIN_TOKEN_ISSUED:
        refusal = REFUSALS[outcome]
    if refusal is not None:
        raise InvalidRequest(refusal, fields={field: [refusal]})
    return invitation, account


def _field(request: dict) -> str:
    """The field naming the invitation: the link's token or the printed code."""
    return "token" if "token" in request else "join_code"
