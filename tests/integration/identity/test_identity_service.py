"""identity over RPC: a real container, broker vhost and PostgreSQL schema per test."""
from __future__ import annotations

import time

import pytest
from nameko.testing.services import entrypoint_waiter
from services.identity.adapters.tokens import TokenConfigurationError
from services.identity.service import IdentityService
from shared.contracts.errors import InvalidRequest, NotAuthenticated, NotFound, TooManyRequests

pytestmark = pytest.mark.postgres

DISTRICT = "district-1"
PASSWORD = "a long enough password"


def upsert(rpc, *rows, region="US"):
    return rpc.upsert_accounts({"district_id": DISTRICT, "region": region, "accounts": list(rows)})["results"]


def recording_until(received: list, accepts):
    """An entrypoint_waiter callback: records every payload, stops waiting at the one `accepts` likes."""

    def record(worker_ctx, result, exc_info):
        received.append(result)
        return accepts(result)

    return record


def test_an_upserted_account_signs_in_and_its_token_authenticates(identity_rpc, identity_events,
                                                                   make_account_input):
    teacher = make_account_input(person_id="teacher-1", email="Ms.Lee@Example.org", mobile_phone=None,
                                 given_name="Ann", family_name="Lee",
                                 roles=[{"role": "teacher", "school_ids": ["school-1"]}])
    with entrypoint_waiter(identity_events, "on_accounts_upserted") as upserted:
        assert upsert(identity_rpc, teacher) == [
            {"key": "teacher-1", "id": "teacher-1", "outcome": "created", "problems": []}]
    assert [a["email"] for a in upserted.get()["accounts"]] == ["ms.lee@example.org"]
    identity_rpc.set_password({"login": "ms.lee@example.org", "password": PASSWORD})

    with entrypoint_waiter(identity_events, "on_user_joined") as joined:
        session = identity_rpc.login({"login": " MS.LEE@example.org", "password": PASSWORD})
    principal = identity_rpc.authenticate({"token": session["token"]})

    assert joined.get()["person_id"] == "teacher-1"
    assert principal == session["principal"] == {
        "person_id": "teacher-1", "district_id": DISTRICT, "display_name": "Ann Lee", "status": "active",
        "roles": [{"role": "teacher", "school_ids": ["school-1"]}], "permissions": [], "language": "en"}
    [account] = identity_rpc.get_accounts({"person_ids": ["teacher-1"]})["accounts"]
    assert account["status"] == "active"
    assert account["joined_at"] is not None


def test_a_later_login_keeps_the_first_join_time(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input())
    identity_rpc.set_password({"login": "dana.rivera@example.org", "password": PASSWORD})
    identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})
    [first] = identity_rpc.get_accounts({"person_ids": ["person-guardian-1"]})["accounts"]

    identity_rpc.login({"login": "4155552671", "password": PASSWORD})

    [second] = identity_rpc.get_accounts({"person_ids": ["person-guardian-1"]})["accounts"]
    assert second["joined_at"] == first["joined_at"]


def test_a_mobile_phone_signs_in_however_it_is_typed(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input())
    identity_rpc.set_password({"login": "+1 415 555 2671", "password": PASSWORD})

    session = identity_rpc.login({"login": "415.555.2671", "password": PASSWORD})

    assert session["principal"]["person_id"] == "person-guardian-1"


def test_a_home_phone_is_never_a_login(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input(home_phone="(415) 555-0100"))

    with pytest.raises(NotFound):
        identity_rpc.set_password({"login": "(415) 555-0100", "password": PASSWORD})


def test_a_wrong_password_and_an_unknown_login_get_the_same_refusal(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input())
    identity_rpc.set_password({"login": "dana.rivera@example.org", "password": PASSWORD})

    with pytest.raises(NotAuthenticated) as wrong_password:
        identity_rpc.login({"login": "dana.rivera@example.org", "password": "not the password"})
    with pytest.raises(NotAuthenticated) as unknown_login:
        identity_rpc.login({"login": "nobody@example.org", "password": PASSWORD})
    with pytest.raises(NotAuthenticated) as not_a_login:
        identity_rpc.login({"login": "dana rivera", "password": PASSWORD})

    assert str(wrong_password.value) == str(unknown_login.value) == str(not_a_login.value)


def test_an_account_without_a_password_cannot_sign_in(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input())

    with pytest.raises(NotAuthenticated):
        identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})


def test_two_parents_sharing_a_phone_each_sign_in_with_their_own_password(identity_rpc, make_account_input):
    upsert(identity_rpc,
           make_account_input(person_id="parent-1", email="one@example.org", mobile_phone="415-555-2671"),
           make_account_input(person_id="parent-2", email="two@example.org", mobile_phone="(415) 555 2671"),
           make_account_input(person_id="parent-3", email="three@example.org", mobile_phone=None))
    identity_rpc.set_password({"login": "one@example.org", "password": "parent one password"})
    identity_rpc.set_password({"login": "two@example.org", "password": "parent two password"})

    first = identity_rpc.login({"login": "4155552671", "password": "parent one password"})
    second = identity_rpc.login({"login": "4155552671", "password": "parent two password"})

    assert (first["principal"]["person_id"], second["principal"]["person_id"]) == ("parent-1", "parent-2")
    accounts = identity_rpc.get_accounts({"person_ids": ["parent-1", "parent-3"]})["accounts"]
    assert [a["credentials"] for a in accounts] == [
        [{"kind": "email", "value": "one@example.org", "shared": False},
         {"kind": "mobile_phone", "value": "+14155552671", "shared": True}],
        [{"kind": "email", "value": "three@example.org", "shared": False}],
    ]


def test_a_password_cannot_be_set_through_a_login_that_names_several_accounts(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input(person_id="parent-1", email=None),
           make_account_input(person_id="parent-2", email=None))

    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.set_password({"login": "415 555 2671", "password": PASSWORD})

    assert "login" in refused.value.fields


def test_setting_a_password_for_an_unknown_login_is_not_found(identity_rpc):
    with pytest.raises(NotFound):
        identity_rpc.set_password({"login": "nobody@example.org", "password": PASSWORD})


def test_a_reimport_changes_nothing_and_publishes_nothing(identity_rpc, identity_events, make_account_input):
    guardian = make_account_input(person_id="parent-1")
    with entrypoint_waiter(identity_events, "on_accounts_upserted"):
        upsert(identity_rpc, guardian)

    received = []
    parent_2_published = recording_until(
        received, lambda payload: payload["accounts"][0]["person_id"] == "parent-2")
    with entrypoint_waiter(identity_events, "on_accounts_upserted", timeout=15, callback=parent_2_published):
        again = upsert(identity_rpc, guardian)
        # Events arrive in publishing order, so the next real change shows whether the re-import published.
        upsert(identity_rpc, guardian, make_account_input(person_id="parent-2", email="two@example.org"))

    assert [r["outcome"] for r in again] == ["unchanged"]
    assert [[a["person_id"] for a in payload["accounts"]] for payload in received] == [["parent-2"]]


def test_a_changed_row_is_updated_and_published_alone(identity_rpc, identity_events, make_account_input):
    upsert(identity_rpc, make_account_input(person_id="parent-1"), make_account_input(person_id="parent-2"))

    with entrypoint_waiter(identity_events, "on_accounts_upserted") as published:
        results = upsert(identity_rpc, make_account_input(person_id="parent-1"),
                         make_account_input(person_id="parent-2", family_name="Rivera-Lopez"))

    assert [r["outcome"] for r in results] == ["unchanged", "updated"]
    assert [(a["person_id"], a["family_name"]) for a in published.get()["accounts"]] == [
        ("parent-2", "Rivera-Lopez")]


def test_invalid_credentials_are_reported_per_item_and_the_account_kept_without_them(identity_rpc,
                                                                                     make_account_input):
    results = upsert(identity_rpc,
                     make_account_input(person_id="parent-1", email="dana@", mobile_phone="555-1234"),
                     make_account_input(person_id="parent-2"))

    assert [(r["key"], r["outcome"], sorted(p["field"] for p in r["problems"])) for r in results] == [
        ("parent-1", "created", ["email", "mobile_phone"]), ("parent-2", "created", [])]
    [account] = identity_rpc.get_accounts({"person_ids": ["parent-1"]})["accounts"]
    assert (account["email"], account["mobile_phone"], account["credentials"]) == (None, None, [])
    assert account["home_phone"] == "+14155550100"


def test_one_person_with_two_roles_is_one_account(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input(person_id="person-1", roles=[
        {"role": "teacher", "school_ids": ["school-1"]}, {"role": "guardian", "school_ids": []}]))

    [account] = identity_rpc.get_accounts({"person_ids": ["person-1", "person-1"]})["accounts"]

    assert [grant["role"] for grant in account["roles"]] == ["teacher", "guardian"]


def test_get_accounts_leaves_out_unknown_people_and_keeps_the_requested_order(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input(person_id="a"), make_account_input(person_id="b"))

    accounts = identity_rpc.get_accounts({"person_ids": ["b", "unknown", "a"]})["accounts"]

    assert [a["person_id"] for a in accounts] == ["b", "a"]


def test_a_token_stops_working_when_the_password_is_reset(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input())
    identity_rpc.set_password({"login": "dana.rivera@example.org", "password": PASSWORD})
    session = identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})

    identity_rpc.set_password({"login": "dana.rivera@example.org", "password": "a brand new password"})

    with pytest.raises(NotAuthenticated):
        identity_rpc.authenticate({"token": session["token"]})


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_a_malformed_token_does_not_authenticate(identity_rpc, token):
    with pytest.raises(NotAuthenticated):
        identity_rpc.authenticate({"token": token})


def test_staff_permissions_are_replaced_recorded_and_published(identity_rpc, identity_events, stored,
                                                               make_account_input):
    upsert(identity_rpc, make_account_input(person_id="teacher-1",
                                            roles=[{"role": "teacher", "school_ids": ["s"]}]))

    with entrypoint_waiter(identity_events, "on_staff_permissions_changed") as changed:
        account = identity_rpc.set_staff_permissions({
            "person_id": "teacher-1", "permissions": ["users_manager", "permissions_admin", "users_manager"],
            "changed_by": "admin-1"})

    assert account["permissions"] == ["permissions_admin", "users_manager"]
    assert changed.get() == {"person_id": "teacher-1", "permissions": ["permissions_admin", "users_manager"],
                             "changed_by": "admin-1"}
    [change] = stored.permission_history("teacher-1")
    assert (change.previous_permissions, change.permissions, change.changed_by) == (
        (), ("permissions_admin", "users_manager"), "admin-1")


def test_staff_permissions_show_in_the_principal_at_the_next_sign_in(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input(person_id="teacher-1", roles=[{"role": "teacher", "school_ids": []}]))
    identity_rpc.set_staff_permissions({"person_id": "teacher-1", "permissions": ["rostering_administrator"],
                                        "changed_by": "admin-1"})
    identity_rpc.set_password({"login": "dana.rivera@example.org", "password": PASSWORD})

    session = identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})

    assert identity_rpc.authenticate({"token": session["token"]})["permissions"] == ["rostering_administrator"]


def test_only_staff_may_hold_staff_permissions(identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input(person_id="parent-1"))

    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.set_staff_permissions({"person_id": "parent-1", "permissions": ["users_manager"],
                                            "changed_by": "admin-1"})

    assert list(refused.value.fields) == ["permissions"]


def test_permissions_of_an_unknown_person_are_not_found(identity_rpc):
    with pytest.raises(NotFound):
        identity_rpc.set_staff_permissions({"person_id": "nobody", "permissions": [], "changed_by": "admin-1"})


def test_a_request_that_breaks_the_contract_is_refused_naming_the_field(identity_rpc):
    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.set_staff_permissions({"person_id": "p", "permissions": ["superuser"], "changed_by": "a"})

    assert "permissions" in refused.value.fields


@pytest.mark.parametrize("secret", [None, "too-short-secret"])
def test_identity_refuses_to_start_without_a_strong_token_secret(identity_config, container_factory, monkeypatch,
                                                                 secret):
    if secret is None:
        monkeypatch.delenv("IDENTITY_TOKEN_SECRET", raising=False)
    else:
        monkeypatch.setenv("IDENTITY_TOKEN_SECRET", secret)
    container = container_factory(IdentityService, identity_config)

    with pytest.raises(TokenConfigurationError, match="IDENTITY_TOKEN_SECRET"):
        container.start()


# --- students sign in only once directory enabled their account ------------------------------

def a_student(make_account_input, **overrides):
    return make_account_input(person_id="student-1", email="ada@example.org", mobile_phone=None, home_phone=None,
                              roles=[{"role": "student", "school_ids": ["school-1"]}], **overrides)


def test_a_student_not_enabled_can_neither_set_a_password_nor_sign_in(identity_rpc, make_account_input):
    upsert(identity_rpc, a_student(make_account_input))

    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.set_password({"login": "ada@example.org", "password": PASSWORD})
    with pytest.raises(NotAuthenticated) as not_enabled:
        identity_rpc.login({"login": "ada@example.org", "password": PASSWORD})
    with pytest.raises(NotAuthenticated) as unknown:
        identity_rpc.login({"login": "nobody@example.org", "password": PASSWORD})

    assert list(refused.value.fields) == ["login"] and "not enabled" in refused.value.fields["login"][0]
    assert str(not_enabled.value) == str(unknown.value)


def test_a_student_enabled_after_the_account_was_created_signs_in(identity_rpc, enable_students,
                                                                  make_account_input):
    upsert(identity_rpc, a_student(make_account_input))

    assert enable_students("student-1") == 1
    identity_rpc.set_password({"login": "ada@example.org", "password": PASSWORD})
    session = identity_rpc.login({"login": "ada@example.org", "password": PASSWORD})

    assert identity_rpc.authenticate({"token": session["token"]})["person_id"] == "student-1"


def test_a_student_enabled_before_the_account_was_created_signs_in(identity_rpc, enable_students,
                                                                   make_account_input):
    enable_students("student-1", "student-1")
    upsert(identity_rpc, a_student(make_account_input))

    identity_rpc.set_password({"login": "ada@example.org", "password": PASSWORD})
    session = identity_rpc.login({"login": "ada@example.org", "password": PASSWORD})

    assert session["principal"]["person_id"] == "student-1"


# --- the source disables and re-enables accounts; a value it refused is no removal ------------

def test_an_account_the_source_disables_is_published_disabled_and_signed_out(identity_rpc, identity_events,
                                                                             make_account_input):
    upsert(identity_rpc, make_account_input())
    identity_rpc.set_password({"login": "dana.rivera@example.org", "password": PASSWORD})
    session = identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})

    with entrypoint_waiter(identity_events, "on_accounts_upserted") as published:
        results = upsert(identity_rpc, make_account_input(enabled=False))

    assert [r["outcome"] for r in results] == ["updated"]
    assert published.get()["accounts"][0]["status"] == "disabled"
    with pytest.raises(NotAuthenticated):
        identity_rpc.authenticate({"token": session["token"]})
    with pytest.raises(NotAuthenticated):
        identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})


def test_an_account_the_source_enables_again_is_active_again_once_joined(identity_rpc, identity_events,
                                                                         make_account_input):
    upsert(identity_rpc, make_account_input())
    identity_rpc.set_password({"login": "dana.rivera@example.org", "password": PASSWORD})
    identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})
    upsert(identity_rpc, make_account_input(enabled=False))

    received = []
    enabled_again = recording_until(received, lambda payload: payload["accounts"][0]["status"] != "disabled")
    with entrypoint_waiter(identity_events, "on_accounts_upserted", timeout=15, callback=enabled_again):
        results = upsert(identity_rpc, make_account_input(enabled=True))

    assert [r["outcome"] for r in results] == ["updated"]
    assert received[-1]["accounts"][0]["status"] == "active"
    assert identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})["principal"]["status"] == \
        "active"


def test_credentials_the_source_reports_invalid_are_kept_and_empty_ones_not_reported_are_removed(
        identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input())

    results = upsert(identity_rpc, make_account_input(email=None, mobile_phone=None, home_phone=None,
                                                      invalid_fields=["email", "home_phone"]))

    assert [(r["outcome"], r["problems"]) for r in results] == [("updated", [])]
    [account] = identity_rpc.get_accounts({"person_ids": ["person-guardian-1"]})["accounts"]
    assert (account["email"], account["mobile_phone"], account["home_phone"]) == (
        "dana.rivera@example.org", None, "+14155550100")


def test_a_field_name_the_contract_does_not_know_in_invalid_fields_is_refused(identity_rpc, make_account_input):
    with pytest.raises(InvalidRequest) as refused:
        upsert(identity_rpc, make_account_input(invalid_fields=["password"]))

    assert "accounts" in refused.value.fields


# --- a flood of logins never starves authenticate -------------------------------------------

def test_authenticate_answers_promptly_while_a_flood_of_logins_is_refused_past_what_identity_can_hash(
        identity_rpc, make_account_input):
    upsert(identity_rpc, make_account_input())
    identity_rpc.set_password({"login": "dana.rivera@example.org", "password": PASSWORD})
    token = identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})["token"]

    flood = [identity_rpc.login.call_async({"login": "dana.rivera@example.org", "password": f"wrong {n}"})
             for n in range(40)]
    started = time.perf_counter()
    principal = identity_rpc.authenticate({"token": token})
    waited = time.perf_counter() - started
    refusals = []
    for reply in flood:
        with pytest.raises((NotAuthenticated, TooManyRequests)) as refused:
            reply.result()
        refusals.append(type(refused.value))

    assert principal["person_id"] == "person-guardian-1"
    # Queued behind 40 real Argon2 checks two at a time it waited 4-6 s; now it waits for refusals only.
    assert waited < 2.5
    assert TooManyRequests in refusals and NotAuthenticated in refusals
