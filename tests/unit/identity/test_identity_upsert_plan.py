from services.identity.domain.accounts import (
    CREATED,
    FAILED,
    UNCHANGED,
    UPDATED,
    Problem,
    RoleGrant,
    canonical_roles,
    plan_upserts,
)
from identity_builders import make_account, make_account_input, make_profile


def plan(items, existing=(), region="US"):
    return plan_upserts(items, district_id="district-1", region=region,
                        existing={account.person_id: account for account in existing})


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
