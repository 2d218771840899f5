from datetime import datetime, timezone

import pytest

from services.identity.domain.accounts import CREATED, FAILED, UNCHANGED, UPDATED, Problem, RoleGrant, canonical_roles
from identity_builders import make_account, make_account_input, make_profile, plan_page

JOINED_AT = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)


def plan(items, existing=(), region="US"):
    return plan_page(items, existing=existing, region=region)


def test_an_unknown_person_gets_a_new_invitee_account_with_normalised_credentials():
    result = plan([make_account_input()])

    assert [(o.key, o.outcome, o.problems) for o in result.outcomes] == [("person-guardian-1", CREATED, ())]
    [account] = result.created
    assert account.status == "invitee"
    assert account.profile == make_profile()
    assert result.updated == []


def test_a_reimport_of_the_same_row_changes_nothing():
    result = plan([make_account_input(email="DANA.RIVERA@example.org ", mobile_phone="415-555-2671")],
                  existing=[make_account()])

    assert [o.outcome for o in result.outcomes] == [UNCHANGED]
    assert result.changed == []


def test_a_changed_name_updates_the_account_and_keeps_what_identity_owns():
    stored = make_account(status="active", password_hash="$argon2id$stored", permissions=("users_manager",))

    result = plan([make_account_input(family_name="Rivera-Lopez")], existing=[stored])

    assert [o.outcome for o in result.outcomes] == [UPDATED]
    [account] = result.updated
    assert account.profile.family_name == "Rivera-Lopez"
    assert (account.status, account.password_hash, account.permissions) == (
        "active", "$argon2id$stored", ("users_manager",))


def test_roles_in_the_row_replace_the_stored_grants():
    stored = make_account(profile=make_profile(roles=(RoleGrant("teacher", ("school-1",)),)))

    result = plan([make_account_input(roles=[{"role": "guardian", "school_ids": []},
                                              {"role": "teacher", "school_ids": ["school-2"]}])],
                  existing=[stored])

    assert result.updated[0].profile.roles == (RoleGrant("teacher", ("school-2",)), RoleGrant("guardian"))


def test_the_same_grants_in_another_order_are_not_a_change():
    stored = make_account(profile=make_profile(roles=(RoleGrant("teacher", ("school-1", "school-2")),
                                                      RoleGrant("guardian"))))

    result = plan([make_account_input(roles=[{"role": "guardian"},
                                              {"role": "teacher", "school_ids": ["school-2", "school-1"]}])],
                  existing=[stored])

    assert [o.outcome for o in result.outcomes] == [UNCHANGED]


def test_a_teacher_who_is_also_a_parent_holds_both_roles_on_one_account():
    assert canonical_roles([{"role": "guardian", "school_ids": []},
                            {"role": "teacher", "school_ids": ["school-1"]},
                            {"role": "teacher", "school_ids": ["school-3"]}]) == (
        RoleGrant("teacher", ("school-1", "school-3")), RoleGrant("guardian"))


def test_an_invalid_email_is_reported_and_a_new_account_is_created_without_it():
    result = plan([make_account_input(email="dana@")])

    [outcome] = result.outcomes
    assert outcome.outcome == CREATED
    assert [problem.field for problem in outcome.problems] == ["email"]
    assert result.created[0].profile.email is None
    assert result.created[0].profile.mobile_phone == "+14155552671"


def test_an_invalid_phone_keeps_the_number_the_account_already_had():
    result = plan([make_account_input(mobile_phone="555-1234", given_name="Danielle")], existing=[make_account()])

    [outcome] = result.outcomes
    assert outcome.outcome == UPDATED
    assert outcome.problems == (Problem("mobile_phone", "not a valid phone number (read with region US)"),)
    assert result.updated[0].profile.mobile_phone == "+14155552671"


def test_an_invalid_credential_on_an_otherwise_identical_row_is_reported_as_unchanged_with_a_problem():
    result = plan([make_account_input(email="not-an-email")], existing=[make_account()])

    [outcome] = result.outcomes
    assert (outcome.outcome, [p.field for p in outcome.problems]) == (UNCHANGED, ["email"])


def test_an_empty_credential_removes_the_stored_one_without_a_problem():
    result = plan([make_account_input(mobile_phone="")], existing=[make_account()])

    [outcome] = result.outcomes
    assert (outcome.outcome, outcome.problems) == (UPDATED, ())
    assert result.updated[0].profile.mobile_phone is None


def test_a_home_phone_is_stored_in_e164_using_the_request_region():
    result = plan([make_account_input(mobile_phone="07911 123456", home_phone="020 7946 0958")], region="GB")

    profile = result.created[0].profile
    assert (profile.mobile_phone, profile.home_phone) == ("+447911123456", "+442079460958")


def test_an_invalid_home_phone_is_reported_on_its_own_field():
    result = plan([make_account_input(home_phone="12")])

    assert [p.field for p in result.outcomes[0].problems] == ["home_phone"]
    assert result.created[0].profile.home_phone is None


def test_a_person_repeated_in_one_page_fails_after_the_first_row():
    result = plan([make_account_input(), make_account_input(given_name="Other")])

    assert [o.outcome for o in result.outcomes] == [CREATED, FAILED]
    assert result.outcomes[1].problems[0].field == "person_id"
    assert [account.profile.given_name for account in result.created] == ["Dana"]


def test_only_created_and_updated_accounts_are_changes():
    result = plan([make_account_input(person_id="new"),
                   make_account_input(person_id="same"),
                   make_account_input(person_id="renamed", given_name="Renamed")],
                  existing=[make_account(person_id="same"), make_account(person_id="renamed")])

    assert [o.outcome for o in result.outcomes] == [CREATED, UNCHANGED, UPDATED]
    assert [account.person_id for account in result.changed] == ["new", "renamed"]


# --- enabledUser: the source disables and re-enables accounts ----------------------------------

def test_a_new_row_the_source_does_not_enable_creates_a_disabled_account():
    result = plan([make_account_input(enabled=False)])

    [account] = result.created
    assert (account.status, account.disabled_by_sync) == ("disabled", True)


def test_a_row_without_the_enabled_flag_leaves_the_account_enabled():
    row = make_account_input()
    row.pop("enabled", None)

    assert plan([row]).created[0].status == "invitee"


@pytest.mark.parametrize("status", ["invitee", "active"])
def test_the_source_disabling_an_account_updates_it_to_disabled(status):
    result = plan([make_account_input(enabled=False)], existing=[make_account(status=status)])

    assert [o.outcome for o in result.outcomes] == [UPDATED]
    assert (result.updated[0].status, result.updated[0].disabled_by_sync) == ("disabled", True)


@pytest.mark.parametrize("joined_at, restored", [(None, "invitee"), (JOINED_AT, "active")])
def test_the_source_enabling_an_account_it_disabled_restores_invitee_or_active(joined_at, restored):
    disabled = make_account(status="disabled", disabled_by_sync=True, joined_at=joined_at)

    result = plan([make_account_input(enabled=True)], existing=[disabled])

    assert [o.outcome for o in result.outcomes] == [UPDATED]
    assert (result.updated[0].status, result.updated[0].disabled_by_sync) == (restored, False)


def test_the_source_does_not_lift_a_disablement_it_did_not_make():
    disabled_otherwise = make_account(status="disabled", disabled_by_sync=False)

    result = plan([make_account_input(enabled=True)], existing=[disabled_otherwise])

    assert [o.outcome for o in result.outcomes] == [UNCHANGED]


def test_disabling_an_account_that_is_already_disabled_changes_nothing():
    result = plan([make_account_input(person_id="by-sync", enabled=False),
                   make_account_input(person_id="otherwise", enabled=False)],
                  existing=[make_account(person_id="by-sync", status="disabled", disabled_by_sync=True),
                            make_account(person_id="otherwise", status="disabled", disabled_by_sync=False)])

    assert [o.outcome for o in result.outcomes] == [UNCHANGED, UNCHANGED]
    assert result.changed == []


# --- invalid_fields: a value the reader refused is no removal -------------------------------

@pytest.mark.parametrize("field", ["email", "mobile_phone", "home_phone"])
def test_an_empty_field_the_source_reports_invalid_keeps_the_stored_value(field):
    stored = make_account(profile=make_profile(home_phone="+14155550100"))
    row = make_account_input(home_phone="(415) 555-0100")
    row.update({field: None, "invalid_fields": [field]})

    result = plan([row], existing=[stored])

    [outcome] = result.outcomes
    assert (outcome.outcome, outcome.problems) == (UNCHANGED, ())


def test_a_field_reported_invalid_keeps_the_stored_value_whatever_the_row_holds():
    result = plan([make_account_input(email="dana.new@example.org", invalid_fields=["email"], given_name="Danielle")],
                  existing=[make_account()])

    assert result.updated[0].profile.email == "dana.rivera@example.org"


def test_an_empty_field_not_reported_invalid_still_clears_the_stored_value():
    result = plan([make_account_input(email=None, invalid_fields=["mobile_phone"])], existing=[make_account()])

    assert result.updated[0].profile.email is None
    assert result.updated[0].profile.mobile_phone == "+14155552671"


def test_a_new_account_has_nothing_in_a_field_reported_invalid():
    result = plan([make_account_input(mobile_phone=None, invalid_fields=["mobile_phone"])])

    assert result.created[0].profile.mobile_phone is None
    assert result.outcomes[0].problems == ()


# --- "allow sync to update contact details of active users" -----------------------------------

def joined_account(**overrides):
    return make_account(profile=make_profile(home_phone="+14155550100"), status="active", joined_at=JOINED_AT,
                        **overrides)


def test_without_the_setting_a_joined_account_keeps_its_contact_details_and_follows_the_rest_of_the_row():
    row = make_account_input(email="new@example.org", mobile_phone="415 555 0123", home_phone=None,
                             given_name="Danielle", roles=[{"role": "teacher", "school_ids": ["school-1"]}],
                             enabled=False)

    result = plan_page([row], existing=[joined_account()], update_contact_details_of_joined=False)

    [outcome] = result.outcomes
    assert (outcome.outcome, outcome.problems) == (UPDATED, ())
    profile = result.updated[0].profile
    assert (profile.email, profile.mobile_phone, profile.home_phone) == (
        "dana.rivera@example.org", "+14155552671", "+14155550100")
    assert (profile.given_name, profile.roles) == ("Danielle", (RoleGrant("teacher", ("school-1",)),))
    assert result.updated[0].status == "disabled"


def test_without_the_setting_a_joined_account_whose_row_differs_only_in_contact_details_is_unchanged():
    row = make_account_input(email="not an email", mobile_phone=None, home_phone="020 7946 0958")

    result = plan_page([row], existing=[joined_account()], update_contact_details_of_joined=False)

    assert [(o.outcome, o.problems) for o in result.outcomes] == [(UNCHANGED, ())]


def test_without_the_setting_accounts_not_joined_yet_still_take_the_rows_contact_details():
    result = plan_page([make_account_input(email="new@example.org"), make_account_input(person_id="new")],
                       existing=[make_account(status="disabled", disabled_by_sync=True)],
                       update_contact_details_of_joined=False)

    assert {a.person_id: a.profile.email for a in result.changed} == {
        "person-guardian-1": "new@example.org", "new": "dana.rivera@example.org"}


def test_with_the_setting_a_joined_accounts_contact_details_follow_the_sync():
    result = plan_page([make_account_input(email="new@example.org")], existing=[joined_account()])

    assert result.updated[0].profile.email == "new@example.org"


# --- roles granted by hand --------------------------------------------------------------------

def test_a_sync_replaces_the_synced_roles_and_keeps_the_roles_granted_by_hand():
    stored = make_account(profile=make_profile(roles=(RoleGrant("teacher", ("school-1",)),)),
                          manual_roles=(RoleGrant("guardian"),))

    result = plan([make_account_input(roles=[{"role": "teacher", "school_ids": ["school-2"]}])], existing=[stored])

    [account] = result.updated
    assert account.manual_roles == (RoleGrant("guardian"),)
    assert account.roles == (RoleGrant("teacher", ("school-2",)), RoleGrant("guardian"))


def test_a_sync_row_naming_a_role_granted_by_hand_changes_nothing_that_shows():
    stored = make_account(profile=make_profile(roles=()), manual_roles=(RoleGrant("guardian"),))

    result = plan([make_account_input(roles=[{"role": "guardian"}])], existing=[stored])

    assert result.updated[0].roles == stored.roles == (RoleGrant("guardian"),)
