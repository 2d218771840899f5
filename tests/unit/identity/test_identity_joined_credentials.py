"""A sync never hands a joined account's email or mobile phone to another account."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.identity.domain.accounts import CREATED, UNCHANGED, UPDATED, Problem
from services.identity.domain.credentials import LOGIN_KINDS
from services.identity.domain.joined_credentials import new_credentials, taken_by_joined
from identity_builders import make_account, make_account_input, make_profile, plan_page

JOINED_AT = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
IN_USE = "This email and phone can't be used at the same time"


def joined(person_id: str, **profile_overrides):
    """An account whose owner signed in; its own mobile phone unless told otherwise."""
    profile_overrides.setdefault("mobile_phone", "+14155550199")
    return make_account(person_id=person_id, profile=make_profile(**profile_overrides), status="active",
                        joined_at=JOINED_AT)


def not_joined(person_id: str, **profile_overrides):
    return make_account(person_id=person_id, profile=make_profile(**profile_overrides))


def outcome_of(plan, person_id):
    [outcome] = [o for o in plan.outcomes if o.key == person_id]
    return outcome


def account_of(plan, person_id):
    [account] = [a for a in plan.changed if a.person_id == person_id]
    return account


def test_a_new_account_is_created_without_the_email_of_a_joined_account_and_the_field_is_reported():
    owner = joined("owner", email="dana.rivera@example.org")

    result = plan_page([make_account_input(person_id="newcomer", email="Dana.Rivera@Example.org")], others=[owner])

    outcome = outcome_of(result, "newcomer")
    assert outcome.outcome == CREATED
    assert outcome.problems == (Problem("email", f"{IN_USE}: dana.rivera@example.org already belongs to another "
                                                 "account that has joined"),)
    account = account_of(result, "newcomer")
    assert (account.profile.email, account.profile.mobile_phone) == (None, "+14155552671")


def test_an_existing_account_keeps_its_stored_mobile_phone_when_the_row_names_a_joined_accounts_phone():
    owner = joined("owner", email="owner@example.org", mobile_phone="+14155550123")
    stored = not_joined("guardian", email="guardian@example.org")

    result = plan_page([make_account_input(person_id="guardian", email="guardian@example.org",
                                           mobile_phone="415 555 0123", given_name="Danielle")],
                       existing=[stored], others=[owner])

    outcome = outcome_of(result, "guardian")
    assert outcome.outcome == UPDATED
    assert outcome.problems == (Problem("mobile_phone", f"{IN_USE}: +14155550123 already belongs to another "
                                                        "account that has joined"),)
    assert account_of(result, "guardian").profile.mobile_phone == "+14155552671"
    assert account_of(result, "guardian").profile.given_name == "Danielle"


def test_a_row_whose_only_change_is_a_joined_accounts_credential_is_unchanged_with_a_problem():
    owner = joined("owner", email="owner@example.org")

    result = plan_page([make_account_input(person_id="guardian", email="owner@example.org")],
                       existing=[not_joined("guardian")], others=[owner])

    outcome = outcome_of(result, "guardian")
    assert (outcome.outcome, [p.field for p in outcome.problems]) == (UNCHANGED, ["email"])
    assert result.changed == []


def test_a_joined_account_in_another_district_protects_its_credential_too():
    owner = joined("owner", email="owner@example.org", district_id="district-2")

    result = plan_page([make_account_input(person_id="newcomer", email="owner@example.org")], others=[owner])

    assert [p.field for p in outcome_of(result, "newcomer").problems] == ["email"]


def test_two_parents_who_have_not_joined_share_one_phone_as_before():
    spouse = not_joined("parent-1", email="one@example.org")

    result = plan_page([make_account_input(person_id="parent-2", email="two@example.org")], others=[spouse])

    assert outcome_of(result, "parent-2").problems == ()
    assert account_of(result, "parent-2").profile.mobile_phone == spouse.profile.mobile_phone


def test_an_account_keeps_a_credential_it_already_shares_with_an_account_that_joined_since():
    owner = joined("owner", email="owner@example.org", mobile_phone="+14155552671")
    spouse = not_joined("spouse", email="spouse@example.org")

    result = plan_page([make_account_input(person_id="spouse", email="spouse@example.org", given_name="Sam")],
                       existing=[spouse], others=[owner])

    assert outcome_of(result, "spouse").problems == ()
    assert account_of(result, "spouse").profile.mobile_phone == owner.profile.mobile_phone


def test_the_joined_owners_own_row_keeps_and_changes_their_credentials_freely():
    owner = joined("owner", email="owner@example.org")

    result = plan_page([make_account_input(person_id="owner", email="owner.new@example.org")], existing=[owner])

    assert outcome_of(result, "owner").problems == ()
    assert account_of(result, "owner").profile.email == "owner.new@example.org"


@pytest.mark.parametrize("owner_first", [True, False])
def test_a_credential_a_joined_account_takes_in_the_same_page_goes_to_nobody_else_whatever_the_order(owner_first):
    owner = joined("owner", email="owner@example.org")
    rows = [make_account_input(person_id="owner", email="family@example.org"),
            make_account_input(person_id="newcomer", email="family@example.org", mobile_phone=None)]

    result = plan_page(rows if owner_first else rows[::-1], existing=[owner])

    assert account_of(result, "owner").profile.email == "family@example.org"
    assert outcome_of(result, "newcomer").problems == (Problem("email", (
        f"{IN_USE}: family@example.org is also given by this sync to another account that has joined")),)
    assert account_of(result, "newcomer").profile.email is None


def test_two_rows_of_one_page_share_a_new_phone_when_neither_account_has_joined():
    result = plan_page([make_account_input(person_id="parent-1", email="one@example.org"),
                        make_account_input(person_id="parent-2", email="two@example.org")],
                       existing=[not_joined("parent-1", email="one@example.org", mobile_phone=None)])

    assert [(o.outcome, o.problems) for o in result.outcomes] == [(UPDATED, ()), (CREATED, ())]
    assert {a.profile.mobile_phone for a in result.changed} == {"+14155552671"}


def test_two_joined_accounts_asking_for_the_same_new_credential_in_one_page_both_keep_their_own():
    first = joined("first", email="first@example.org", mobile_phone=None)
    second = joined("second", email="second@example.org", mobile_phone=None)

    result = plan_page([make_account_input(person_id="first", email="shared@example.org", mobile_phone=None),
                        make_account_input(person_id="second", email="shared@example.org", mobile_phone=None)],
                       existing=[first, second])

    assert [[p.field for p in o.problems] for o in result.outcomes] == [["email"], ["email"]]
    assert result.changed == []


def test_a_joined_account_leaving_a_credential_protects_it_for_the_rest_of_that_page():
    # Conservative on purpose: the next sync hands the credential on once the owner no longer holds it.
    owner = joined("owner", email="old@example.org")

    result = plan_page([make_account_input(person_id="owner", email="new@example.org"),
                        make_account_input(person_id="spouse", email="old@example.org", mobile_phone=None)],
                       existing=[owner])

    assert [p.field for p in outcome_of(result, "spouse").problems] == ["email"]


def test_a_home_phone_is_no_login_and_is_never_refused():
    owner = joined("owner", email="owner@example.org", home_phone="+14155550100")

    result = plan_page([make_account_input(person_id="newcomer", home_phone="415 555 0100")], others=[owner])

    assert outcome_of(result, "newcomer").problems == ()


def test_new_credentials_are_the_login_values_an_account_does_not_hold_yet():
    stored = make_profile(email="a@example.org", mobile_phone="+14155552671")

    assert new_credentials(stored, replace(stored, email="b@example.org", home_phone="+14155550100")) == {
        ("email", "b@example.org")}
    assert new_credentials(None, replace(stored, mobile_phone=None)) == {("email", "a@example.org")}
    assert new_credentials(stored, replace(stored, email=None)) == set()


def test_taken_credentials_name_the_least_joined_holder_of_another_person():
    profile = make_profile(email="x@example.org", mobile_phone="+14155552671")
    holders = {("email", "x@example.org"): frozenset({"me", "b", "a"}),
               ("mobile_phone", "+14155552671"): frozenset({"me"})}

    assert taken_by_joined("me", None, profile, holders) == {"email": "a"}


# --- the rule over every page ---------------------------------------------------------------

PEOPLE = ("p1", "p2", "p3", "p4")
EMAILS = (None, "a@example.org", "b@example.org", "c@example.org")
PHONES = (None, "+14155550101", "+14155550102")

stored_accounts = st.builds(
    lambda person_id, email, phone, has_joined: replace(
        make_account(person_id=person_id, profile=make_profile(email=email, mobile_phone=phone)),
        joined_at=JOINED_AT if has_joined else None, status="active" if has_joined else "invitee"),
    st.sampled_from(PEOPLE), st.sampled_from(EMAILS), st.sampled_from(PHONES), st.booleans())
rows = st.builds(lambda person_id, email, phone: make_account_input(person_id=person_id, email=email,
                                                                    mobile_phone=phone),
                 st.sampled_from(PEOPLE), st.sampled_from(EMAILS), st.sampled_from(PHONES))


def distinct_people(accounts):
    return list({account.person_id: account for account in accounts}.values())


@settings(max_examples=300, deadline=None)
@given(store=st.lists(stored_accounts, max_size=4).map(distinct_people),
       page=st.lists(rows, min_size=1, max_size=5).map(
           lambda items: list({item["person_id"]: item for item in items}.values())))
def test_after_any_page_no_account_newly_holds_a_credential_of_another_joined_account(store, page):
    by_person = {account.person_id: account for account in store}
    in_page = {item["person_id"] for item in page}
    result = plan_page(page, existing=[a for a in store if a.person_id in in_page],
                       others=[a for a in store if a.person_id not in in_page])
    after = {**by_person, **{account.person_id: account for account in result.changed}}
    joined_before = {(kind, getattr(a.profile, kind)): a.person_id
                     for a in store if a.joined_at for kind in LOGIN_KINDS if getattr(a.profile, kind)}

    for account in result.changed:
        stored = by_person.get(account.person_id)
        for kind, value in new_credentials(stored.profile if stored else None, account.profile):
            others_joined = {p for p, a in after.items() if p != account.person_id and a.joined_at
                             and getattr(a.profile, kind) == value}
            assert not others_joined, (kind, value, others_joined)
            assert joined_before.get((kind, value), account.person_id) == account.person_id

    for item, outcome in zip(page, result.outcomes):
        account = after[item["person_id"]]
        refused = {p.field for p in outcome.problems}
        for kind in LOGIN_KINDS:
            # Every field either follows the row or keeps the stored value and says why.
            if kind in refused:
                stored = by_person.get(item["person_id"])
                assert getattr(account.profile, kind) == (getattr(stored.profile, kind) if stored else None)
            else:
                assert getattr(account.profile, kind) == item[kind]
