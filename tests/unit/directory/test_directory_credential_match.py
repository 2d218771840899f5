"""Adding someone by email and/or mobile phone: link the account holding them, make a new person, or refuse."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.directory.domain.credential_match import (
    CREATE,
    JOINED,
    LINK,
    OF_ANOTHER_DISTRICT,
    REFUSE,
    SEVERAL,
    Holder,
    decide,
    may_only_share,
)
from shared.contracts.identity import CREDENTIAL_OF_JOINED_ACCOUNT

BOTH = frozenset({"email", "mobile_phone"})
EMAIL = frozenset({"email"})
PHONE = frozenset({"mobile_phone"})


def make_holder(person_id: str = "p1", holds=BOTH, joined: bool = False, in_district: bool = True) -> Holder:
    return Holder(person_id, frozenset(holds), joined, in_district)


holders = st.lists(st.builds(Holder, person_id=st.sampled_from(["p1", "p2", "p3", "p4"]),
                             holds=st.sampled_from([EMAIL, PHONE, BOTH]), joined=st.booleans(),
                             in_district=st.booleans()), max_size=4, unique_by=lambda h: h.person_id)
givens = st.sampled_from([EMAIL, PHONE, BOTH])


def test_nobody_holding_the_credentials_makes_a_new_person():
    assert decide(BOTH, []).outcome == CREATE


def test_the_one_account_holding_every_credential_is_linked():
    assert decide(BOTH, [make_holder("p1")]) == decide(BOTH, [make_holder("p1"), make_holder("p2", holds=EMAIL)])
    assert decide(BOTH, [make_holder("p1")]).outcome == LINK
    assert decide(BOTH, [make_holder("p1")]).person_id == "p1"


def test_a_joined_account_holding_only_the_email_refuses_email_and_phone_together_naming_it():
    decision = decide(BOTH, [make_holder("p7", holds=EMAIL, joined=True)])

    assert decision.outcome == REFUSE
    assert decision.message == CREDENTIAL_OF_JOINED_ACCOUNT
    assert decision.reason == JOINED
    assert decision.refused_kinds == ("email",)
    assert decision.existing_person_ids == ("p7",)


def test_a_joined_account_holding_the_only_credential_given_is_linked():
    assert decide(EMAIL, [make_holder("p7", holds=EMAIL, joined=True)]).person_id == "p7"


def test_two_parents_on_one_phone_who_have_not_joined_share_it_with_a_new_guardian():
    shared_phone = [make_holder("p1", holds=PHONE), make_holder("p2", holds=PHONE)]

    assert decide(BOTH, shared_phone).outcome == CREATE


def test_several_accounts_holding_every_credential_are_named_for_staff_to_choose():
    decision = decide(BOTH, [make_holder("p2"), make_holder("p1")])

    assert decision.outcome == REFUSE
    assert decision.reason == SEVERAL
    assert decision.existing_person_ids == ("p1", "p2")


def test_a_joined_account_among_several_holders_is_the_one_linked():
    assert decide(BOTH, [make_holder("p1"), make_holder("p2", joined=True)]).person_id == "p2"


def test_a_joined_account_of_another_district_is_refused_without_naming_it():
    decision = decide(BOTH, [make_holder("p9", joined=True, in_district=False)])

    assert decision.outcome == REFUSE
    assert decision.reason == OF_ANOTHER_DISTRICT
    assert decision.existing_person_ids == ()


def test_an_account_of_another_district_that_has_not_joined_is_shared_not_linked():
    assert decide(BOTH, [make_holder("p9", in_district=False)]).outcome == CREATE


@given(givens, holders)
def test_a_link_is_always_to_an_account_of_the_district_holding_every_credential(given_kinds, found):
    decision = decide(given_kinds, found)

    if decision.outcome == LINK:
        assert any(h.person_id == decision.person_id and given_kinds <= h.holds and h.in_district for h in found)


@given(givens, holders)
def test_no_new_person_is_made_when_a_joined_account_holds_a_given_credential(given_kinds, found):
    if any(h.joined and h.holds & given_kinds for h in found):
        assert decide(given_kinds, found).outcome != CREATE


@given(givens, holders)
def test_a_refusal_names_only_given_credentials_and_people_of_the_district(given_kinds, found):
    decision = decide(given_kinds, found)

    if decision.outcome == REFUSE:
        assert decision.refused_kinds and set(decision.refused_kinds) <= given_kinds
        district_ids = {h.person_id for h in found if h.in_district}
        assert set(decision.existing_person_ids) <= district_ids


@given(givens, holders)
def test_without_joined_accounts_nothing_is_refused_unless_several_hold_everything(given_kinds, found):
    unjoined = [h for h in found if not h.joined]
    decision = decide(given_kinds, unjoined)
    whole = {h.person_id for h in unjoined if given_kinds <= h.holds and h.in_district}

    assert (decision.outcome == REFUSE) == (len(whole) > 1)


@given(givens, holders)
def test_the_order_accounts_are_found_in_changes_nothing(given_kinds, found):
    assert decide(given_kinds, found) == decide(given_kinds, list(reversed(found)))


@given(givens, holders)
def test_a_new_student_is_refused_exactly_when_a_joined_account_holds_a_credential(given_kinds, found):
    decision = may_only_share(given_kinds, found)

    assert (decision.outcome == REFUSE) == any(h.joined and h.holds & given_kinds for h in found)
    assert decision.outcome in (CREATE, REFUSE)
