"""The rules of changes staff make by hand: role grants and contact details."""
from hypothesis import given
from hypothesis import strategies as st

from services.identity.domain.accounts import RoleGrant, canonical_roles, union_of_roles
from services.identity.domain.hand_edits import conflict_fields, edited_profile, manual_roles_with, normalise_typed
from shared.contracts import identity
from identity_builders import make_account, make_profile

grants = st.lists(st.builds(RoleGrant, st.sampled_from(identity.ROLES),
                            st.lists(st.sampled_from(("s1", "s2", "s3")), max_size=3).map(tuple)), max_size=5)


@given(grants, grants)
def test_the_union_of_grants_is_canonical_whatever_their_order_and_holds_every_school_of_every_role(left, right):
    union = union_of_roles(left, right)

    assert union == union_of_roles(right, left) == union_of_roles(union, left)
    assert union == canonical_roles({"role": g.role, "school_ids": list(g.school_ids)} for g in [*left, *right])
    held = {(grant.role, school) for grant in union for school in grant.school_ids}
    assert held == {(grant.role, school) for grant in [*left, *right] for school in grant.school_ids}
    assert {grant.role for grant in union} == {grant.role for grant in [*left, *right]}


def test_granting_adds_to_the_grants_made_by_hand_before():
    account = make_account(manual_roles=(RoleGrant("teacher", ("school-1",)),))

    assert manual_roles_with(account, [{"role": "teacher", "school_ids": ["school-2"]}, {"role": "guardian"}]) == (
        RoleGrant("teacher", ("school-1", "school-2")), RoleGrant("guardian"))


def test_typed_contact_details_are_normalised_and_null_or_blank_remove_a_field():
    typed, invalid = normalise_typed({"email": " Dana@Example.org", "mobile_phone": None, "home_phone": "  "}, "US")

    assert (typed, invalid) == ({"email": "dana@example.org", "mobile_phone": None, "home_phone": None}, {})


def test_every_invalid_typed_field_is_named_with_its_reason():
    typed, invalid = normalise_typed({"email": "dana@", "mobile_phone": "555-1234", "home_phone": "020 7946 0958"},
                                     "GB")

    assert typed == {"home_phone": "+442079460958"}
    assert list(invalid) == ["email", "mobile_phone"]
    assert invalid["mobile_phone"] == ["not a valid phone number (read with region GB)"]
    assert invalid["email"][0].startswith("not a valid email address")


def test_an_edit_changes_only_the_fields_typed():
    profile = make_profile(home_phone="+14155550100")

    edited = edited_profile(profile, {"email": "new@example.org", "home_phone": None})

    assert (edited.email, edited.mobile_phone, edited.home_phone) == ("new@example.org", profile.mobile_phone, None)


def test_a_conflict_names_each_refused_field_and_the_accounts_to_link_instead_once_each():
    fields = conflict_fields({"email": "owner-1", "mobile_phone": "owner-1"},
                             {"email": "a@example.org", "mobile_phone": "+14155552671"})

    assert fields == {"email": ["a@example.org already belongs to another account that has joined"],
                      "mobile_phone": ["+14155552671 already belongs to another account that has joined"],
                      "existing_person_id": ["owner-1"]}
