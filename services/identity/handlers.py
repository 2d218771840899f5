"""identity's use cases: each takes a loaded request and its collaborators, returns the response.

Repository methods commit their own unit of work. `publish` writes to identity's outbox
(shared/outbox.py) and its rows are inserted at the session's next commit, so a handler
publishes just before the repository call that stores the change: both commit together.
Where only the write finds whether there is a change (a join or first login raced by another),
the handler hands it an `announce` that publishes inside the write's transaction once it is certain.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from shared.contracts import identity
from shared.contracts.base import Event
from shared.contracts.errors import (
    Conflict, InvalidRequest, NotAuthenticated, NotFound, PermissionDenied, TooManyRequests,
)
from shared.contracts.permissions import permission_change_refusal

from .adapters.repository import AccountRepository
from .adapters.tokens import TokenSigner
from .domain.accounts import (
    ACTIVE,
    FAILED,
    INVITEE,
    Account,
    ItemOutcome,
    canonical_permissions,
    staff_permissions_refusal,
)
from .domain.credentials import EMAIL, LOGIN_KINDS, MOBILE_PHONE, InvalidCredential, parse_login
from .domain.documents import (
    account_change_document,
    account_document,
    credential_holder_document,
    permission_change_document,
    principal_document,
)
from .domain.hand_edits import (
    CONTACT_DETAILS,
    CONTACT_FIELDS,
    MANUAL_ROLES,
    AccountEdit,
    conflict_fields,
    contact_details,
    edited_profile,
    manual_roles_document,
    manual_roles_with,
    normalise_typed,
)
from .domain.joined_credentials import joined_holders, new_credentials, taken_by_joined
from .domain.password_policy import refusal_for_account
from .domain.passwords import PasswordChecksBusy, Passwords, find_password_owner
from .domain.sessions import PermissionChange
from .domain.sign_in import sign_in_refusal
from .domain.upserts import credentials_to_check, draft_upserts, plan_upserts
from .handlers_sessions import TOO_MANY_PASSWORD_CHECKS, open_session, signed_in

Publish = Callable[[Event, dict], None]
Clock = Callable[[], datetime]

# One message for every failed login, so a caller cannot learn which logins exist.
LOGIN_FAILED = "the login or password is incorrect"


def upsert_accounts(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    items = request["accounts"]
    existing = repo.accounts_by_person_id([item["person_id"] for item in items])
    drafts = draft_upserts(items, district_id=request["district_id"], region=request["region"], existing=existing,
                           update_contact_details_of_joined=request["update_contact_details_of_active_users"])
    wanted = credentials_to_check(drafts)
    in_store = joined_holders(repo.accounts_holding(wanted, joined_only=True), wanted)
    plan = plan_upserts(drafts, joined_holders_in_store=in_store)
    if plan.changed:  # staged first: it commits with the accounts
        publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(a) for a in plan.changed]})
    repo.save_accounts(plan.created, plan.updated, clock())
    return {"results": [_item_result(outcome) for outcome in plan.outcomes]}


def login(request: dict, *, repo: AccountRepository, passwords: Passwords, tokens: TokenSigner,
          publish: Publish, clock: Clock) -> dict:
    try:
        kind, value = parse_login(request["login"])
    except InvalidCredential:
        candidates = []
    else:
        candidates = repo.accounts_with_credential(kind, value)
    try:
        account = find_password_owner(candidates, request["password"], passwords)
    except PasswordChecksBusy:
        raise TooManyRequests(TOO_MANY_PASSWORD_CHECKS) from None
    if account is None:
        raise NotAuthenticated(LOGIN_FAILED)

    now, person_id = clock(), account.person_id
    opened = open_session(person_id, now, tokens)
    first_login = account.status == INVITEE
    rehashed = _stronger_hash(account.password_hash, request["password"], passwords)
    joined = repo.record_login(
        opened.session, joined_at=now if first_login else None, rehashed_password=rehashed,
        refresh_token=opened.refresh_token,
        announce_join=lambda: publish(identity.USER_JOINED, {"person_id": person_id, "joined_at": now}))
    if joined:
        account = replace(account, status=ACTIVE, joined_at=now)
    elif first_login:
        # A simultaneous first login joined the account a moment earlier; show what it stored.
        account = repo.account(account.person_id) or account
    return {**opened.tokens, "principal": principal_document(account)}


def authenticate(request: dict, *, repo: AccountRepository, tokens: TokenSigner, clock: Clock) -> dict:
    _, account = signed_in(request["token"], repo=repo, tokens=tokens, now=clock())
    return principal_document(account)


def get_accounts(request: dict, *, repo: AccountRepository) -> dict:
    wanted = list(dict.fromkeys(request["person_ids"]))
    found = {account.person_id: (account, email_shared, mobile_shared)
             for account, email_shared, mobile_shared in repo.accounts_with_shared_flags(wanted)}
    documents = [account_document(account, email_shared=email_shared, mobile_shared=mobile_shared)
                 for account, email_shared, mobile_shared in (found[p] for p in wanted if p in found)]
    return {"accounts": documents}


def set_password(request: dict, *, repo: AccountRepository, passwords: Passwords, clock: Clock) -> dict:
    try:
        kind, value = parse_login(request["login"])
    except InvalidCredential as error:
        raise InvalidRequest("the login is neither an email address nor a mobile phone number",
                             fields={"login": [error.reason]}) from None
    matches = repo.accounts_with_credential(kind, value)
    if not matches:
        raise NotFound(f"no account signs in with {value}")
    if len(matches) > 1:
        reason = f"{value} is shared by {len(matches)} accounts, so it does not say whose password to set"
        raise InvalidRequest(reason, fields={"login": [reason]})
    [account] = matches
    refusal = sign_in_refusal(account)
    if refusal is not None:
        raise InvalidRequest(f"no password can be set for {value}: {refusal}", fields={"login": [refusal]})
    repo.replace_password(account.person_id, password_hash_for(account, request["password"], passwords), clock())
    return {}


def password_hash_for(account: Account, password: str, passwords: Passwords) -> str:
    """The Argon2id hash of a password `account` may choose (password_policy); InvalidRequest naming
    `password` when it may not, TooManyRequests when identity is saturated with hashing."""
    refusal = refusal_for_account(password, account)
    if refusal is not None:
        raise InvalidRequest(refusal, fields={"password": [refusal]})
    try:
        return passwords.hash(password)
    except PasswordChecksBusy:
        raise TooManyRequests(TOO_MANY_PASSWORD_CHECKS) from None


def record_student_enablements(payload: dict, *, repo: AccountRepository, clock: Clock) -> int:
    """Directory enabled these students' accounts; kept whether or not identity has the accounts yet."""
    person_ids = list(dict.fromkeys(payload["person_ids"]))
    repo.record_student_enablements(person_ids, enabled_by=payload["enabled_by"], now=clock())
    return len(person_ids)


def set_staff_permissions(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    """Replaces a staff member's custom permissions when the one who asks (`changed_by`, judged on identity's
    own record of them, not on what a caller says they hold) may make exactly this change."""
    person_id = request["person_id"]
    account = existing_account(repo, person_id)
    permissions = canonical_permissions(request["permissions"])
    refusal = staff_permissions_refusal(account, permissions)
    if refusal is not None:
        raise InvalidRequest(refusal, fields={"permissions": [refusal]})
    granter = repo.account(request["changed_by"])
    # A granter identity has no account for holds no role: the rule refuses them like anyone without one.
    granter_principal = principal_document(granter) if granter else {"person_id": request["changed_by"], "roles": []}
    # The target as stored: what they hold now, effective or not, is what the change is measured against.
    target = {**principal_document(account), "permissions": account.permissions}
    authority = permission_change_refusal(granter_principal, target, permissions)
    if authority is not None:
        raise PermissionDenied(authority, fields={"permissions": [authority]})
    if permissions != account.permissions:
        change = PermissionChange(
            id=uuid.uuid4().hex, person_id=person_id, previous_permissions=account.permissions,
            permissions=permissions, changed_by=request["changed_by"], changed_at=clock())
        publish(identity.STAFF_PERMISSIONS_CHANGED, permission_change_document(change, account.profile.district_id))
        repo.replace_permissions(change)
    return stored_account_document(repo, person_id)


def match_credentials(request: dict, *, repo: AccountRepository) -> dict:
    """Every account holding the given email or mobile phone, so staff adding someone by hand can see
    whether the person has an account already (and whether its owner joined)."""
    typed, invalid = normalise_typed({kind: request[kind] for kind in LOGIN_KINDS}, request["region"])
    if invalid:
        raise InvalidRequest(_not_valid(invalid), fields=invalid)
    asked = {(kind, value) for kind, value in typed.items() if value is not None}
    holders = repo.accounts_holding(asked)
    return {**typed, "holders": [credential_holder_document(account, typed[EMAIL], typed[MOBILE_PHONE])
                                 for account in holders]}


def grant_roles(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    """Adds role grants made by hand; they are kept apart from the synced ones, so later syncs keep them."""
    account = existing_account(repo, request["person_id"])
    manual_roles = manual_roles_with(account, request["roles"])
    if manual_roles != account.manual_roles:
        granted = replace(account, manual_roles=manual_roles)
        if granted.roles != account.roles:
            publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(granted)]})
        repo.replace_manual_roles(manual_roles, account_edit(
            request, MANUAL_ROLES, manual_roles_document(account.manual_roles),
            manual_roles_document(manual_roles), clock))
    return stored_account_document(repo, account.person_id)


def update_contact_details(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    """A hand edit of an account's email and phones; a credential of another account whose owner joined
    is refused (Conflict), naming that account so staff can link it instead."""
    typed, invalid = normalise_typed({name: request[name] for name in CONTACT_FIELDS if name in request},
                                     request["region"])
    if invalid:
        raise InvalidRequest(_not_valid(invalid), fields=invalid)
    account = existing_account(repo, request["person_id"])
    profile = edited_profile(account.profile, typed)
    wanted = new_credentials(account.profile, profile)
    in_store = joined_holders(repo.accounts_holding(wanted, joined_only=True), wanted)
    taken = taken_by_joined(account.person_id, account.profile, profile, in_store)
    if taken:
        raise Conflict(identity.CREDENTIAL_OF_JOINED_ACCOUNT, fields=conflict_fields(taken, typed))
    if profile != account.profile:
        publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(replace(account, profile=profile))]})
        repo.replace_contact_details(profile, account_edit(request, CONTACT_DETAILS, contact_details(account.profile),
                                                    contact_details(profile), clock))
    return stored_account_document(repo, account.person_id)


def record_archivals(payload: dict, *, repo: AccountRepository, clock: Clock) -> int:
    """Directory changed these people; keep which of them are archived, whether or not identity has their
    accounts yet. A person named twice in one page is as their last row says."""
    archived = {person["person_id"]: person["archived"] for person in payload["people"]}
    repo.record_archivals([p for p, is_archived in archived.items() if is_archived],
                          [p for p, is_archived in archived.items() if not is_archived], clock())
    return len(archived)


def existing_account(repo: AccountRepository, person_id: str) -> Account:
    account = repo.account(person_id)
    if account is None:
        raise NotFound(f"no account for person {person_id}")
    return account


def stored_account_document(repo: AccountRepository, person_id: str) -> dict:
    [(account, email_shared, mobile_shared)] = repo.accounts_with_shared_flags([person_id])
    return account_document(account, email_shared=email_shared, mobile_shared=mobile_shared)


def account_edit(request: dict, what: str, previous: dict, current: dict, clock: Clock) -> AccountEdit:
    return AccountEdit(id=uuid.uuid4().hex, person_id=request["person_id"], what=what, previous=previous,
                       current=current, changed_by=request["changed_by"], changed_at=clock())


def _not_valid(invalid: dict[str, list[str]]) -> str:
    return "; ".join(f"{name}: {reasons[0]}" for name, reasons in invalid.items())


def _stronger_hash(password_hash: str, password: str, passwords: Passwords) -> str | None:
    """The password hashed with today's parameters when the stored hash is weaker, else None.

    Rehashing is an improvement, not part of signing in: when the service is busy
    it waits for a later login rather than refusing this one.
    """
    if not passwords.needs_rehash(password_hash):
        return None
    try:
        return passwords.hash(password)
    except PasswordChecksBusy:
        return None


def _item_result(outcome: ItemOutcome) -> dict:
    return {
        "key": outcome.key,
        "id": None if outcome.outcome == FAILED else outcome.key,
        "outcome": outcome.outcome,
        "problems": [{"field": problem.field, "reason": problem.reason} for problem in outcome.problems],
    }
