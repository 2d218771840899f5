"""identity's migrations and repository on both databases it runs on: SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.orm import Session

from services.identity.adapters.repository import AccountRepository
from services.identity.adapters.tables import metadata
from services.identity.domain.accounts import Account, Profile, RoleGrant
from services.identity.domain.sessions import LoginSession, PermissionChange
from shared.db import make_engine
from shared.migrations import upgrade

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'identity.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")("identity")
    upgrade("identity", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield AccountRepository(session)


def make_account(person_id: str = "person-1", **profile_overrides) -> Account:
    profile = Profile(district_id="district-1", given_name="Dana", family_name="Rivera",
                      email=f"{person_id}@example.org", mobile_phone="+14155552671", home_phone=None,
                      roles=(RoleGrant("teacher", ("school-1",)), RoleGrant("guardian")), managed_by_sync=True)
    return Account(person_id=person_id, profile=replace(profile, **profile_overrides))


def count_statements(engine, verb: str) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(verb):
            seen.append(statement)

    return seen


def test_the_hand_written_migration_matches_the_tables(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    assert differences == []


def test_a_page_of_new_and_changed_accounts_is_written_in_one_statement(engine, repo):
    repo.save_accounts([make_account(f"p{i}") for i in range(50)], [], NOW)
    inserts = count_statements(engine, "INSERT")

    renamed = [make_account(f"p{i}", family_name="Renamed") for i in range(25)]
    repo.save_accounts([make_account("p50")], renamed, NOW + timedelta(days=1))

    assert len(inserts) == 1
    stored = repo.accounts_by_person_id([f"p{i}" for i in range(51)])
    assert len(stored) == 51
    assert stored["p0"].profile == renamed[0].profile
    assert stored["p49"].profile.family_name == "Rivera"


def test_an_update_replaces_the_profile_and_keeps_status_password_and_permissions(repo):
    repo.save_accounts([make_account()], [], NOW)
    repo.replace_password("person-1", "$argon2id$hash", NOW)
    repo.replace_permissions(PermissionChange(id="c1", person_id="person-1", previous_permissions=(),
                                              permissions=("users_manager",), changed_by="admin", changed_at=NOW))

    repo.save_accounts([], [make_account(roles=(RoleGrant("guardian"),), email=None)], NOW)

    account = repo.account("person-1")
    assert account.profile.roles == (RoleGrant("guardian"),)
    assert account.profile.email is None
    assert (account.status, account.password_hash, account.permissions) == (
        "invitee", "$argon2id$hash", ("users_manager",))


def test_shared_credentials_are_flagged_per_kind(repo):
    repo.save_accounts([make_account("parent-1"), make_account("parent-2"),
                        make_account("parent-3", mobile_phone=None)], [], NOW)

    flags = {account.person_id: (email_shared, mobile_shared)
             for account, email_shared, mobile_shared in repo.accounts_with_shared_flags(
                 ["parent-1", "parent-2", "parent-3", "unknown"])}

    assert flags == {"parent-1": (False, True), "parent-2": (False, True), "parent-3": (False, False)}


def test_a_credential_finds_every_account_that_holds_it(repo):
    repo.save_accounts([make_account("parent-2"), make_account("parent-1"),
                        make_account("other", mobile_phone="+14155550100")], [], NOW)

    found = repo.accounts_with_credential("mobile_phone", "+14155552671")

    assert [account.person_id for account in found] == ["parent-1", "parent-2"]


def test_the_first_login_joins_the_account_once(repo):
    repo.save_accounts([make_account()], [], NOW)
    first = LoginSession(jti="j1", person_id="person-1", issued_at=NOW, expires_at=NOW + timedelta(hours=12))
    later = replace(first, jti="j2", issued_at=NOW + timedelta(hours=1))

    joined_first = repo.record_login(first, joined_at=NOW, rehashed_password=None)
    joined_again = repo.record_login(later, joined_at=NOW + timedelta(hours=1), rehashed_password="$argon2id$new")

    account = repo.account("person-1")
    assert (joined_first, joined_again) == (True, False)
    assert (account.status, account.joined_at, account.password_hash) == ("active", NOW, "$argon2id$new")


def test_a_session_comes_back_with_its_account_and_aware_utc_times(repo):
    repo.save_accounts([make_account()], [], NOW)
    stored = LoginSession(jti="j1", person_id="person-1", issued_at=NOW, expires_at=NOW + timedelta(hours=12))
    repo.record_login(stored, joined_at=None, rehashed_password=None)

    login_session, account = repo.session_with_account("j1")

    assert login_session == stored
    assert login_session.expires_at.tzinfo is not None
    assert account.person_id == "person-1"
    assert repo.session_with_account("unknown") is None


def test_a_new_password_revokes_every_open_session(repo):
    repo.save_accounts([make_account()], [], NOW)
    repo.record_login(LoginSession(jti="j1", person_id="person-1", issued_at=NOW,
                                   expires_at=NOW + timedelta(hours=12)), joined_at=None, rehashed_password=None)

    repo.replace_password("person-1", "$argon2id$hash", NOW + timedelta(minutes=5))

    login_session, _ = repo.session_with_account("j1")
    assert login_session.revoked_at == NOW + timedelta(minutes=5)
    assert not login_session.is_valid_at(NOW + timedelta(minutes=6))


def test_permission_changes_are_kept_as_history(repo):
    repo.save_accounts([make_account()], [], NOW)
    first = PermissionChange(id="c1", person_id="person-1", previous_permissions=(),
                             permissions=("users_manager",), changed_by="admin-1", changed_at=NOW)
    second = PermissionChange(id="c2", person_id="person-1", previous_permissions=("users_manager",),
                              permissions=(), changed_by="admin-2", changed_at=NOW + timedelta(days=1))

    repo.replace_permissions(first)
    repo.replace_permissions(second)

    assert repo.permission_history("person-1") == [first, second]
    assert repo.account("person-1").permissions == ()
