import pytest

from services.gateway.domain.access import may_see_contact_details, require, require_staff
from services.gateway.domain.authentication import bearer_token
from services.gateway.domain.profiles import account_of, user_profile
from services.gateway.domain.results import summarize_outcomes
from shared.contracts.permissions import ENABLE_STUDENT_ACCOUNTS, SEARCH_DIRECTORY
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotAuthenticated, PermissionDenied

from gateway_builders import make_account, make_credential_health, make_person_profile, make_principal


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_request_without_authorization_is_not_authenticated(header):
    with pytest.raises(NotAuthenticated, match="Sign in"):
        bearer_token(header)


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer two tokens", "token-only"])
def test_an_authorization_that_is_not_one_bearer_token_is_refused(header):
    with pytest.raises(NotAuthenticated, match="Bearer <token>"):
        bearer_token(header)


def test_the_bearer_scheme_is_read_case_insensitively_and_the_token_kept_exactly():
    assert bearer_token("bearer AbC.123") == "AbC.123"
    assert bearer_token("  Bearer   AbC.123 ") == "AbC.123"


def test_outcomes_are_counted_per_kind():
    results = [{"key": "a", "outcome": "enabled"}, {"key": "b", "outcome": "not_found"},
               {"key": "c", "outcome": "enabled"}]

    assert summarize_outcomes(results) == {"enabled": 2, "not_found": 1}


def test_no_results_summarize_to_nothing():
    assert summarize_outcomes([]) == {}


def test_the_account_of_a_person_is_found_among_others():
    mine = make_account(person_id="p-2")

    assert account_of([make_account(person_id="p-1"), mine], "p-2") is mine
    assert account_of([make_account(person_id="p-1")], "p-2") is None


def test_a_profile_with_contact_details_shows_credentials_home_phone_and_status():
    profile = user_profile(make_person_profile(), make_account(), show_contact_details=True,
                           show_delivery_status=True)

    assert profile["account_status"] == "active"
    assert profile["home_phone"] == "+15555550199"
    assert {"kind": "mobile_phone", "value": "+15555550101", "shared": True,
            "delivery_status": None} in profile["credentials"]
    assert profile["given_name"] == "Dana"


def test_each_credential_carries_notifys_delivery_status_for_that_address():
    health = [
        make_credential_health(kind="email", address="dana@example.org", state="bad",
                               reason="hard bounce: 550 5.1.1 no such mailbox", last_status="failed"),
        make_credential_health(kind="mobile_phone", address="+15555550101", state="opted_out", reason="STOP"),
    ]

    profile = user_profile(make_person_profile(), make_account(), show_contact_details=True,
                           show_delivery_status=True, credential_health=health)

    statuses = {credential["kind"]: credential["delivery_status"] for credential in profile["credentials"]}
    assert statuses["email"] == {"state": "bad", "reason": "hard bounce: 550 5.1.1 no such mailbox",
                                 "last_status": "failed", "updated_at": "2026-09-01T08:00:00+00:00"}
    assert statuses["mobile_phone"]["state"] == "opted_out"


def test_health_recorded_for_an_address_the_person_no_longer_has_is_not_shown_on_the_new_one():
    old_address = make_credential_health(kind="email", address="old@example.org", state="bad", reason="bounced")

    profile = user_profile(make_person_profile(), make_account(), show_contact_details=True,
                           show_delivery_status=True, credential_health=[old_address])

    assert [credential["delivery_status"] for credential in profile["credentials"]] == [None, None]


def test_delivery_status_stays_hidden_with_the_credentials():
    health = [make_credential_health(kind="email", address="dana@example.org", state="bad", reason="bounced")]

    profile = user_profile(make_person_profile(), make_account(), show_contact_details=False,
                           credential_health=health)

    assert "credentials" not in profile and "bounced" not in str(profile)


def test_without_an_extended_permission_credentials_are_shown_without_their_delivery_status():
    health = [make_credential_health(kind="email", address="dana@example.org", state="bad", reason="bounced")]

    profile = user_profile(make_person_profile(), make_account(), show_contact_details=True,
                           show_delivery_status=False, credential_health=health)

    assert [credential["kind"] for credential in profile["credentials"]] == ["email", "mobile_phone"]
    assert all("delivery_status" not in credential for credential in profile["credentials"])
    assert "bounced" not in str(profile)


def test_the_communication_history_is_shown_as_notify_answered_it_and_left_out_when_there_is_none():
    history = {"items": [], "total": 0, "page": 1, "per_page": 20, "scope": "took_part"}

    shown = user_profile(make_person_profile(), make_account(), show_contact_details=True,
                         communication_history=history)
    hidden = user_profile(make_person_profile(), make_account(), show_contact_details=False)

    assert shown["communication_history"] == history and "communication_history" not in hidden


def test_a_profile_without_contact_details_leaves_credentials_and_home_phone_out_but_keeps_status():
    profile = user_profile(make_person_profile(), make_account(status="invitee"), show_contact_details=False)

    assert "credentials" not in profile and "home_phone" not in profile
    assert profile["account_status"] == "invitee"


def test_a_person_without_an_account_has_no_status_and_no_credentials():
    profile = user_profile(make_person_profile(), None, show_contact_details=True)

    assert profile["account_status"] is None
    assert profile["credentials"] == [] and profile["home_phone"] is None


def test_everyone_sees_their_own_contact_details():
    guardian = make_principal(identity.GUARDIAN, person_id="g-1")

    assert may_see_contact_details(guardian, "g-1")


def test_a_guardian_does_not_see_another_persons_contact_details():
    assert not may_see_contact_details(make_principal(identity.GUARDIAN, person_id="g-1"), "g-2")


def test_staff_see_other_peoples_contact_details():
    assert may_see_contact_details(make_principal(identity.TEACHER), "g-2")


def test_an_action_the_principal_may_not_take_is_denied_naming_the_action():
    with pytest.raises(PermissionDenied, match=SEARCH_DIRECTORY):
        require(make_principal(identity.GUARDIAN), SEARCH_DIRECTORY)


def test_an_action_the_principal_may_take_passes():
    require(make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER,)), ENABLE_STUDENT_ACCOUNTS)


def test_permissions_can_only_be_set_for_staff():
    with pytest.raises(InvalidRequest) as refused:
        require_staff(make_person_profile(kinds=["guardian"]))

    assert refused.value.fields == {"id": ["Not a staff member."]}
    require_staff(make_person_profile(kinds=["guardian", "staff"]))
