"""identity's migrations and repository on both databases it runs on: SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from services.identity.adapters.repository import AccountRepository
from services.identity.adapters.tables import accounts, archived_people, metadata, student_enablements
from services.identity.domain.accounts import Account, Profile, RoleGrant
from services.identity.domain.hand_edits import AccountEdit
from services.identity.domain.sessions import LoginSession, PermissionChange, RefreshToken
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade

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


def test_the_migrations_downgrade_to_the_first_revision_and_upgrade_again(engine):
    url = engine.url.render_as_string(hide_password=False)

    downgrade(alembic_config("identity", url), "identity_0001")
    upgrade("identity", url)

    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def student(person_id: str = "student-1") -> Account:
    return make_account(person_id, roles=(RoleGrant("student", ("school-1",)),))


def test_an_enablement_recorded_before_the_account_exists_shows_on_every_read_of_it(repo):
    repo.record_student_enablements(["student-1"], enabled_by="admin-1", now=NOW)
    repo.save_accounts([student(), student("student-2")], [], NOW)
    repo.record_login(LoginSession(jti="j1", person_id="student-1", issued_at=NOW,
                                   expires_at=NOW + timedelta(hours=12)), joined_at=None, rehashed_password=None)

    assert repo.account("student-1").student_enabled
    assert not repo.account("student-2").student_enabled
    assert {p: a.student_enabled for p, a in repo.accounts_by_person_id(["student-1", "student-2"]).items()} == {
        "student-1": True, "student-2": False}
    assert [a.student_enabled for a in repo.accounts_with_credential("email", "student-1@example.org")] == [True]
    assert [a.student_enabled for a, _, _ in repo.accounts_with_shared_flags(["student-1"])] == [True]
    assert repo.session_with_account("j1")[1].student_enabled


def test_an_enablement_recorded_after_the_account_exists_shows_too(repo):
    repo.save_accounts([student()], [], NOW)

    repo.record_student_enablements(["student-1"], enabled_by="admin-1", now=NOW)

    assert repo.account("student-1").student_enabled


def test_recording_an_enablement_again_keeps_the_first_in_one_statement_per_page(engine, repo):
    repo.record_student_enablements(["student-1"], enabled_by="admin-1", now=NOW)
    inserts = count_statements(engine, "INSERT")

    repo.record_student_enablements(["student-1", "student-2"], enabled_by="admin-2", now=NOW + timedelta(days=1))

    assert len(inserts) == 1
    with engine.connect() as connection:
        rows = connection.execute(select(student_enablements).order_by(student_enablements.c.person_id)).all()
    assert [(row.person_id, row.enabled_by, row.enabled_at) for row in rows] == [
        ("student-1", "admin-1", NOW), ("student-2", "admin-2", NOW + timedelta(days=1))]


def test_a_new_account_the_source_disables_is_stored_disabled_by_the_sync(repo):
    repo.save_accounts([replace(make_account(), status="disabled", disabled_by_sync=True)], [], NOW)

    account = repo.account("person-1")
    assert (account.status, account.disabled_by_sync) == ("disabled", True)


@pytest.mark.parametrize("joined", [False, True])
def test_the_source_disables_an_account_and_enabling_it_again_restores_its_status(repo, joined):
    repo.save_accounts([make_account()], [], NOW)
    if joined:
        repo.record_login(LoginSession(jti="j1", person_id="person-1", issued_at=NOW,
                                       expires_at=NOW + timedelta(hours=12)), joined_at=NOW, rehashed_password=None)

    repo.save_accounts([], [replace(repo.account("person-1"), status="disabled", disabled_by_sync=True)], NOW)
    disabled = repo.account("person-1")
    repo.save_accounts([], [replace(disabled, status="active" if joined else "invitee", disabled_by_sync=False)],
                       NOW)

    assert (disabled.status, disabled.disabled_by_sync) == ("disabled", True)
    restored = repo.account("person-1")
    assert (restored.status, restored.disabled_by_sync) == ("active" if joined else "invitee", False)


def test_a_profile_update_never_writes_back_a_status_read_before_a_first_login(repo):
    repo.save_accounts([make_account()], [], NOW)
    read_before_login = repo.account("person-1")
    repo.record_login(LoginSession(jti="j1", person_id="person-1", issued_at=NOW,
                                   expires_at=NOW + timedelta(hours=12)), joined_at=NOW, rehashed_password=None)

    repo.save_accounts([], [replace(read_before_login, profile=replace(read_before_login.profile,
                                                                       family_name="Rivera-Lopez"))], NOW)

    account = repo.account("person-1")
    assert (account.status, account.profile.family_name) == ("active", "Rivera-Lopez")


def test_re_enabling_leaves_an_account_disabled_otherwise_disabled(repo, engine):
    repo.save_accounts([make_account()], [], NOW)
    with engine.begin() as connection:
        connection.execute(update(accounts).values(status="disabled", disabled_by_sync=False))

    repo.save_accounts([], [replace(repo.account("person-1"), status="invitee")], NOW)

    assert repo.account("person-1").status == "disabled"


# --- credentials held by accounts whose owners joined ----------------------------------------

def join(repo, person_id: str) -> None:
    repo.record_login(LoginSession(jti=f"j-{person_id}", person_id=person_id, issued_at=NOW,
                                   expires_at=NOW + timedelta(hours=12)), joined_at=NOW, rehashed_password=None)


def test_the_accounts_holding_a_page_of_credentials_are_read_in_one_query(engine, repo):
    repo.save_accounts([make_account("owner", email="owner@example.org", mobile_phone="+14155550123"),
                        make_account("spouse", email="spouse@example.org"),
                        make_account("parent", email="parent@example.org", mobile_phone="+14155550124"),
                        make_account("stranger", email="stranger@example.org", mobile_phone=None)], [], NOW)
    join(repo, "owner")
    join(repo, "stranger")
    selects = count_statements(engine, "SELECT")
    wanted = {("email", "owner@example.org"), ("email", "nobody@example.org"), ("mobile_phone", "+14155552671"),
              ("mobile_phone", "+14155550124")}

    every_holder = repo.accounts_holding(wanted)
    joined_holders = repo.accounts_holding(wanted, joined_only=True)

    assert len(selects) == 2
    assert [a.person_id for a in every_holder] == ["owner", "parent", "spouse"]
    assert [(a.person_id, a.joined_at) for a in joined_holders] == [("owner", NOW)]
    assert repo.accounts_holding(set()) == []


def test_a_full_page_of_credentials_is_looked_up_in_one_query(engine, repo):
    repo.save_accounts([make_account("owner", email="new4999@example.org", mobile_phone="+14155564999")], [], NOW)
    join(repo, "owner")
    selects = count_statements(engine, "SELECT")
    wanted = {("email", f"new{i}@example.org") for i in range(5000)} | {
        ("mobile_phone", f"+1415556{i:04d}") for i in range(5000)}

    assert [a.person_id for a in repo.accounts_holding(wanted, joined_only=True)] == ["owner"]
    assert len(selects) == 1


# --- hand-made grants and hand edits ---------------------------------------------------------

def test_roles_granted_by_hand_survive_every_later_sync_and_are_kept_as_history(repo):
    repo.save_accounts([make_account()], [], NOW)
    edit = AccountEdit(id="e1", person_id="person-1", what="manual_roles", previous={"roles": []},
                       current={"roles": [{"role": "school_admin", "school_ids": ["school-9"]}]},
                       changed_by="admin-1", changed_at=NOW)

    repo.replace_manual_roles((RoleGrant("school_admin", ("school-9",)),), edit)
    repo.save_accounts([], [make_account(roles=(RoleGrant("guardian"),))], NOW + timedelta(days=1))

    account = repo.account("person-1")
    assert account.profile.roles == (RoleGrant("guardian"),)
    assert account.manual_roles == (RoleGrant("school_admin", ("school-9",)),)
    assert account.roles == (RoleGrant("school_admin", ("school-9",)), RoleGrant("guardian"))
    assert repo.edit_history("person-1") == [edit]


def test_a_hand_edit_replaces_the_contact_details_alone(repo):
    repo.save_accounts([make_account(home_phone="+14155550100")], [], NOW)
    edited = replace(make_account().profile, email="new@example.org", mobile_phone=None, home_phone=None,
                     given_name="Not written")
    edit = AccountEdit(id="e1", person_id="person-1", what="contact_details", previous={}, current={},
                       changed_by="admin-1", changed_at=NOW)

    repo.replace_contact_details(edited, edit)

    profile = repo.account("person-1").profile
    assert (profile.email, profile.mobile_phone, profile.home_phone, profile.given_name) == (
        "new@example.org", None, None, "Dana")


# --- archived people ------------------------------------------------------------------------

def test_an_archival_recorded_before_the_account_exists_shows_on_every_read_of_it(repo):
    repo.record_archivals(["person-1"], [], NOW)
    repo.save_accounts([make_account(), make_account("person-2")], [], NOW)
    repo.record_login(LoginSession(jti="j1", person_id="person-1", issued_at=NOW,
                                   expires_at=NOW + timedelta(hours=12)), joined_at=None, rehashed_password=None)

    assert repo.account("person-1").archived and not repo.account("person-2").archived
    assert {p: a.archived for p, a in repo.accounts_by_person_id(["person-1", "person-2"]).items()} == {
        "person-1": True, "person-2": False}
    assert [a.archived for a in repo.accounts_with_credential("email", "person-1@example.org")] == [True]
    assert [a.archived for a, _, _ in repo.accounts_with_shared_flags(["person-1"])] == [True]
    assert [a.archived for a in repo.accounts_holding({("email", "person-1@example.org")})] == [True]
    assert repo.session_with_account("j1")[1].archived


def test_archivals_and_unarchivals_take_one_statement_each_per_page_and_repeat_harmlessly(engine, repo):
    repo.record_archivals(["p1", "p2"], [], NOW)
    inserts, deletes = count_statements(engine, "INSERT"), count_statements(engine, "DELETE")

    repo.record_archivals(["p2", "p3"], ["p1", "p4"], NOW + timedelta(days=1))
    repo.record_archivals([], ["p1"], NOW + timedelta(days=2))

    assert (len(inserts), len(deletes)) == (1, 2)
    with engine.connect() as connection:
        rows = connection.execute(select(archived_people).order_by(archived_people.c.person_id)).all()
    assert [(row.person_id, row.archived_at) for row in rows] == [("p2", NOW), ("p3", NOW + timedelta(days=1))]


def test_the_migrations_downgrade_to_the_revision_before_archivals_and_upgrade_again(engine, repo):
    repo.save_accounts([make_account()], [], NOW)
    url = engine.url.render_as_string(hide_password=False)

    downgrade(alembic_config("identity", url), "identity_0002")
    upgrade("identity", url)

    assert repo.account("person-1").manual_roles == ()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


# --- refresh tokens and revocations ---------------------------------------------------------------------------

def a_refresh_token(token_hash: str, session_id: str = "s1", **overrides) -> RefreshToken:
    return replace(RefreshToken(token_hash=token_hash, session_id=session_id, issued_at=NOW,
                                expires_at=NOW + timedelta(days=14)), **overrides)


def signed_in(repo, session_id: str = "s1", person_id: str = "person-1") -> LoginSession:
    login_session = LoginSession(jti=session_id, person_id=person_id, issued_at=NOW,
                                 expires_at=NOW + timedelta(days=14))
    repo.record_login(login_session, joined_at=None, rehashed_password=None,
                      refresh_token=a_refresh_token(f"hash-of-{session_id}", session_id))
    return login_session


def test_a_refresh_token_comes_back_with_its_session_and_account(repo):
    repo.save_accounts([make_account()], [], NOW)
    login_session = signed_in(repo)

    token, found_session, account = repo.refresh_token_with_session("hash-of-s1")

    assert (token, found_session, account.person_id) == (a_refresh_token("hash-of-s1"), login_session, "person-1")
    assert repo.refresh_token_with_session("unknown") is None


def test_a_refresh_token_rotates_once_and_extends_its_session(repo):
    repo.save_accounts([make_account()], [], NOW)
    signed_in(repo)
    later = NOW + timedelta(days=3)
    successor = a_refresh_token("hash-2", issued_at=later, expires_at=later + timedelta(days=14))

    rotated = repo.rotate_refresh_token("hash-of-s1", successor, later)
    again = repo.rotate_refresh_token("hash-of-s1", a_refresh_token("hash-3"), later)

    assert (rotated, again) == (True, False)
    used, login_session, _ = repo.refresh_token_with_session("hash-of-s1")
    assert used.used_at == later
    assert login_session.expires_at == successor.expires_at
    assert repo.refresh_token_with_session("hash-2")[0] == successor
    assert repo.refresh_token_with_session("hash-3") is None


def test_revoking_ends_one_session_or_every_open_one_of_a_person_with_the_reason(repo):
    repo.save_accounts([make_account(), make_account("person-2")], [], NOW)
    for session_id, person_id in (("s1", "person-1"), ("s2", "person-1"), ("s3", "person-1"), ("s4", "person-2")):
        signed_in(repo, session_id, person_id)

    one = repo.revoke_session("s1", NOW, "signed_out")
    one_again = repo.revoke_session("s1", NOW + timedelta(hours=1), "refresh_token_reused")
    rest = repo.revoke_sessions_of("person-1", NOW, "signed_out_everywhere")

    assert (one, one_again, rest) == (1, 0, 2)
    reasons = {s: repo.session_with_account(s)[0].revoked_reason for s in ("s1", "s2", "s3", "s4")}
    assert reasons == {"s1": "signed_out", "s2": "signed_out_everywhere", "s3": "signed_out_everywhere", "s4": None}


def test_a_password_change_can_keep_the_session_it_was_made_from(repo):
    repo.save_accounts([make_account()], [], NOW)
    signed_in(repo, "s1")
    signed_in(repo, "s2")

    ended = repo.replace_password("person-1", "$argon2id$new", NOW, keep_session="s1", reason="password_changed")

    assert ended == 1
    assert repo.session_with_account("s1")[0].revoked_at is None
    assert repo.session_with_account("s2")[0].revoked_reason == "password_changed"
