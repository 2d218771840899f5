"""The rule that reads a 1.1 staff row and a guardian row as one person, whatever else the file holds."""
from collections import Counter
from datetime import datetime, timezone
from typing import NamedTuple

from hypothesis import given
from hypothesis import strategies as st
from rostering_builders import make_guardian, make_person, make_staff

from services.rostering.domain.same_person import EMAIL, MOBILE, SamePerson, combined, same_people
from services.rostering.domain.snapshot import GUARDIAN, STAFF, STUDENT, RoleAssignment

KINDS = [frozenset({STUDENT}), frozenset({STAFF}), frozenset({GUARDIAN}), frozenset({STAFF, GUARDIAN})]


class UserRow(NamedTuple):
    """The part of a Person the rule reads."""

    source_id: str
    kinds: frozenset[str]
    email: str | None
    mobile_phone: str | None


@st.composite
def user_rows(draw) -> list[UserRow]:
    # Few distinct emails and phones, so that rows share them often.
    count = draw(st.integers(0, 12))
    return [UserRow(f"user-{n}", draw(st.sampled_from(KINDS)), draw(st.sampled_from([None, "a@x.org", "b@x.org"])),
                    draw(st.sampled_from([None, "+16172531000", "+16172531001"]))) for n in range(count)]


def staff(source_id: str, email: str | None = None, mobile: str | None = None) -> UserRow:
    return UserRow(source_id, frozenset({STAFF}), email, mobile)


def parent(source_id: str, email: str | None = None, mobile: str | None = None) -> UserRow:
    return UserRow(source_id, frozenset({GUARDIAN}), email, mobile)


def student(source_id: str, email: str | None = None, mobile: str | None = None) -> UserRow:
    return UserRow(source_id, frozenset({STUDENT}), email, mobile)


def groups(found: list[SamePerson]) -> set[frozenset[str]]:
    return {frozenset((same.survivor, same.alias)) for same in found}


# --- properties ------------------------------------------------------------------------------


@given(rows=user_rows(), data=st.data())
def test_which_rows_are_one_person_does_not_depend_on_their_order(rows, data):
    shuffled = data.draw(st.permutations(rows))

    assert groups(same_people(shuffled)) == groups(same_people(rows))


@given(rows=user_rows())
def test_only_one_staff_row_and_one_guardian_row_are_ever_one_person(rows):
    kinds = {row.source_id: row.kinds for row in rows}

    for same in same_people(rows):
        assert {kinds[same.survivor], kinds[same.alias]} == {frozenset({STAFF}), frozenset({GUARDIAN})}


@given(rows=user_rows())
def test_a_row_is_one_person_with_at_most_one_other_row(rows):
    found = same_people(rows)

    assert all(count == 1 for count in Counter(row for same in found for row in same[:2]).values())


@given(rows=user_rows())
def test_the_earlier_row_survives_and_merges_come_in_the_order_of_their_later_row(rows):
    position = {row.source_id: n for n, row in enumerate(rows)}

    found = same_people(rows)

    assert all(position[same.survivor] < position[same.alias] for same in found)
    assert [position[same.alias] for same in found] == sorted(position[same.alias] for same in found)


@given(rows=user_rows())
def test_rows_are_one_person_only_by_a_shared_email_or_a_shared_mobile_without_conflicting_emails(rows):
    by_id = {row.source_id: row for row in rows}

    for same in same_people(rows):
        first, second = by_id[same.survivor], by_id[same.alias]
        if same.column == EMAIL:
            assert first.email is not None and first.email == second.email
        else:
            assert first.mobile_phone is not None and first.mobile_phone == second.mobile_phone
            assert not (first.email and second.email and first.email != second.email)


@given(rows=user_rows())
def test_an_email_held_by_exactly_one_staff_row_and_one_guardian_row_makes_them_one_person(rows):
    holders: dict[str, list[UserRow]] = {}
    for row in rows:
        if row.email is not None and row.kinds in KINDS[1:3]:
            holders.setdefault(row.email, []).append(row)

    found = groups(same_people(rows))

    for group in holders.values():
        if len(group) == 2 and group[0].kinds != group[1].kinds:
            assert frozenset(row.source_id for row in group) in found


# --- examples -------------------------------------------------------------------------------


def test_a_staff_row_and_a_parent_row_with_one_email_are_one_person_named_by_the_first():
    rows = [parent("parent-1", email="a@x.org"), student("student-1"), staff("teacher-1", email="a@x.org")]

    assert same_people(rows) == [SamePerson("parent-1", "teacher-1", EMAIL)]


def test_a_shared_mobile_makes_one_person_only_when_the_emails_do_not_conflict():
    agreeing = [staff("t-1", email="a@x.org", mobile="+16172531000"), parent("p-1", mobile="+16172531000")]
    conflicting = [staff("t-1", email="a@x.org", mobile="+16172531000"),
                   parent("p-1", email="b@x.org", mobile="+16172531000")]

    assert same_people(agreeing) == [SamePerson("t-1", "p-1", MOBILE)]
    assert same_people(conflicting) == []


def test_two_parents_two_staff_or_a_student_are_never_one_person():
    assert same_people([parent("p-1", email="a@x.org"), parent("p-2", email="a@x.org")]) == []
    assert same_people([staff("t-1", mobile="+16172531000"), staff("t-2", mobile="+16172531000")]) == []
    assert same_people([student("s-1", mobile="+16172531000"), parent("p-1", mobile="+16172531000")]) == []


def test_an_email_shared_by_two_parents_and_a_teacher_is_ambiguous_and_makes_nobody_one_person():
    rows = [staff("t-1", email="a@x.org"), parent("p-1", email="a@x.org"), parent("p-2", email="a@x.org")]

    assert same_people(rows) == []


def test_a_student_sharing_the_phone_does_not_stop_a_parent_and_a_teacher_being_one_person():
    rows = [staff("t-1", mobile="+16172531000"), student("s-1", mobile="+16172531000"),
            parent("p-1", mobile="+16172531000")]

    assert same_people(rows) == [SamePerson("t-1", "p-1", MOBILE)]


def test_a_chain_of_shared_credentials_pairs_by_email_first():
    # Staff A shares an email with parent B; B shares a mobile with staff C.
    rows = [staff("a", email="a@x.org"), parent("b", email="a@x.org", mobile="+16172531000"),
            staff("c", mobile="+16172531000")]

    assert same_people(rows) == [SamePerson("a", "b", EMAIL)]


# --- one person from two rows -------------------------------------------------------------------


def test_the_combined_person_holds_both_roles_and_what_either_row_knows():
    teacher = make_staff(source_id="t-1", email="grace@x.org", username="grace", line=2,
                         role_assignments=(RoleAssignment("teacher", "school-1", True),),
                         date_last_modified=datetime(2026, 8, 1, tzinfo=timezone.utc))
    parent_row = make_guardian(source_id="p-1", given_name="G.", org_source_ids=("school-2",), email="grace@x.org",
                               mobile_phone="+16172531000", username=None, invalid_fields=("home_phone",), line=9,
                               role_assignments=(RoleAssignment("parent", "school-2", True),),
                               date_last_modified=datetime(2026, 8, 2))

    person = combined(teacher, parent_row)

    assert (person.source_id, person.given_name, person.line) == ("t-1", "Grace", 2)
    assert (person.kinds, person.roles, person.job_title) == ({STAFF, GUARDIAN}, ("teacher", "parent"), "Teacher")
    assert person.org_source_ids == ("school-1", "school-2")
    assert (person.email, person.mobile_phone, person.username) == ("grace@x.org", "+16172531000", "grace")
    assert len(person.role_assignments) == 2 and person.invalid_fields == ("home_phone",)
    # One date has a time zone and the other not: the first row's is kept.
    assert person.date_last_modified == teacher.date_last_modified


def test_a_field_invalid_on_one_row_and_filled_by_the_other_is_known():
    first = make_person(mobile_phone=None, invalid_fields=("mobile_phone",))
    second = make_person(source_id="p-1", mobile_phone="+16172531000")

    assert combined(first, second).invalid_fields == ()
