"""AccountRepository: identity's database, in the words of the domain.

Each writing method is one unit of work and commits it. A handler stages the events of a change before the
write that commits it (shared/outbox.py), or, when whether there is a change is found only by the write (a
first login, a join), hands the write an `announce` that stages them inside its transaction once it is certain.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import case, delete, exists, or_, select, text, true, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.identity.domain.accounts import ACTIVE, DISABLED, INVITEE, Account, Profile, RoleGrant
from services.identity.domain.credentials import CredentialKind
from services.identity.domain.documents import role_documents
from services.identity.domain.hand_edits import AccountEdit, contact_details
from services.identity.domain.join_tokens import JoinToken
from services.identity.domain.joined_credentials import Credential
from services.identity.domain.sessions import PASSWORD_SET, LoginSession, PermissionChange, RefreshToken
from services.identity.domain.verification import PendingVerification
from shared.bulk_sql import insert_rows
from shared.db import dialect_insert
from shared.outbox import Announce, nothing_to_announce

from .tables import (
    account_edits,
    accounts,
    archived_people,
    credential_verifications,
    district_languages,
    join_tokens,
    permission_changes,
    refresh_tokens,
    sessions,
    student_enablements,
)

# Columns a directory upsert replaces; status, password, permissions and join time are identity's own.
PROFILE_COLUMNS = ("district_id", "given_name", "family_name", "email", "mobile_phone", "home_phone",
                   "roles", "managed_by_sync")

# Whether directory enabled the account's student account, looked up at every read rather than copied
# into the row: an enablement and the sync creating the account may commit in either order, or at once.
_STUDENT_ENABLED = exists().where(student_enablements.c.person_id == accounts.c.person_id).label("student_enabled")
# Whether directory archived the person: looked up at every read for the same reason.
_ARCHIVED = exists().where(archived_people.c.person_id == accounts.c.person_id).label("archived")


_NO_PARALLEL_WORKERS = text("SET LOCAL max_parallel_workers_per_gather = 0")


def _select_accounts(*extra):
    return select(accounts, _STUDENT_ENABLED, _ARCHIVED, *extra)


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- reads -------------------------------------------------------------------------------

    def account(self, person_id: str) -> Account | None:
        row = self.session.execute(_select_accounts().where(accounts.c.person_id == person_id)).first()
        return _account_from_row(row) if row is not None else None

    def accounts_by_person_id(self, person_ids: Collection[str]) -> dict[str, Account]:
        """The stored accounts among `person_ids`, in one query."""
        if not person_ids:
            return {}
        self._without_parallel_workers()
        rows = self.session.execute(_select_accounts().where(accounts.c.person_id.in_(set(person_ids))))
        return {row.person_id: _account_from_row(row) for row in rows}

    def person_ids_of_district(self, district_id: str, after: str | None, limit: int) -> list[str]:
        """The district's accounts by person id, the next `limit` after `after`."""
        query = (select(accounts.c.person_id).where(accounts.c.district_id == district_id)
                 .order_by(accounts.c.person_id).limit(limit))
        if after is not None:
            query = query.where(accounts.c.person_id > after)
        return list(self.session.execute(query).scalars())

    def accounts_with_credential(self, kind: CredentialKind, value: str) -> list[Account]:
        column = accounts.c[kind]
        rows = self.session.execute(_select_accounts().where(column == value).order_by(accounts.c.person_id))
        return [_account_from_row(row) for row in rows]

    def accounts_holding(self, credentials: Collection[Credential], *, joined_only: bool = False) -> list[Account]:
        """Every account holding any of `credentials` (only those whose owners joined, with `joined_only`),
        in one query on the indexed credential columns, ordered by person id."""
        by_kind: dict[str, set[str]] = {}
        for kind, value in credentials:
            by_kind.setdefault(kind, set()).add(value)
        if not by_kind:
            return []
        self._without_parallel_workers()
        query = _select_accounts().where(or_(*(accounts.c[kind].in_(values) for kind, values in by_kind.items())))
        if joined_only:
            query = query.where(accounts.c.joined_at.is_not(None))
        return [_account_from_row(row) for row in self.session.execute(query.order_by(accounts.c.person_id))]

    def accounts_with_shared_flags(self, person_ids: Collection[str]) -> list[tuple[Account, bool, bool]]:
        """(account, email shared, mobile phone shared) for each stored account, in one query."""
        if not person_ids:
            return []
        other = accounts.alias("other")

        def shared(column: str):
            return exists().where(other.c[column] == accounts.c[column],
                                  other.c.person_id != accounts.c.person_id)

        query = _select_accounts(shared("email").label("email_shared"),
                                 shared("mobile_phone").label("mobile_shared")
                                 ).where(accounts.c.person_id.in_(set(person_ids)))
        return [(_account_from_row(row), bool(row.email_shared), bool(row.mobile_shared))
                for row in self.session.execute(query)]

    def _without_parallel_workers(self) -> None:
        # A sync page's reads look up a few hundred accounts by index. While the table grows between ANALYZEs
        # the planner sometimes chose a parallel plan for them at district scale: two workers started and
        # stopped for every page, as much of the server's CPU as the read itself, on a box of two cores.
        # Until the transaction ends (the page's write follows in it).
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(_NO_PARALLEL_WORKERS)

    def session_with_account(self, jti: str) -> tuple[LoginSession, Account] | None:
        row = self.session.execute(_select_sessions_with_accounts().where(sessions.c.jti == jti)).first()
        if row is None:
            return None
        return _login_session_from_row(row), _account_from_row(row)

    def refresh_token_with_session(self, token_hash: str) -> tuple[RefreshToken, LoginSession, Account] | None:
        query = _select_sessions_with_accounts(
            refresh_tokens.c.token_hash, refresh_tokens.c.issued_at.label("token_issued_at"),
            refresh_tokens.c.expires_at.label("token_expires_at"), refresh_tokens.c.used_at,
        ).join(refresh_tokens, refresh_tokens.c.session_id == sessions.c.jti
               ).where(refresh_tokens.c.token_hash == token_hash)
        row = self.session.execute(query).first()
        if row is None:
            return None
        token = RefreshToken(token_hash=row.token_hash, session_id=row.jti, issued_at=row.token_issued_at,
                             expires_at=row.token_expires_at, used_at=row.used_at)
        return token, _login_session_from_row(row), _account_from_row(row)

    def join_token(self, *, token_hash: str | None = None, code_hash: str | None = None) -> JoinToken | None:
        """The invitation whose link secret or code hashes to the given value, used or not."""
        column, value = (join_tokens.c.token_hash, token_hash) if token_hash is not None else \
            (join_tokens.c.code_hash, code_hash)
        row = self.session.execute(select(join_tokens).where(column == value)).first()
        return _join_token_from_row(row) if row is not None else None

    def district_languages(self, district_id: str | None) -> tuple[str, ...] | None:
        """The languages the district chose to offer, or None when it never chose."""
        row = self.session.execute(select(district_languages.c.languages)
                                   .where(district_languages.c.district_id == district_id)).first()
        return tuple(row.languages) if row is not None else None

    def district_default_language(self, district_id: str | None) -> str | None:
        """The district's default language, or None when it never chose one."""
        return self.session.execute(select(district_languages.c.default_language)
                                    .where(district_languages.c.district_id == district_id)).scalar()

    def verification(self, person_id: str, kind: str) -> PendingVerification | None:
        row = self.session.execute(select(credential_verifications).where(
            credential_verifications.c.person_id == person_id, credential_verifications.c.kind == kind)).first()
        if row is None:
            return None
        return PendingVerification(person_id=row.person_id, kind=row.kind, address=row.address,
                                   code_hash=row.code_hash, sent_at=row.sent_at, expires_at=row.expires_at,
                                   tries=row.tries)

    # --- writes ------------------------------------------------------------------------------

    def replace_verification(self, pending: PendingVerification) -> None:
        """Keep the new code in place of any earlier one for the same account and kind."""
        insert = dialect_insert(self.session, credential_verifications)
        values = {"address": pending.address, "code_hash": pending.code_hash, "sent_at": pending.sent_at,
                  "expires_at": pending.expires_at, "tries": pending.tries}
        self.session.execute(insert.values(person_id=pending.person_id, kind=pending.kind, **values)
                             .on_conflict_do_update(index_elements=[credential_verifications.c.person_id,
                                                                    credential_verifications.c.kind], set_=values))
        self.session.commit()

    def claim_try(self, pending: PendingVerification, *, max_tries: int) -> bool:
        """Count one try of this code before the code is compared; False when its tries are used up (or it
        was replaced). Counted by the database, so simultaneous tries cannot pass the limit."""
        claimed = self.session.execute(update(credential_verifications).where(
            credential_verifications.c.person_id == pending.person_id,
            credential_verifications.c.kind == pending.kind,
            credential_verifications.c.code_hash == pending.code_hash,
            credential_verifications.c.tries < max_tries,
        ).values(tries=credential_verifications.c.tries + 1))
        self.session.commit()
        return claimed.rowcount == 1

    def complete_verification(self, pending: PendingVerification, profile: Profile | None,
                              edit: AccountEdit | None) -> None:
        """The code served: it is gone, and the account holds the credential (`profile`, with `edit` as its
        history; None when it held it already); one unit of work."""
        self.session.execute(delete(credential_verifications).where(
            credential_verifications.c.person_id == pending.person_id,
            credential_verifications.c.kind == pending.kind))
        if profile is None:
            self.session.commit()
        else:
            self.replace_contact_details(profile, edit)

    def replace_district_languages(self, district_id: str, languages: Sequence[str], default_language: str, *,
                                   changed_by: str, now: datetime) -> None:
        insert = dialect_insert(self.session, district_languages)
        values = {"languages": list(languages), "default_language": default_language, "changed_by": changed_by,
                  "changed_at": now}
        self.session.execute(insert.values(district_id=district_id, **values).on_conflict_do_update(
            index_elements=[district_languages.c.district_id], set_=values))
        self.session.commit()

    def replace_language(self, person_id: str, language: str, now: datetime) -> None:
        self.session.execute(update(accounts).where(accounts.c.person_id == person_id)
                             .values(language=language, updated_at=now))
        self.session.commit()

    def replace_join_tokens(self, tokens: Sequence[JoinToken]) -> None:
        """Store each person's new invitation in place of any earlier one (used or not): one statement."""
        if not tokens:
            return
        insert = dialect_insert(self.session, join_tokens)
        replaced = {name: insert.excluded[name]
                    for name in ("token_hash", "code_hash", "issued_by", "issued_at", "expires_at", "used_at")}
        self.session.execute(insert.on_conflict_do_update(index_elements=[join_tokens.c.person_id], set_=replaced),
                             [_join_token_row(token) for token in tokens])
        self.session.commit()

    def save_accounts(self, created: Sequence[Account], updated: Sequence[Account], now: datetime) -> None:
        """Insert new accounts, replace the profile of changed ones, and apply what the source says about
        enabling them: one statement for the page, and one per kind of status change."""
        changed = [*created, *updated]
        if not changed:
            return
        insert_rows(self.session, accounts, [_account_row(account, now) for account in changed],
                    conflict=("person_id",), replace=(*PROFILE_COLUMNS, "updated_at"))
        self._disable_for_sync([a.person_id for a in changed if a.status == DISABLED and a.disabled_by_sync], now)
        self._lift_sync_disablement([a.person_id for a in updated if a.status != DISABLED], now)
        self.session.commit()

    def _disable_for_sync(self, person_ids: Sequence[str], now: datetime) -> None:
        # Status is written by guarded statements, never copied from the row read earlier, so a
        # first login that commits in between is neither undone nor lost.
        if person_ids:
            self.session.execute(update(accounts).where(accounts.c.person_id.in_(person_ids),
                                                        accounts.c.status != DISABLED)
                                 .values(status=DISABLED, disabled_by_sync=True, updated_at=now))

    def _lift_sync_disablement(self, person_ids: Sequence[str], now: datetime) -> None:
        if person_ids:
            restored = case((accounts.c.joined_at.is_(None), INVITEE), else_=ACTIVE)
            self.session.execute(update(accounts).where(accounts.c.person_id.in_(person_ids),
                                                        accounts.c.status == DISABLED,
                                                        accounts.c.disabled_by_sync.is_(true()))
                                 .values(status=restored, disabled_by_sync=False, updated_at=now))

    def record_student_enablements(self, person_ids: Collection[str], *, enabled_by: str, now: datetime) -> None:
        """Remember that directory enabled these students' accounts, whether or not the accounts exist yet.

        The first enablement is kept: a redelivered or repeated event changes nothing.
        """
        if not person_ids:
            return
        insert = dialect_insert(self.session, student_enablements)
        self.session.execute(insert.on_conflict_do_nothing(index_elements=[student_enablements.c.person_id]),
                             [{"person_id": person_id, "enabled_by": enabled_by, "enabled_at": now}
                              for person_id in person_ids])
        self.session.commit()

    def record_archivals(self, archived: Collection[str], unarchived: Collection[str], now: datetime) -> None:
        """Remember which people directory archived, whether or not their accounts exist yet; forget the
        unarchived. One statement per kind of change; the first archival is kept, so a repeat changes nothing."""
        if archived:
            insert = dialect_insert(self.session, archived_people)
            self.session.execute(insert.on_conflict_do_nothing(index_elements=[archived_people.c.person_id]),
                                 [{"person_id": person_id, "archived_at": now} for person_id in archived])
        if unarchived:
            self.session.execute(delete(archived_people).where(archived_people.c.person_id.in_(unarchived)))
        self.session.commit()

    def record_login(self, login_session: LoginSession, *, joined_at: datetime | None,
                     rehashed_password: str | None, refresh_token: RefreshToken | None = None,
                     announce_join: Announce = nothing_to_announce) -> bool:
        """Store the session (and its first refresh token); on first login activate the account, with the events
        `announce_join` stages. True when this login activated it."""
        self.session.execute(sessions.insert().values(
            jti=login_session.jti, person_id=login_session.person_id, issued_at=login_session.issued_at,
            expires_at=login_session.expires_at, revoked_at=None))
        if refresh_token is not None:
            self.session.execute(refresh_tokens.insert().values(_refresh_token_row(refresh_token)))
        joined = False
        if joined_at is not None:
            # Guarded by status, so two simultaneous first logins join the account once.
            result = self.session.execute(
                update(accounts).where(accounts.c.person_id == login_session.person_id,
                                       accounts.c.status == INVITEE)
                .values(status=ACTIVE, joined_at=joined_at, updated_at=joined_at))
            joined = result.rowcount == 1
            if joined:
                announce_join()
        if rehashed_password is not None:
            self.session.execute(update(accounts).where(accounts.c.person_id == login_session.person_id)
                                 .values(password_hash=rehashed_password))
        self.session.commit()
        return joined

    def record_join(self, invitation: JoinToken, login_session: LoginSession, refresh_token: RefreshToken, *,
                    password_hash: str, language: str, now: datetime,
                    announce_join: Announce = nothing_to_announce) -> bool:
        """Use the invitation up, activate its account with the password and language, and store the session,
        with the events `announce_join` stages; all or nothing. False (nothing stored, nothing staged) when the
        invitation was used, replaced or expired meanwhile, or the account joined another way."""
        used = self.session.execute(
            update(join_tokens).where(join_tokens.c.person_id == invitation.person_id,
                                      join_tokens.c.token_hash == invitation.token_hash,
                                      join_tokens.c.used_at.is_(None), join_tokens.c.expires_at > now)
            .values(used_at=now))
        activated = used.rowcount == 1 and self.session.execute(
            update(accounts).where(accounts.c.person_id == invitation.person_id, accounts.c.status == INVITEE)
            .values(status=ACTIVE, joined_at=now, password_hash=password_hash, language=language,
                    updated_at=now)).rowcount == 1
        if not activated:
            self.session.rollback()
            return False
        self.session.execute(sessions.insert().values(
            jti=login_session.jti, person_id=login_session.person_id, issued_at=login_session.issued_at,
            expires_at=login_session.expires_at, revoked_at=None))
        self.session.execute(refresh_tokens.insert().values(_refresh_token_row(refresh_token)))
        announce_join()
        self.session.commit()
        return True

    def replace_password(self, person_id: str, password_hash: str, now: datetime, *,
                         keep_session: str | None = None, reason: str = PASSWORD_SET) -> int:
        """Set the password and end every open session but `keep_session`: whoever knew the old one is
        signed out. Answers how many sessions it ended."""
        self.session.execute(update(accounts).where(accounts.c.person_id == person_id)
                             .values(password_hash=password_hash, updated_at=now))
        ended = self._revoke(sessions.c.person_id == person_id, now, reason, keep=keep_session)
        self.session.commit()
        return ended

    def rotate_refresh_token(self, used_hash: str, successor: RefreshToken, now: datetime) -> bool:
        """Mark `used_hash` used and store its successor, extending the session to the successor's expiry.
        False (and nothing stored) when the token was used already: a second use, perhaps at the same moment."""
        marked = self.session.execute(update(refresh_tokens).where(refresh_tokens.c.token_hash == used_hash,
                                                                   refresh_tokens.c.used_at.is_(None))
                                      .values(used_at=now))
        if marked.rowcount != 1:
            self.session.rollback()
            return False
        self.session.execute(refresh_tokens.insert().values(_refresh_token_row(successor)))
        self.session.execute(update(sessions).where(sessions.c.jti == successor.session_id)
                             .values(expires_at=successor.expires_at))
        self.session.commit()
        return True

    def revoke_session(self, session_id: str, now: datetime, reason: str) -> int:
        """End one session (its access and refresh tokens stop working); 0 when it had ended already."""
        ended = self._revoke(sessions.c.jti == session_id, now, reason)
        self.session.commit()
        return ended

    def revoke_sessions_of(self, person_id: str, now: datetime, reason: str) -> int:
        """End every open session of a person; answers how many."""
        ended = self._revoke(sessions.c.person_id == person_id, now, reason)
        self.session.commit()
        return ended

    def _revoke(self, which, now: datetime, reason: str, *, keep: str | None = None) -> int:
        statement = update(sessions).where(which, sessions.c.revoked_at.is_(None))
        if keep is not None:
            statement = statement.where(sessions.c.jti != keep)
        return self.session.execute(statement.values(revoked_at=now, revoked_reason=reason)).rowcount

    def replace_permissions(self, change: PermissionChange) -> None:
        self.session.execute(update(accounts).where(accounts.c.person_id == change.person_id)
                             .values(permissions=list(change.permissions), updated_at=change.changed_at))
        self.session.execute(permission_changes.insert().values(
            id=change.id, person_id=change.person_id, previous_permissions=list(change.previous_permissions),
            permissions=list(change.permissions), changed_by=change.changed_by, changed_at=change.changed_at))
        self.session.commit()

    def replace_manual_roles(self, roles: tuple[RoleGrant, ...], edit: AccountEdit) -> None:
        self._apply_hand_edit(edit, manual_roles=role_documents(roles))

    def replace_contact_details(self, profile: Profile, edit: AccountEdit) -> None:
        self._apply_hand_edit(edit, **contact_details(profile))

    def _apply_hand_edit(self, edit: AccountEdit, **columns) -> None:
        self.session.execute(update(accounts).where(accounts.c.person_id == edit.person_id)
                             .values(**columns, updated_at=edit.changed_at))
        self.session.execute(account_edits.insert().values(
            id=edit.id, person_id=edit.person_id, what=edit.what, previous=dict(edit.previous),
            current=dict(edit.current), changed_by=edit.changed_by, changed_at=edit.changed_at))
        self.session.commit()

    def edit_history(self, person_id: str) -> list[AccountEdit]:
        rows = self.session.execute(select(account_edits).where(account_edits.c.person_id == person_id)
                                    .order_by(account_edits.c.changed_at, account_edits.c.id))
        return [AccountEdit(id=row.id, person_id=row.person_id, what=row.what, previous=row.previous,
                            current=row.current, changed_by=row.changed_by, changed_at=row.changed_at)
                for row in rows]

    def permission_history(self, person_id: str) -> list[PermissionChange]:
        rows = self.session.execute(select(permission_changes)
                                    .where(permission_changes.c.person_id == person_id)
                                    .order_by(permission_changes.c.changed_at))
        return [PermissionChange(id=row.id, person_id=row.person_id,
                                 previous_permissions=tuple(row.previous_permissions),
                                 permissions=tuple(row.permissions), changed_by=row.changed_by,
                                 changed_at=row.changed_at)
                for row in rows]


def _select_sessions_with_accounts(*extra):
    return select(sessions.c.jti, sessions.c.person_id.label("session_person_id"), sessions.c.issued_at,
                  sessions.c.expires_at, sessions.c.revoked_at, sessions.c.revoked_reason, accounts,
                  _STUDENT_ENABLED, _ARCHIVED, *extra
                  ).join(accounts, accounts.c.person_id == sessions.c.person_id)


def _login_session_from_row(row: Row) -> LoginSession:
    return LoginSession(jti=row.jti, person_id=row.session_person_id, issued_at=row.issued_at,
                        expires_at=row.expires_at, revoked_at=row.revoked_at, revoked_reason=row.revoked_reason)


def _refresh_token_row(token: RefreshToken) -> dict:
    return {"token_hash": token.token_hash, "session_id": token.session_id, "issued_at": token.issued_at,
            "expires_at": token.expires_at, "used_at": token.used_at}


def _account_from_row(row: Row) -> Account:
    profile = Profile(
        district_id=row.district_id,
        given_name=row.given_name,
        family_name=row.family_name,
        email=row.email,
        mobile_phone=row.mobile_phone,
        home_phone=row.home_phone,
        roles=_role_grants(row.roles),
        managed_by_sync=bool(row.managed_by_sync),
    )
    return Account(person_id=row.person_id, profile=profile, status=row.status, joined_at=row.joined_at,
                   password_hash=row.password_hash, permissions=tuple(row.permissions),
                   disabled_by_sync=bool(row.disabled_by_sync), student_enabled=bool(row.student_enabled),
                   archived=bool(row.archived), manual_roles=_role_grants(row.manual_roles),
                   language=row.language)


def _join_token_from_row(row: Row) -> JoinToken:
    return JoinToken(person_id=row.person_id, token_hash=row.token_hash, code_hash=row.code_hash,
                     issued_by=row.issued_by, issued_at=row.issued_at, expires_at=row.expires_at,
                     used_at=row.used_at)


def _join_token_row(token: JoinToken) -> dict:
    return {"person_id": token.person_id, "token_hash": token.token_hash, "code_hash": token.code_hash,
            "issued_by": token.issued_by, "issued_at": token.issued_at, "expires_at": token.expires_at,
            "used_at": token.used_at}


def _role_grants(documents: list[dict]) -> tuple[RoleGrant, ...]:
    return tuple(RoleGrant(grant["role"], tuple(grant["school_ids"])) for grant in documents)


def _account_row(account: Account, now: datetime) -> dict:
    profile = account.profile
    return {
        "person_id": account.person_id,
        "district_id": profile.district_id,
        "given_name": profile.given_name,
        "family_name": profile.family_name,
        **contact_details(profile),
        # The synced grants only: the account's roles are these and manual_roles together.
        "roles": role_documents(profile.roles),
        "manual_roles": role_documents(account.manual_roles),
        "permissions": list(account.permissions),
        "managed_by_sync": profile.managed_by_sync,
        "status": account.status,
        "disabled_by_sync": account.disabled_by_sync,
        "joined_at": account.joined_at,
        "password_hash": account.password_hash,
        "language": account.language,
        "created_at": now,
        "updated_at": now,
    }
