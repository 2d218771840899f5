"""Invitations and joining: issuing each person's Join link and code, and joining with one of them."""
from __future__ import annotations

from shared.contracts import identity

from .adapters.repository import AccountRepository
from .adapters.tokens import TokenSigner
from .domain.join_tokens import REFUSALS, invitation_outcome, new_invitation
from .handlers import Clock, Publish


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
    repo.replace_join_tokens(invitations)
    if invitations:
        publish(identity.JOIN_TOKENS_ISSUED, {"person_ids": [token.person_id for token in invitations],
                                              "issued_at": now})
    return {"results": results}
