import pytest

from services.gateway.domain.communications import (
    announcement_action, district_of, is_self, require_credential_kind, school_in_scope,
)
from shared.contracts.permissions import ANNOUNCE_TO_CLASSROOM, ANNOUNCE_TO_SCHOOL, ANNOUNCE_TO_SELECTED
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotFound

from gateway_builders import make_principal


@pytest.mark.parametrize(("audience", "action"), [
    ({"school_id": "school-1", "classroom_id": None, "person_ids": None}, ANNOUNCE_TO_SCHOOL),
    ({"school_id": None, "classroom_id": "class-1", "person_ids": None}, ANNOUNCE_TO_CLASSROOM),
    ({"school_id": None, "classroom_id": None, "person_ids": ["p-1"]}, ANNOUNCE_TO_SELECTED),
], ids=["school", "classroom", "selection"])
def test_an_announcement_needs_the_permission_of_its_audiences_target(audience, action):
    assert announcement_action(audience) == action


def test_an_audience_without_a_target_is_refused_naming_audience():
    with pytest.raises(InvalidRequest) as refused:
        announcement_action({"school_id": None, "classroom_id": None, "person_ids": None})

    assert list(refused.value.fields) == ["audience"]


def test_a_principal_is_itself_and_no_one_else():
    principal = make_principal(person_id="p-1")

    assert is_self(principal, "p-1")
    assert not is_self(principal, "p-2")


def test_district_settings_are_those_of_the_callers_district():
    assert district_of(make_principal(district_id="district-7")) == "district-7"


def test_a_caller_of_no_district_has_no_district_settings():
    with pytest.raises(NotFound):
        district_of(make_principal(district_id=None))


@pytest.mark.parametrize("kind", ["email", "mobile_phone"])
def test_emails_and_mobile_phones_can_be_reset(kind):
    require_credential_kind(kind)


@pytest.mark.parametrize("kind", ["home_phone", "fax", ""])
def test_any_other_credential_kind_is_refused_naming_kind(kind):
    with pytest.raises(InvalidRequest) as refused:
        require_credential_kind(kind)

    assert refused.value.fields == {"kind": ["Must be one of: email, mobile_phone."]}


@pytest.mark.parametrize("role", [identity.TEACHER, identity.SCHOOL_ADMIN])
def test_school_staff_reach_the_schools_of_their_grants_only(role):
    principal = make_principal(role, roles=[{"role": role, "school_ids": ["school-1"]}])

    assert school_in_scope(principal, "school-1")
    assert not school_in_scope(principal, "school-2", district_school_ids=["school-1", "school-2"])


def test_a_district_administrator_reaches_every_school_of_their_district_and_no_other():
    admin = make_principal(identity.DISTRICT_ADMIN)

    assert school_in_scope(admin, "school-2", district_school_ids=["school-1", "school-2"])
    assert not school_in_scope(admin, "school-9", district_school_ids=["school-1", "school-2"])


def test_a_guardian_reaches_no_school_even_one_of_the_district():
    assert not school_in_scope(make_principal(identity.GUARDIAN), "school-1", district_school_ids=["school-1"])
