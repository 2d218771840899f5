"""Who may moderate which conversation (shared.contracts.permissions.may_moderate): worked examples, then a
property over roles, schools and permissions."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.contracts import identity
from shared.contracts.permissions import MODERATE_CONTENT, may, may_moderate, moderation_reach
from shared.testing.principals import make_principal

SCHOOLS = ("s1", "s2", "s3")
DISTRICT = "district-1"


def person(role: str, *schools: str, permissions=(), **overrides) -> dict:
    return make_principal(roles=[{"role": role, "school_ids": list(schools)}], permissions=list(permissions),
                          **overrides)


def test_a_district_administrator_moderates_every_conversation_of_the_district_only():
    admin = person(identity.DISTRICT_ADMIN)
    assert moderation_reach(admin) is None
    assert may_moderate(admin, DISTRICT, [])
    assert not may_moderate(admin, "district-2", ["s1"])


def test_a_school_administrator_moderates_conversations_with_someone_of_their_school():
    admin = person(identity.SCHOOL_ADMIN, "s1")
    assert may_moderate(admin, DISTRICT, ["s1", "s2"])
    assert not may_moderate(admin, DISTRICT, ["s2"])


def test_a_teacher_moderates_only_as_a_content_moderator_and_only_in_their_schools():
    teacher = person(identity.TEACHER, "s1")
    moderator = person(identity.TEACHER, "s1", permissions=[identity.CONTENT_MODERATOR])
    assert not may(teacher, MODERATE_CONTENT)
    assert not may_moderate(teacher, DISTRICT, ["s1"])
    assert may(moderator, MODERATE_CONTENT)
    assert may_moderate(moderator, DISTRICT, ["s1"])
    assert not may_moderate(moderator, DISTRICT, ["s2"])


def test_families_never_moderate_even_holding_an_inert_permission():
    for role in (identity.GUARDIAN, identity.STUDENT):
        family = person(role, "s1", permissions=[identity.CONTENT_MODERATOR])
        assert moderation_reach(family) == frozenset()
        assert not may_moderate(family, DISTRICT, ["s1"])


def test_a_disabled_moderator_moderates_nothing():
    assert not may_moderate(person(identity.DISTRICT_ADMIN, status="disabled"), DISTRICT, ["s1"])


@given(role=st.sampled_from(identity.ROLES),
       own=st.frozensets(st.sampled_from(SCHOOLS)), conversation=st.frozensets(st.sampled_from(SCHOOLS)),
       permissions=st.frozensets(st.sampled_from(identity.STAFF_PERMISSIONS)),
       district=st.sampled_from((DISTRICT, "district-2")))
def test_moderating_needs_the_action_the_district_and_a_shared_school(role, own, conversation, permissions,
                                                                      district):
    moderator = person(role, *sorted(own), permissions=sorted(permissions))
    allowed = may_moderate(moderator, district, conversation)
    if allowed:
        assert may(moderator, MODERATE_CONTENT) and district == DISTRICT
        assert role == identity.DISTRICT_ADMIN or own & conversation
    else:
        assert (not may(moderator, MODERATE_CONTENT) or district != DISTRICT
                or (role != identity.DISTRICT_ADMIN and not own & conversation))
