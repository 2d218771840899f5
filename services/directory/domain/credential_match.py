"""Whom an email and/or mobile phone typed by hand belongs to: link that person, make a new one, or refuse.

DESIGN.md (Accounts): one person is one account; a credential may be shared by accounts whose owners have
not joined (two parents, one phone); adding someone with a credential that belongs to an account its
owner controls (has joined) fails with "This email and phone can't be used at the same time", and staff
link that existing account instead. So, in this order:

1. a joined account holds one of the given credentials but not every one: refuse, naming it;
2. a joined account of another district holds every one: refuse (it cannot be linked across districts);
3. accounts of the district hold every one: link the joined one, or the only one; several that have not
   joined are a choice only staff can make (refused, naming them all);
4. otherwise a new person, sharing whatever credentials accounts that have not joined hold.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.contracts.identity import CREDENTIAL_OF_JOINED_ACCOUNT

CREATE, LINK, REFUSE = "create", "link", "refuse"
JOINED = "already belongs to another account that has joined"
OF_ANOTHER_DISTRICT = "already belongs to an account of another district that has joined"
SEVERAL = "belongs to several people who have not joined: add one of them by id"
SEVERAL_HOLDERS = "Several people already have this email and phone: add one of them by id (existing_person_id)"


@dataclass(frozen=True)
class Holder:
    """An account holding some of the given credentials (identity.match_credentials)."""

    person_id: str
    holds: frozenset[str]  # which of the given kinds ("email", "mobile_phone") it holds
    joined: bool
    in_district: bool  # an account of the viewer's district


@dataclass(frozen=True)
class Decision:
    outcome: str
    person_id: str | None = None  # the account to link
    message: str | None = None  # why it was refused, as the product says it
    reason: str | None = None  # why, for each refused credential (after its value)
    refused_kinds: tuple[str, ...] = ()  # the given credentials the refusal is about
    existing_person_ids: tuple[str, ...] = ()  # whom staff can link instead


def decide(given: Iterable[str], holders: Iterable[Holder]) -> Decision:
    """`given`: the kinds of credential typed (at least one for a match to matter)."""
    given = frozenset(given)
    holders = sorted((h for h in holders if h.holds & given), key=lambda h: h.person_id)
    if not given:
        return Decision(CREATE)
    partly = [h for h in holders if h.joined and not given <= h.holds]
    if partly:
        return _taken_by(partly[0], given)
    whole = [h for h in holders if given <= h.holds]
    foreign_joined = [h for h in whole if h.joined and not h.in_district]
    if foreign_joined:
        return Decision(REFUSE, message=CREDENTIAL_OF_JOINED_ACCOUNT, reason=OF_ANOTHER_DISTRICT,
                        refused_kinds=_ordered(given))
    local = [h for h in whole if h.in_district]
    joined = [h for h in local if h.joined]
    if joined:
        return Decision(LINK, person_id=joined[0].person_id)
    if len(local) == 1:
        return Decision(LINK, person_id=local[0].person_id)
    if local:
        return Decision(REFUSE, message=SEVERAL_HOLDERS, reason=SEVERAL, refused_kinds=_ordered(given),
                        existing_person_ids=tuple(h.person_id for h in local))
    return Decision(CREATE)


def may_only_share(given: Iterable[str], holders: Iterable[Holder]) -> Decision:
    """For a person who is new whatever the match (a student typed by hand): credentials of accounts that
    have not joined are shared; one a joined account holds is refused."""
    given = frozenset(given)
    joined = sorted((h for h in holders if h.joined and h.holds & given), key=lambda h: h.person_id)
    return _taken_by(joined[0], given) if joined else Decision(CREATE)


def _taken_by(owner: Holder, given: frozenset[str]) -> Decision:
    """Refused: a joined account holds some of the given credentials (named when staff can link it)."""
    return Decision(REFUSE, message=CREDENTIAL_OF_JOINED_ACCOUNT, reason=JOINED,
                    refused_kinds=_ordered(owner.holds & given),
                    existing_person_ids=(owner.person_id,) if owner.in_district else ())


def _ordered(kinds: frozenset[str]) -> tuple[str, ...]:
    return tuple(kind for kind in ("email", "mobile_phone") if kind in kinds)
