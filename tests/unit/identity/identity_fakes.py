"""An in-memory AccountRepository, so handlers can be tested without a database."""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher

from services.identity.adapters.tokens import TokenSigner
from services.identity.domain.accounts import ACTIVE, DISABLED, INVITEE, Account, Profile, RoleGrant
from services.identity.domain.credentials import LOGIN_KINDS
from services.identity.domain.hand_edits import AccountEdit
from services.identity.domain.passwords import Argon2Passwords
from services.identity.domain.sessions import PASSWORD_SET, LoginSession, PermissionChange, RefreshToken
from services.identity.domain.join_tokens import JoinToken
from services.identity.domain.verification import PendingVerification
from shared.testing.recording_outbox import RecordingOutbox, writes_commit_with_outbox
from identity_builders import make_account

# Cheap Argon2 parameters and a fixed secret: what handler tests hash and sign with.
PASSWORDS = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
TOKENS = TokenSigner("k" * 40, timedelta(hours=12))


@writes_commit_with_outbox(
    "replace_join_tokens", "replace_district_languages", "replace_language", "record_join", "replace_verification",
    "claim_try", "complete_verification", "save_accounts", "record_student_enablements", "record_archivals",
    "record_login", "replace_password", "rotate_refresh_token", "revoke_session", "revoke_sessions_of",
    "replace_permissions", "replace_manual_roles", "replace_contact_details")
class InMemoryAccounts:
    """Like AccountRepository, enablements and archivals are kept apart and looked up whenever an account is read.
    Each write commits what the handler published through `outbox` (its `publish`), as identity's outbox does."""

    def __init__(self, accounts: Iterable[Account] = ()) -> None:
        self.outbox = RecordingOutbox()
        self.accounts = {account.person_id: account for account in accounts}
        self.sessions: dict[str, LoginSession] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.permission_changes: list[PermissionChange] = []
        self.student_enablements: dict[str, tuple[str, datetime]] = {}
        self.archived_people: dict[str, datetime] = {}
        self.edits: list[AccountEdit] = []
        self.join_tokens: dict[str, JoinToken] = {}
        self.district_languages_by_id: dict[str, tuple[str, ...]] = {}
        self.district_defaults: dict[str, str] = {}
        self.verifications: dict[tuple[str, str], PendingVerification] = {}

    def _read(self, account: Account) -> Account:
        return replace(account, student_enabled=account.person_id in self.student_enablements,
                       archived=account.person_id in self.archived_people)

    def account(self, person_id: str) -> Account | None:
        account = self.accounts.get(person_id)
        return self._read(account) if account is not None else None

    def accounts_by_person_id(self, person_ids: Collection[str]) -> dict[str, Account]:
        return {p: self._read(self.accounts[p]) for p in person_ids if p in self.accounts}

    def person_ids_of_district(self, district_id: str, after: str | None, limit: int) -> list[str]:
        return sorted(pid for pid, account in self.accounts.items()
                      if account.profile.district_id == district_id and (after is None or pid > after))[:limit]

    def accounts_with_credential(self, kind: str, value: str) -> list[Account]:
        return sorted((self._read(a) for a in self.accounts.values() if getattr(a.profile, kind) == value),
                      key=lambda account: account.person_id)

    def accounts_holding(self, credentials: Collection[tuple[str, str]], *, joined_only: bool = False
                         ) -> list[Account]:
        wanted = set(credentials)
        return [self._read(account) for _, account in sorted(self.accounts.items())
                if (account.joined_at is not None or not joined_only)
                and any((kind, getattr(account.profile, kind)) in wanted for kind in LOGIN_KINDS)]

    def accounts_with_shared_flags(self, person_ids: Collection[str]) -> list[tuple[Account, bool, bool]]:
        def shared(account: Account, kind: str) -> bool:
            value = getattr(account.profile, kind)
            return value is not None and any(getattr(other.profile, kind) == value
                                             for other in self.accounts.values()
                                             if other.person_id != account.person_id)

        return [(a, shared(a, "email"), shared(a, "mobile_phone"))
                for a in self.accounts_by_person_id(person_ids).values()]

    def session_with_account(self, jti: str) -> tuple[LoginSession, Account] | None:
        login_session = self.sessions.get(jti)
        if login_session is None:
            return None
        return login_session, self._read(self.accounts[login_session.person_id])

    def refresh_token_with_session(self, token_hash: str) -> tuple[RefreshToken, LoginSession, Account] | None:
        token = self.refresh_tokens.get(token_hash)
        if token is None:
            return None
        return (token, *self.session_with_account(token.session_id))
    def join_token(self, *, token_hash: str | None = None, code_hash: str | None = None) -> JoinToken | None:
        for token in self.join_tokens.values():
            if (token.token_hash == token_hash) if token_hash is not None else (token.code_hash == code_hash):
                return token
        return None

    def replace_join_tokens(self, tokens: Sequence[JoinToken]) -> None:
        self.join_tokens.update((token.person_id, token) for token in tokens)

    def district_languages(self, district_id: str | None) -> tuple[str, ...] | None:
        return self.district_languages_by_id.get(district_id)

    def district_default_language(self, district_id: str | None) -> str | None:
        return self.district_defaults.get(district_id)

    def replace_district_languages(self, district_id: str, languages: Sequence[str], default_language: str, *,
                                   changed_by: str, now: datetime) -> None:
        self.district_languages_by_id[district_id] = tuple(languages)
        self.district_defaults[district_id] = default_language

    def replace_language(self, person_id: str, language: str, now: datetime) -> None:
        self.accounts[person_id] = replace(self.accounts[person_id], language=language)

    def record_join(self, invitation: JoinToken, login_session: LoginSession, refresh_token: RefreshToken, *,
                    password_hash: str, language: str, now: datetime, announce_join=lambda: None) -> bool:
        stored = self.join_tokens.get(invitation.person_id)
        account = self.accounts[invitation.person_id]
        if (stored is None or stored.token_hash != invitation.token_hash or stored.refusal_at(now) is not None
                or account.status != INVITEE):
            self.outbox.rollback()
            return False
        announce_join()
        self.join_tokens[invitation.person_id] = replace(stored, used_at=now)
        self.accounts[account.person_id] = replace(account, status=ACTIVE, joined_at=now,
                                                   password_hash=password_hash, language=language)
        self.sessions[login_session.jti] = login_session
        self.refresh_tokens[refresh_token.token_hash] = refresh_token
        return True

    def verification(self, person_id: str, kind: str) -> PendingVerification | None:
        return self.verifications.get((person_id, kind))

    def replace_verification(self, pending: PendingVerification) -> None:
        self.verifications[(pending.person_id, pending.kind)] = pending

    def claim_try(self, pending: PendingVerification, *, max_tries: int) -> bool:
        stored = self.verifications.get((pending.person_id, pending.kind))
        if stored is None or stored.code_hash != pending.code_hash or stored.tries >= max_tries:
            return False
        self.verifications[(pending.person_id, pending.kind)] = replace(stored, tries=stored.tries + 1)
        return True

    def complete_verification(self, pending: PendingVerification, profile: Profile | None,
                              edit: AccountEdit | None) -> None:
        del self.verifications[(pending.person_id, pending.kind)]
        if profile is not None:
            self.replace_contact_details(profile, edit)

    def save_accounts(self, created: Sequence[Account], updated: Sequence[Account], now: datetime) -> None:
        for account in created:
            self.accounts[account.person_id] = replace(account, student_enabled=False)
        for account in updated:
            stored = self.accounts[account.person_id]
            if account.status == DISABLED and account.disabled_by_sync and stored.status != DISABLED:
                stored = replace(stored, status=DISABLED, disabled_by_sync=True)
            elif account.status != DISABLED and stored.status == DISABLED and stored.disabled_by_sync:
                stored = replace(stored, status=ACTIVE if stored.joined_at else INVITEE, disabled_by_sync=False)
            self.accounts[account.person_id] = replace(stored, profile=account.profile)

    def record_student_enablements(self, person_ids: Collection[str], *, enabled_by: str, now: datetime) -> None:
        for person_id in person_ids:
            self.student_enablements.setdefault(person_id, (enabled_by, now))

    def record_archivals(self, archived: Collection[str], unarchived: Collection[str], now: datetime) -> None:
        for person_id in archived:
            self.archived_people.setdefault(person_id, now)
        for person_id in unarchived:
            self.archived_people.pop(person_id, None)

    def record_login(self, login_session: LoginSession, *, joined_at: datetime | None,
                     rehashed_password: str | None, refresh_token: RefreshToken | None = None,
                     announce_join=lambda: None) -> bool:
        self.sessions[login_session.jti] = login_session
        if refresh_token is not None:
            self.refresh_tokens[refresh_token.token_hash] = refresh_token
        account = self.accounts[login_session.person_id]
        joined = joined_at is not None and account.status == INVITEE
        if joined:
            account = replace(account, status=ACTIVE, joined_at=joined_at)
            announce_join()
        if rehashed_password is not None:
            account = replace(account, password_hash=rehashed_password)
        self.accounts[account.person_id] = account
        return joined

    def replace_password(self, person_id: str, password_hash: str, now: datetime, *,
                         keep_session: str | None = None, reason: str = PASSWORD_SET) -> int:
        self.accounts[person_id] = replace(self.accounts[person_id], password_hash=password_hash)
        return self._revoke(lambda s: s.person_id == person_id and s.jti != keep_session, now, reason)

    def rotate_refresh_token(self, used_hash: str, successor: RefreshToken, now: datetime) -> bool:
        used = self.refresh_tokens[used_hash]
        if used.used_at is not None:
            return False
        self.refresh_tokens[used_hash] = replace(used, used_at=now)
        self.refresh_tokens[successor.token_hash] = successor
        session_id = successor.session_id
        self.sessions[session_id] = replace(self.sessions[session_id], expires_at=successor.expires_at)
        return True

    def revoke_session(self, session_id: str, now: datetime, reason: str) -> int:
        return self._revoke(lambda s: s.jti == session_id, now, reason)

    def revoke_sessions_of(self, person_id: str, now: datetime, reason: str) -> int:
        return self._revoke(lambda s: s.person_id == person_id, now, reason)

    def _revoke(self, which, now: datetime, reason: str) -> int:
        ended = [jti for jti, s in self.sessions.items() if s.revoked_at is None and which(s)]
        for jti in ended:
            self.sessions[jti] = replace(self.sessions[jti], revoked_at=now, revoked_reason=reason)
        return len(ended)

    def replace_permissions(self, change: PermissionChange) -> None:
        self.accounts[change.person_id] = replace(self.accounts[change.person_id], permissions=change.permissions)
        self.permission_changes.append(change)

    def replace_manual_roles(self, roles: tuple[RoleGrant, ...], edit: AccountEdit) -> None:
        self.accounts[edit.person_id] = replace(self.accounts[edit.person_id], manual_roles=roles)
        self.edits.append(edit)

    def replace_contact_details(self, profile: Profile, edit: AccountEdit) -> None:
        stored = self.accounts[edit.person_id]
        self.accounts[edit.person_id] = replace(stored, profile=replace(
            stored.profile, email=profile.email, mobile_phone=profile.mobile_phone, home_phone=profile.home_phone))
        self.edits.append(edit)


def with_password(password: str, **overrides) -> Account:
    return make_account(password_hash=PASSWORDS.hash(password), **overrides)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
