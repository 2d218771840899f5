from dataclasses import replace
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from services.identity import handlers
from services.identity.domain.accounts import RoleGrant
from services.identity.domain.passwords import PasswordChecksBusy
from services.identity.domain.sign_in import STUDENT_NOT_ENABLED
from shared.contracts import directory, identity
from shared.contracts.errors import InvalidRequest, NotAuthenticated, NotFound, PermissionDenied, TooManyRequests
from identity_builders import NOW, make_account, make_account_input, make_profile
from identity_fakes import PASSWORDS, TOKENS, with_password



def upsert(rows, *, repo, publish, clock, **settings):
    request = identity.upsert_accounts.load_request(
        {"district_id": "district-1", "region": "US", "accounts": rows, **settings})
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
    assert event == "accounts_upserted.v1"
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
    assert publish.published == [("user_joined.v1", {"person_id": "person-guardian-1",
                                                  "joined_at": NOW.isoformat()})]


def test_a_first_login_raced_by_another_that_joined_first_announces_nothing(repo, publish, clock, monkeypatch):
    repo.accounts["person-guardian-1"] = with_password("secret password")
    record_login = repo.record_login

    def joined_meanwhile(*args, **kwargs):
        repo.accounts["person-guardian-1"] = replace(repo.accounts["person-guardian-1"], status="active",
                                                     joined_at=NOW)
        return record_login(*args, **kwargs)

    monkeypatch.setattr(repo, "record_login", joined_meanwhile)
    result = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)

    assert result["principal"]["status"] == "active"
    assert publish.published == publish.staged == []  # the login that joined it announced it


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


def teacher(person_id="teacher-1", schools=("s1",), **overrides):
    return make_account(person_id=person_id, profile=make_profile(roles=(RoleGrant("teacher", schools),)),
                        **overrides)


def district_admin(person_id="admin-1", district_id="district-1"):
    return make_account(person_id=person_id, profile=make_profile(
        district_id=district_id, roles=(RoleGrant("district_admin"),)))


def set_permissions(repo, publish, clock, *, changed_by="admin-1", person_id="teacher-1", permissions=()):
    return handlers.set_staff_permissions(
        {"person_id": person_id, "permissions": list(permissions), "changed_by": changed_by},
        repo=repo, publish=publish, clock=clock)


def test_new_staff_permissions_are_recorded_and_published_with_before_and_after(repo, publish, clock):
    repo.accounts["teacher-1"] = teacher(permissions=("content_moderator",))
    repo.accounts["admin-1"] = district_admin()

    account = set_permissions(repo, publish, clock, permissions=["users_manager"])

    assert account["permissions"] == ["users_manager"]
    [change] = repo.permission_changes
    assert (change.previous_permissions, change.permissions, change.changed_by, change.changed_at) == (
        ("content_moderator",), ("users_manager",), "admin-1", NOW)
    assert publish.published == [("staff_permissions_changed.v1", {
        "change_id": change.id, "person_id": "teacher-1", "district_id": "district-1",
        "previous_permissions": ["content_moderator"], "permissions": ["users_manager"], "changed_by": "admin-1",
        "changed_at": NOW.isoformat()})]


def test_setting_the_permissions_a_person_already_has_records_and_publishes_nothing(repo, publish, clock):
    repo.accounts["teacher-1"] = teacher(permissions=("users_manager",))
    repo.accounts["admin-1"] = district_admin()

    set_permissions(repo, publish, clock, permissions=["users_manager"])

    assert repo.permission_changes == []
    assert publish.published == []


def test_a_family_account_is_refused_staff_permissions_naming_the_field(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account()
    repo.accounts["admin-1"] = district_admin()

    with pytest.raises(InvalidRequest) as refused:
        set_permissions(repo, publish, clock, person_id="person-guardian-1", permissions=["family_access"])

    assert list(refused.value.fields) == ["permissions"]
    assert publish.published == []


def test_a_permissions_admin_may_not_grant_themselves_anything(repo, publish, clock):
    repo.accounts["teacher-1"] = teacher(permissions=("permissions_admin",))

    with pytest.raises(PermissionDenied) as refused:
        set_permissions(repo, publish, clock, changed_by="teacher-1",
                        permissions=["permissions_admin", "users_manager"])

    assert refused.value.fields == {"permissions": ["nobody changes their own permissions: ask an administrator"]}
    assert (repo.permission_changes, publish.published) == ([], [])


def test_the_granter_is_judged_on_identitys_record_of_them_not_on_the_callers_word(repo, publish, clock):
    # A Permissions Admin of school s1 only: a teacher of s2 is outside their reach.
    repo.accounts["pa-1"] = teacher(person_id="pa-1", schools=("s1",), permissions=("permissions_admin",))
    repo.accounts["teacher-2"] = teacher(person_id="teacher-2", schools=("s2",))

    with pytest.raises(PermissionDenied):
        set_permissions(repo, publish, clock, changed_by="pa-1", person_id="teacher-2",
                        permissions=["users_manager"])
    with pytest.raises(PermissionDenied):
        set_permissions(repo, publish, clock, changed_by="nobody-known", person_id="teacher-2",
                        permissions=["users_manager"])
    assert repo.permission_changes == []


def test_an_administrator_of_another_district_may_not_change_permissions_here(repo, publish, clock):
    repo.accounts["teacher-1"] = teacher()
    repo.accounts["admin-9"] = district_admin("admin-9", district_id="district-9")

    with pytest.raises(PermissionDenied):
        set_permissions(repo, publish, clock, changed_by="admin-9", permissions=["users_manager"])


# --- students sign in only once directory enabled their account ------------------------------

def a_student(**overrides):
    student = make_account(person_id="student-1", password_hash=PASSWORDS.hash("secret password"),
                           profile=make_profile(email="ada@example.org", mobile_phone=None,
                                                roles=(RoleGrant("student", ("s1",)),)))
    return replace(student, **overrides)


def enable_students(*person_ids, repo, clock):
    return handlers.record_student_enablements({"person_ids": list(person_ids), "enabled_by": "admin-1"},
                                               repo=repo, clock=clock)


def test_a_student_whose_account_is_not_enabled_gets_the_same_refusal_as_a_wrong_password(repo, publish, clock):
    repo.accounts["student-1"] = a_student()

    with pytest.raises(NotAuthenticated) as refused:
        login("ada@example.org", "secret password", repo=repo, publish=publish, clock=clock)

    assert str(refused.value) == handlers.LOGIN_FAILED
    assert repo.sessions == {}


def test_a_student_signs_in_once_directory_enabled_the_account(repo, publish, clock):
    repo.accounts["student-1"] = a_student()

    assert enable_students("student-1", repo=repo, clock=clock) == 1
    session = login("ada@example.org", "secret password", repo=repo, publish=publish, clock=clock)

    assert session["principal"]["person_id"] == "student-1"


def test_an_enablement_that_arrives_before_the_account_counts_once_the_account_is_created(repo, publish, clock):
    enable_students("student-1", repo=repo, clock=clock)
    upsert([make_account_input(person_id="student-1", email="ada@example.org", mobile_phone=None,
                               roles=[{"role": "student", "school_ids": ["s1"]}])],
           repo=repo, publish=publish, clock=clock)
    handlers.set_password({"login": "ada@example.org", "password": "secret password"}, repo=repo,
                          passwords=PASSWORDS, clock=clock)

    session = login("ada@example.org", "secret password", repo=repo, publish=publish, clock=clock)

    assert session["principal"]["person_id"] == "student-1"


def test_an_enablement_delivered_twice_is_recorded_once_with_its_first_author(repo, clock):
    enable_students("student-1", "student-1", repo=repo, clock=clock)
    clock.now = NOW + timedelta(hours=1)
    handlers.record_student_enablements({"person_ids": ["student-1"], "enabled_by": "admin-2"}, repo=repo,
                                        clock=clock)

    assert repo.student_enablements == {"student-1": ("admin-1", NOW)}


def test_a_password_cannot_be_set_for_a_student_not_enabled_and_the_login_field_says_why(repo, clock):
    repo.accounts["student-1"] = a_student(password_hash=None)

    with pytest.raises(InvalidRequest) as refused:
        handlers.set_password({"login": "ada@example.org", "password": "secret password"}, repo=repo,
                              passwords=PASSWORDS, clock=clock)

    assert refused.value.fields == {"login": [STUDENT_NOT_ENABLED]}
    assert repo.account("student-1").password_hash is None


def test_a_student_who_is_also_a_guardian_signs_in_as_the_guardian_without_enablement(repo, publish, clock):
    repo.accounts["student-1"] = with_password("secret password", person_id="student-1", profile=make_profile(
        roles=(RoleGrant("guardian"), RoleGrant("student", ("s1",)))))

    assert login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)


def test_an_open_session_ends_when_the_account_is_left_a_student_not_enabled(repo, publish, clock):
    repo.accounts["student-1"] = with_password("secret password", person_id="student-1", profile=make_profile(
        roles=(RoleGrant("guardian"), RoleGrant("student", ("s1",)))))
    token = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)["token"]

    upsert([make_account_input(person_id="student-1", roles=[{"role": "student", "school_ids": ["s1"]}])],
           repo=repo, publish=publish, clock=clock)

    with pytest.raises(NotAuthenticated):
        authenticate(token, repo=repo, clock=clock)


# --- the source disables and re-enables accounts -----------------------------------------------

def test_an_account_the_source_disables_is_published_disabled_and_can_no_longer_sign_in(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")
    token = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)["token"]
    publish.published.clear()

    results = upsert([make_account_input(enabled=False)], repo=repo, publish=publish, clock=clock)

    assert [r["outcome"] for r in results] == ["updated"]
    [(event, payload)] = publish.published
    assert (event, payload["accounts"][0]["status"]) == ("accounts_upserted.v1", "disabled")
    with pytest.raises(NotAuthenticated):
        authenticate(token, repo=repo, clock=clock)
    with pytest.raises(NotAuthenticated):
        login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)


def test_an_account_the_source_enables_again_is_published_with_its_status_before_and_signs_in(repo, publish,
                                                                                              clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")
    login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)
    upsert([make_account_input(enabled=False)], repo=repo, publish=publish, clock=clock)
    publish.published.clear()

    results = upsert([make_account_input(enabled=True)], repo=repo, publish=publish, clock=clock)

    assert [r["outcome"] for r in results] == ["updated"]
    assert publish.published[0][1]["accounts"][0]["status"] == "active"
    assert login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)


# --- password work past what identity can afford is refused, not queued ------------------------

class SaturatedPasswords:
    """Every Argon2 slot is taken: what ThreadedArgon2Passwords does under a flood of logins."""

    def __init__(self, passwords=PASSWORDS, *, verifying: bool = False) -> None:
        self._passwords = passwords
        self._verifying = verifying

    def matches(self, password_hash: str, password: str) -> bool:
        if not self._verifying:
            raise PasswordChecksBusy("all slots taken")
        return self._passwords.matches(password_hash, password)

    def hash(self, password: str) -> str:
        raise PasswordChecksBusy("all slots taken")

    def needs_rehash(self, password_hash: str) -> bool:
        return self._passwords.needs_rehash(password_hash)

    def decoy_hash(self) -> str:
        return self._passwords.decoy_hash()


@pytest.mark.parametrize("login_value", ["dana.rivera@example.org", "nobody@example.org"])
def test_a_login_while_every_password_slot_is_taken_is_too_many_requests(repo, publish, clock, login_value):
    repo.accounts["person-guardian-1"] = with_password("secret password")

    with pytest.raises(TooManyRequests):
        handlers.login({"login": login_value, "password": "secret password"}, repo=repo,
                       passwords=SaturatedPasswords(), tokens=TOKENS, publish=publish, clock=clock)

    assert repo.sessions == {}


def test_a_weak_hash_waits_for_a_quieter_login_rather_than_refusing_this_one(repo, publish, clock):
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("secret password")
    repo.accounts["person-guardian-1"] = make_account(password_hash=weak)

    session = handlers.login({"login": "dana.rivera@example.org", "password": "secret password"}, repo=repo,
                             passwords=SaturatedPasswords(verifying=True), tokens=TOKENS, publish=publish,
                             clock=clock)

    assert session["principal"]["person_id"] == "person-guardian-1"
    assert repo.account("person-guardian-1").password_hash == weak


def test_setting_a_password_while_every_password_slot_is_taken_is_too_many_requests(repo, clock):
    repo.accounts["person-guardian-1"] = make_account()

    with pytest.raises(TooManyRequests):
        handlers.set_password({"login": "dana.rivera@example.org", "password": "secret password"}, repo=repo,
                              passwords=SaturatedPasswords(), clock=clock)

    assert repo.account("person-guardian-1").password_hash is None


# --- archived people leave sign-in; unarchiving restores it ----------------------------------

def people_changed(*changes, repo, clock):
    payload = directory.PEOPLE_UPSERTED.load({"people": [
        {"person_id": person_id, "district_id": "district-1", "given_name": "Dana", "family_name": "Rivera",
         "kinds": ["guardian"], "school_ids": [], "student_account_enabled": False, "archived": archived}
        for person_id, archived in changes]})
    return handlers.record_archivals(payload, repo=repo, clock=clock)


def test_an_archived_person_can_neither_sign_in_nor_keep_a_session_nor_set_a_password(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")
    token = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)["token"]

    people_changed(("person-guardian-1", True), repo=repo, clock=clock)

    with pytest.raises(NotAuthenticated):
        authenticate(token, repo=repo, clock=clock)
    with pytest.raises(NotAuthenticated):
        login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)
    with pytest.raises(InvalidRequest) as refused:
        handlers.set_password({"login": "dana.rivera@example.org", "password": "another password"}, repo=repo,
                              passwords=PASSWORDS, clock=clock)
    assert refused.value.fields["login"][0].startswith("the account is archived: ")


def test_unarchiving_restores_sign_in_and_the_open_session(repo, publish, clock):
    repo.accounts["person-guardian-1"] = with_password("secret password")
    token = login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)["token"]
    people_changed(("person-guardian-1", True), repo=repo, clock=clock)

    people_changed(("person-guardian-1", False), repo=repo, clock=clock)

    assert authenticate(token, repo=repo, clock=clock)["person_id"] == "person-guardian-1"
    assert login("dana.rivera@example.org", "secret password", repo=repo, publish=publish, clock=clock)


def test_an_archival_before_the_account_exists_counts_once_it_is_created(repo, publish, clock):
    people_changed(("person-guardian-1", True), repo=repo, clock=clock)

    upsert([make_account_input()], repo=repo, publish=publish, clock=clock)

    assert repo.account("person-guardian-1").archived


def test_a_person_named_twice_in_one_page_is_as_their_last_row_says(repo, clock):
    handled = people_changed(("p1", True), ("p2", True), ("p1", False), repo=repo, clock=clock)

    assert handled == 2
    assert set(repo.archived_people) == {"p2"}


# --- upsert_accounts and credentials of joined accounts ---------------------------------------

def test_an_upsert_refuses_a_joined_accounts_email_per_field_and_publishes_the_rest_of_the_row(repo, publish,
                                                                                              clock):
    repo.accounts["owner"] = make_account(person_id="owner", status="active", joined_at=NOW,
                                          profile=make_profile(email="owner@example.org", mobile_phone=None))

    results = upsert([make_account_input(email="OWNER@example.org")], repo=repo, publish=publish, clock=clock)

    assert results == [{"key": "person-guardian-1", "id": "person-guardian-1", "outcome": "created", "problems": [
        {"field": "email", "reason": "This email and phone can't be used at the same time: owner@example.org "
                                     "already belongs to another account that has joined"}]}]
    [(_, payload)] = publish.published
    assert [(a["email"], a["mobile_phone"]) for a in payload["accounts"]] == [(None, "+14155552671")]


def test_an_upsert_keeps_joined_accounts_contact_details_when_the_district_does_not_let_the_sync_update_them(
        repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account(status="active", joined_at=NOW)

    results = upsert([make_account_input(email="new@example.org")], repo=repo, publish=publish, clock=clock,
                     update_contact_details_of_active_users=False)

    assert [(r["outcome"], r["problems"]) for r in results] == [("unchanged", [])]
    assert publish.published == []
    assert repo.account("person-guardian-1").profile.email == "dana.rivera@example.org"


def test_an_account_added_by_hand_is_an_invitee_and_a_later_sync_keeps_its_hand_made_grants(repo, publish, clock):
    upsert([make_account_input(managed_by_sync=False)], repo=repo, publish=publish, clock=clock)
    handlers.grant_roles({"person_id": "person-guardian-1", "roles": [{"role": "teacher", "school_ids": ["s1"]}],
                          "changed_by": "admin-1"}, repo=repo, publish=publish, clock=clock)
    added = repo.account("person-guardian-1")

    upsert([make_account_input(roles=[{"role": "guardian", "school_ids": []}])], repo=repo, publish=publish,
           clock=clock)

    assert (added.status, added.profile.managed_by_sync) == ("invitee", False)
    synced = repo.account("person-guardian-1")
    assert synced.profile.managed_by_sync
    assert synced.roles == (RoleGrant("teacher", ("s1",)), RoleGrant("guardian"))
