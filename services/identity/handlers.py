"""identity's use cases: each takes a loaded request and its collaborators, returns the response.

Repository methods commit their own unit of work, so every `publish` below
runs after the change it announces is stored.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from shared.contracts import identity
from shared.contracts.base import Event
from shared.contracts.errors import InvalidRequest, NotAuthenticated, NotFound, TooManyRequests

from .adapters.repository import AccountRepository
from .adapters.tokens import InvalidToken, TokenSigner
from .domain.accounts import (
    ACTIVE,
    FAILED,
    INVITEE,
    ItemOutcome,
    canonical_permissions,
    plan_upserts,
    staff_permissions_refusal,
)
from .domain.credentials import InvalidCredential, parse_login
from .domain.documents import account_change_document, account_document, principal_document
from .domain.passwords import PasswordChecksBusy, Passwords, find_password_owner
from .domain.sessions import LoginSession, PermissionChange
from .domain.sign_in import may_sign_in, sign_in_refusal

Publish = Callable[[Event, dict], None]
Clock = Callable[[], datetime]

# One message for every failed login, so a caller cannot learn which logins exist.
LOGIN_FAILED = "the login or password is incorrect"
SESSION_NOT_VALID = "the session is not valid: sign in again"
# Every login and password change costs an Argon2 hash; past what identity can afford at once it refuses.
TOO_MANY_PASSWORD_CHECKS = "too many sign-ins are being checked right now: try again in a few seconds"


def upsert_accounts(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    items = request["accounts"]
    existing = repo.accounts_by_person_id([item["person_id"] for item in items])
    plan = plan_upserts(items, district_id=request["district_id"], region=request["region"], existing=existing)
    repo.save_accounts(plan.created, plan.updated, clock())
    if plan.changed:
        publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(a) for a in plan.changed]})
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

    now = clock()
    issued = tokens.issue(account.person_id, now)
    first_login = account.status == INVITEE
    rehashed = _stronger_hash(account.password_hash, request["password"], passwords)
    joined = repo.record_login(
        LoginSession(jti=issued.jti, person_id=account.person_id, issued_at=issued.issued_at,
                     expires_at=issued.expires_at),
        joined_at=now if first_login else None, rehashed_password=rehashed)
    if joined:
        account = replace(account, status=ACTIVE, joined_at=now)
        publish(identity.USER_JOINED, {"person_id": account.person_id, "joined_at": now})
    elif first_login:
        # A simultaneous first login joined the account a moment earlier; show what it stored.
        account = repo.account(account.person_id) or account
    return {"token": issued.token, "expires_at": issued.expires_at, "principal": principal_document(account)}


def authenticate(request: dict, *, repo: AccountRepository, tokens: TokenSigner, clock: Clock) -> dict:
    now = clock()
    try:
        claims = tokens.verify(request["token"], now)
    except InvalidToken:
        raise NotAuthenticated(SESSION_NOT_VALID) from None
    found = repo.session_with_account(claims.jti)
    if found is None:
        raise NotAuthenticated(SESSION_NOT_VALID)
    login_session, account = found
    # The sign-in rule holds for open sessions too: a role change can leave a student not enabled.
    if (login_session.person_id != claims.person_id or not login_session.is_valid_at(now)
            or not may_sign_in(account)):
        raise NotAuthenticated(SESSION_NOT_VALID)
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
    try:
        password_hash = passwords.hash(request["password"])
    except PasswordChecksBusy:
        raise TooManyRequests(TOO_MANY_PASSWORD_CHECKS) from None
    repo.replace_password(account.person_id, password_hash, clock())
    return {}


def record_student_enablements(payload: dict, *, repo: AccountRepository, clock: Clock) -> int:
    """Directory enabled these students' accounts; kept whether or not identity has the accounts yet."""
    person_ids = list(dict.fromkeys(payload["person_ids"]))
    repo.record_student_enablements(person_ids, enabled_by=payload["enabled_by"], now=clock())
    return len(person_ids)


def set_staff_permissions(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    person_id = request["person_id"]
    account = repo.account(person_id)
    if account is None:
        raise NotFound(f"no account for person {person_id}")
    permissions = canonical_permissions(request["permissions"])
    refusal = staff_permissions_refusal(account, permissions)
    if refusal is not None:
        raise InvalidRequest(refusal, fields={"permissions": [refusal]})
    if permissions != account.permissions:
        repo.replace_permissions(PermissionChange(
            id=uuid.uuid4().hex, person_id=person_id, previous_permissions=account.permissions,
            permissions=permissions, changed_by=request["changed_by"], changed_at=clock()))
        publish(identity.STAFF_PERMISSIONS_CHANGED,
                {"person_id": person_id, "permissions": list(permissions), "changed_by": request["changed_by"]})
    [(account, email_shared, mobile_shared)] = repo.accounts_with_shared_flags([person_id])
    return account_document(account, email_shared=email_shared, mobile_shared=mobile_shared)


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
