from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from services.identity import handlers
from services.identity.adapters.tokens import TokenSigner
from services.identity.domain.accounts import RoleGrant
from services.identity.domain.passwords import Argon2Passwords
from shared.contracts.errors import InvalidRequest, NotAuthenticated, NotFound
from identity_builders import make_account, make_account_input, make_profile
from identity_fakes import Clock, InMemoryAccounts, RecordingPublisher

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
PASSWORDS = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
TOKENS = TokenSigner("k" * 40, timedelta(hours=12))


@pytest.fixture
def repo():
    return InMemoryAccounts()


@pytest.fixture
def publish():
    return RecordingPublisher()


@pytest.fixture
def clock():
    return Clock(NOW)


def with_password(password: str, **overrides):
    return make_account(password_hash=PASSWORDS.hash(password), **overrides)


def upsert(rows, *, repo, publish, clock):
    request = {"district_id": "district-1", "region": "US", "accounts": rows}
    return handlers.upsert_accounts(request, repo=repo, publish=publish, clock=clock)["results"]


def login(login_value, password, *, repo, publish, clock):
    return handlers.login({"login": login_value, "password": password}, repo=repo, passwords=PASSWORDS,
                          tokens=TOKENS, publish=publish, clock=clock)


def authenticate(token, *, repo, clock):
    return handlers.authenticate({"token": token}, repo=repo, tokens=TOKENS, clock=clock)


def test_an_upsert_publishes_the_created_and_updated_accounts_only(repo, publish, clock):
    repo.accounts["same"] = make_account(person_id="same")

    results = upsert([make_account_input(person_id="same"), make_account_input(person_id="new")],
                     repo=repo, publish=publish, clock=clock)

    assert [(r["key"], r["id"], r["outcome"]) for r in results] == [
        ("same", "same", "unchanged"), ("new", "new", "created")]
    [(event, payload)] = publish.published
    assert event == "accounts_upserted"
    assert [a["person_id"] for a in payload["accounts"]] == ["new"]
    assert payload["accounts"][0]["status"] == "invitee"


def test_a_reimport_publishes_nothing(repo, publish, clock):
    upsert([make_account_input()], repo=repo, publish=publish, clock=clock)
    publish.published.clear()

    results = upsert([make_account_input()], repo=repo, publish=publish, clock=clock)

    assert [r["outcome"] for r in results] == ["unchanged"]
    assert publish.published == []


def test_a_failed_row_has_no_id(repo, publish, clock):
    results = upsert([make_account_input(), make_account_input()], repo=repo, publish=publish, clock=clock)

    assert [(r["outcome"], r["id"]) for r in results] == [("created", "person-guardian-1"), ("failed", None)]


def test_the_first_login_activates_the_account_and_announces_the_join(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")

    result = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)

    assert result["principal"]["status"] == "active"
    assert result["expires_at"] == NOW + timedelta(hours=12)
    assert repo.account("person-guardian-1").joined_at == NOW
    assert publish.published == [("user_joined", {"person_id": "person-guardian-1",
                                                  "joined_at": NOW.isoformat()})]


def test_a_later_login_announces_nothing(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password", status="active", joined_at=NOW)
    clock.now = NOW + timedelta(days=3)

    login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)

    assert publish.published == []
    assert repo.account("person-guardian-1").joined_at == NOW


def test_every_login_records_its_session(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")

    login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)
    login("+14155552671", "secret password", repo=repo, publish=publish, clock=clock)

    assert [s.person_id for s in repo.sessions.values()] == ["person-guardian-1", "person-guardian-1"]


def test_a_password_hashed_with_weaker_parameters_is_rehashed_at_login(repo, publish, clock):
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("secret password")
    repo.accounts["person-guardian-1"] = make_account(password_hash=weak)

    login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)

    stored = repo.account("person-guardian-1").password_hash
    assert stored != weak
    assert not PASSWORDS.needs_rehash(stored)


@pytest.mark.parametrize("login_value, password", [
    ("dana.rivera@example.org", "wrong password"),
    ("nobody@example.org", "secret password"),
    ("not a login", "secret password"),
])
def test_every_failed_login_gets_the_same_message(repo, publish, clock, login_value, password):
    repo.accounts["person-guardian-1"] = with_password("secret password")

    with pytest.raises(NotAuthenticated) as refused:
        login(login_value, password, repo=repo, publish=publish, clock=clock)

    assert str(refused.value) == handlers.LOGIN_FAILED
    assert publish.published == []


def test_a_disabled_account_cannot_log_in(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password", status="disabled")

    with pytest.raises(NotAuthenticated):
        login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)


def test_a_token_authenticates_until_it_expires(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")
    token = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)["token"]

    clock.now = NOW + timedelta(hours=11, minutes=59)
    assert authenticate(token, repo=repo, clock=clock)["person_id"] == "person-guardian-1"
    clock.now = NOW + timedelta(hours=12)
    with pytest.raises(NotAuthenticated):
        authenticate(token, repo=repo, clock=clock)


def test_a_token_of_a_disabled_account_does_not_authenticate(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")
    token = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)["token"]

    repo.accounts["person-guardian-1"] = replace(repo.accounts["person-guardian-1"], status="disabled")

    with pytest.raises(NotAuthenticated):
        authenticate(token, repo=repo, clock=clock)


def test_a_validly_signed_token_without_a_recorded_session_does_not_authenticate(repo, clock):
    repo.accounts["person-guardian-1"] = make_account()
    token = TOKENS.issue("person-guardian-1", NOW).token

    with pytest.raises(NotAuthenticated):
        authenticate(token, repo=repo, clock=clock)


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")
    token = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)["token"]

    handlers.set_password({"login": "dana.rivera@example.org", "password": "another password"}, repo=repo,
                          passwords=PASSWORDS, clock=clock)

    with pytest.raises(NotAuthenticated):
        authenticate(token, repo=repo, clock=clock)
    again = login("dana.rivera@example.org", "another password", repo=repo, publish=publish, clock=clock)
    assert authenticate(again["token"], repo=repo, clock=clock)["person_id"] == "person-guardian-1"


def test_setting_a_password_through_something_that_is_no_login_names_the_field(repo, clock):
    with pytest.raises(InvalidRequest) as refused:
        handlers.set_password({"login": "dana rivera", "password": "password"}, repo=repo, passwords=PASSWORDS,
                              clock=clock)

    assert list(refused.value.fields) == ["login"]


def test_setting_a_password_for_an_unknown_login_is_not_found(repo, clock):
    with pytest.raises(NotFound):
        handlers.set_password({"login": "nobody@example.org", "password": "password"}, repo=repo,
                              passwords=PASSWORDS, clock=clock)


def test_get_accounts_answers_in_the_requested_order_without_unknown_people(repo):
    repo.accounts.update({"a": make_account(person_id="a"),
                          "b": make_account(person_id="b", profile=make_profile(email="b@example.org"))})

    accounts = handlers.get_accounts({"person_ids": ["b", "unknown", "a", "b"]}, repo=repo)["accounts"]

    assert [a["person_id"] for a in accounts] == ["b", "a"]
    assert [c["shared"] for c in accounts[0]["credentials"]] == [False, True]


def teacher(**overrides):
    return make_account(person_id="teacher-1", profile=make_profile(roles=(RoleGrant("teacher", ("s1",)),)),
                        **overrides)


def test_new_staff_permissions_are_recorded_and_published(repo, publish, clock):
    repo.accounts["teacher-1"] = teacher(permissions=("content_moderator",))

    account = handlers.set_staff_permissions(
        {"person_id": "teacher-1", "permissions": ["users_manager"], "changed_by": "admin-1"},
        repo=repo, publish=publish, clock=clock)

    assert account["permissions"] == ["users_manager"]
    [change] = repo.permission_changes
    assert (change.previous_permissions, change.permissions, change.changed_by, change.changed_at) == (
        ("content_moderator",), ("users_manager",), "admin-1", NOW)
    assert publish.published == [("staff_permissions_changed", {
        "person_id": "teacher-1", "permissions": ["users_manager"], "changed_by": "admin-1"})]


def test_setting_the_permissions_a_person_already_has_records_and_publishes_nothing(repo, publish, clock):
    repo.accounts["teacher-1"] = teacher(permissions=("users_manager",))

    handlers.set_staff_permissions({"person_id": "teacher-1", "permissions": ["users_manager"],
                                    "changed_by": "admin-1"}, repo=repo, publish=publish, clock=clock)

    assert repo.permission_changes == []
    assert publish.published == []


def test_a_family_account_is_refused_staff_permissions_naming_the_field(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account()

    with pytest.raises(InvalidRequest) as refused:
        handlers.set_staff_permissions({"person_id": "person-guardian-1", "permissions": ["family_access"],
                                        "changed_by": "admin-1"}, repo=repo, publish=publish, clock=clock)

    assert list(refused.value.fields) == ["permissions"]
    assert publish.published == []
