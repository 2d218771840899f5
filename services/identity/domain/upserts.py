"""How one page of upsert_accounts changes accounts, decided without I/O.

Two passes, because one rule needs the database between them: `draft_upserts`
reads each row into the profile it asks for; the handler looks up, in one
query, which of the credentials those profiles newly ask for belong to
accounts whose owners have joined (`credentials_to_check`); `plan_upserts`
then settles every row.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .accounts import (
    ACTIVE,
    CREATED,
    DISABLED,
    FAILED,
    INVITEE,
    UNCHANGED,
    UPDATED,
    Account,
    ItemOutcome,
    Problem,
    Profile,
    canonical_roles,
)
from .credentials import (
    EMAIL,
    HOME_PHONE,
    LOGIN_KINDS,
    MOBILE_PHONE,
    InvalidCredential,
    blank_to_none,
    normalise_email,
    normalise_phone,
)
from .joined_credentials import (
    Credential,
    JoinedHolders,
    belongs_to_joined_account,
    joined_holders,
    new_credentials,
    refused_on,
    taken_by_joined,
)

REPEATED_PERSON = Problem("person_id", "appears more than once in this page; the first row was applied")


@dataclass(frozen=True, slots=True)
class Draft:
    """One row read into the profile it asks for, before the joined-credential rule settles it."""

    person_id: str
    stored: Account | None
    # None for a person who already had a row earlier in the page: the row fails.
    profile: Profile | None
    problems: tuple[Problem, ...] = ()
    enabled: bool = True

    @property
    def stored_profile(self) -> Profile | None:
        return self.stored.profile if self.stored is not None else None


@dataclass(slots=True)
class UpsertPlan:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    created: list[Account] = field(default_factory=list)
    updated: list[Account] = field(default_factory=list)

    @property
    def changed(self) -> list[Account]:
        return self.created + self.updated


def status_after_sync(stored: Account | None, *, enabled: bool) -> tuple[str, bool]:
    """(status, disabled_by_sync) once a row says whether the source enables the account.

    Only a disablement the source made is lifted by the source, and lifting it
    restores what the account was: invitee, or active once the person has joined.
    """
    if stored is None:
        return (INVITEE, False) if enabled else (DISABLED, True)
    if not enabled:
        if stored.status == DISABLED:
            return DISABLED, stored.disabled_by_sync
        return DISABLED, True
    if stored.status == DISABLED and stored.disabled_by_sync:
        return (ACTIVE if stored.joined_at is not None else INVITEE), False
    return stored.status, stored.disabled_by_sync


def prepare_profile(item: Mapping, *, district_id: str, region: str, stored: Profile | None,
                    keep_contact_details: bool = False) -> tuple[Profile, tuple[Problem, ...]]:
    """The profile an input row asks for, and the problems found on its fields.

    An invalid credential never refuses the row: it is reported, and the account
    keeps what it had for that field (nothing, for a new account), so a typo in
    an export does not cut a family off from a working contact. The same holds
    for the fields the row lists in `invalid_fields`: the source had a value
    there, its reader refused (and reported) it, so the empty field is no removal.
    With `keep_contact_details` the row's email and phones are not read at all:
    the stored ones stay, and that is no problem of the row.
    """
    problems: list[Problem] = []
    refused_at_source = set(item.get("invalid_fields") or ())

    def kept(name: str) -> str | None:
        return getattr(stored, name) if stored is not None else None

    def credential(name: str, normalise) -> str | None:
        if keep_contact_details or name in refused_at_source:
            return kept(name)
        raw = blank_to_none(item.get(name))
        if raw is None:
            return None
        try:
            return normalise(raw)
        except InvalidCredential as error:
            problems.append(Problem(name, error.reason))
            return kept(name)

    def phone(value: str) -> str:
        return normalise_phone(value, region)

    profile = Profile(
        district_id=district_id,
        given_name=item["given_name"],
        family_name=item["family_name"],
        email=credential(EMAIL, normalise_email),
        mobile_phone=credential(MOBILE_PHONE, phone),
        home_phone=credential(HOME_PHONE, phone),
        roles=canonical_roles(item["roles"]),
        managed_by_sync=item.get("managed_by_sync", True),
    )
    return profile, tuple(problems)


def draft_upserts(items: Iterable[Mapping], *, district_id: str, region: str, existing: Mapping[str, Account],
                  update_contact_details_of_joined: bool = True) -> list[Draft]:
    """Each row as the profile it asks for; `update_contact_details_of_joined` is the district's setting
    "allow sync to update contact details of active users"."""
    drafts: list[Draft] = []
    seen: set[str] = set()
    for item in items:
        person_id = item["person_id"]
        if person_id in seen:
            drafts.append(Draft(person_id, None, None, (REPEATED_PERSON,)))
            continue
        seen.add(person_id)
        stored = existing.get(person_id)
        keep = stored is not None and stored.has_joined and not update_contact_details_of_joined
        profile, problems = prepare_profile(item, district_id=district_id, region=region,
                                            stored=stored.profile if stored else None, keep_contact_details=keep)
        drafts.append(Draft(person_id, stored, profile, problems, item.get("enabled", True)))
    return drafts


def credentials_to_check(drafts: Iterable[Draft]) -> set[Credential]:
    """The login credentials the rows ask for that their accounts do not hold yet."""
    return {credential for draft in drafts if draft.profile is not None
            for credential in new_credentials(draft.stored_profile, draft.profile)}


def plan_upserts(drafts: Sequence[Draft], *, joined_holders_in_store: JoinedHolders) -> UpsertPlan:
    """Decide, per row, whether the account is created, updated or unchanged.

    `joined_holders_in_store` answers for (at least) `credentials_to_check(drafts)`.
    A credential that a joined account of this same page asks for counts as
    theirs too, so no order of the rows hands it to someone else.
    """
    asked_by_joined = _asked_by_joined(drafts)
    plan = UpsertPlan()
    for draft in drafts:
        if draft.profile is None:
            plan.outcomes.append(ItemOutcome(draft.person_id, FAILED, draft.problems))
            continue
        profile, refused = _without_credentials_of_joined(draft, joined_holders_in_store, asked_by_joined)
        status, disabled_by_sync = status_after_sync(draft.stored, enabled=draft.enabled)
        stored = draft.stored
        if stored is None:
            plan.created.append(Account(draft.person_id, profile, status=status, disabled_by_sync=disabled_by_sync))
            outcome = CREATED
        elif (stored.profile, stored.status, stored.disabled_by_sync) == (profile, status, disabled_by_sync):
            outcome = UNCHANGED
        else:
            plan.updated.append(replace(stored, profile=profile, status=status, disabled_by_sync=disabled_by_sync))
            outcome = UPDATED
        plan.outcomes.append(ItemOutcome(draft.person_id, outcome, draft.problems + refused))
    return plan


def _asked_by_joined(drafts: Iterable[Draft]) -> dict[Credential, frozenset[str]]:
    joined_accounts = [replace(draft.stored, profile=draft.profile) for draft in drafts
                       if draft.profile is not None and draft.stored is not None and draft.stored.has_joined]
    asked = {credential for account in joined_accounts for credential in new_credentials(None, account.profile)}
    return joined_holders(joined_accounts, asked)


def _without_credentials_of_joined(draft: Draft, in_store: JoinedHolders,
                                   asked_by_joined: JoinedHolders) -> tuple[Profile, tuple[Problem, ...]]:
    """The draft's profile keeping its stored value wherever a joined account of another person holds
    (or asks for) the value the row names, with a problem on each such field."""
    held = taken_by_joined(draft.person_id, draft.stored_profile, draft.profile, in_store)
    asked = taken_by_joined(draft.person_id, draft.stored_profile, draft.profile, asked_by_joined)
    kept: dict[str, str | None] = {}
    problems: list[Problem] = []
    for kind in LOGIN_KINDS:
        value = getattr(draft.profile, kind)
        if kind in held:
            reason = belongs_to_joined_account(value)
        elif kind in asked:
            reason = f"{value} is also given by this sync to another account that has joined"
        else:
            continue
        kept[kind] = getattr(draft.stored_profile, kind) if draft.stored is not None else None
        problems.append(refused_on(kind, reason))
    return replace(draft.profile, **kept), tuple(problems)
