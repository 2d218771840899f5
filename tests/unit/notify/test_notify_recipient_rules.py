"""How each kind of fact changes a recipient, and why the result does not depend on arrival order."""
import pytest

from services.notify.domain.recipients import (
    Recipient,
    StudentAccountEnabled,
    UserJoined,
    apply_fact,
    apply_facts,
    changed,
    is_student,
)
from tests.unit.notify.notify_factories import make_account_facts, make_directory_facts


def project(*facts) -> Recipient:
    projection = apply_facts({}, facts)
    assert len(projection) == 1
    return next(iter(projection.values()))


def test_an_account_sets_credentials_roles_and_status_and_leaves_directory_fields_empty():
    recipient = project(make_account_facts(email="a@example.org", mobile_phone="+15555550111",
                                           status="invitee", roles=("teacher", "guardian")))

    assert recipient == Recipient(
        person_id="person-1", district_id="district-1", given_name="Dana", family_name="Reyes",
        email="a@example.org", mobile_phone="+15555550111", account_status="invitee",
        roles=("guardian", "teacher"),
    )


def test_a_directory_person_sets_kinds_schools_and_flags_and_leaves_credentials_empty():
    recipient = project(make_directory_facts(kinds=("student",), school_ids=("school-2", "school-1"),
                                             student_account_enabled=True, archived=True))

    assert recipient == Recipient(
        person_id="person-1", district_id="district-1", given_name="Dana", family_name="Reyes",
        kinds=("student",), school_ids=("school-1", "school-2"), student_account_enabled=True,
        archived=True, in_directory=True,
    )


@pytest.mark.parametrize("account_first", [True, False])
def test_directory_names_and_district_win_whether_they_arrive_before_or_after_the_account(account_first):
    account = make_account_facts(given_name="Danny", family_name="R", district_id="district-old")
    person = make_directory_facts(given_name="Dana", family_name="Reyes", district_id="district-1")

    recipient = project(*((account, person) if account_first else (person, account)))

    assert (recipient.given_name, recipient.family_name, recipient.district_id) == ("Dana", "Reyes", "district-1")
    assert recipient.email == account.email


def test_account_names_stand_in_until_directory_describes_the_person():
    recipient = project(make_account_facts(given_name="Danny"), make_account_facts(given_name="Dana"))

    assert recipient.given_name == "Dana"


def test_an_account_without_a_district_keeps_the_district_already_known():
    recipient = project(make_account_facts(district_id="district-1"), make_account_facts(district_id=None))

    assert recipient.district_id == "district-1"


def test_a_later_account_page_replaces_credentials_even_after_directory_described_the_person():
    recipient = project(make_directory_facts(), make_account_facts(email="old@example.org"),
                        make_account_facts(email=None, mobile_phone="+15555550199"))

    assert (recipient.email, recipient.mobile_phone) == (None, "+15555550199")


def test_user_joined_marks_the_recipient_joined():
    assert project(UserJoined("person-1")).joined is True


def test_an_active_account_counts_as_joined():
    assert project(make_account_facts(status="active")).joined is True


def test_a_stale_invitee_account_page_does_not_unjoin_a_joined_recipient():
    recipient = project(UserJoined("person-1"), make_account_facts(status="invitee"))

    assert recipient.joined is True
    assert recipient.account_status == "invitee"


def test_student_accounts_enabled_enables_the_student():
    assert project(StudentAccountEnabled("person-1")).student_account_enabled is True


def test_a_stale_directory_page_does_not_disable_an_enabled_student_account():
    recipient = project(make_directory_facts(kinds=("student",)), StudentAccountEnabled("person-1"),
                        make_directory_facts(kinds=("student",), student_account_enabled=False))

    assert recipient.student_account_enabled is True


def test_directory_pages_archive_and_restore_a_person_in_arrival_order():
    archived = project(make_directory_facts(archived=False), make_directory_facts(archived=True))
    restored = project(make_directory_facts(archived=True), make_directory_facts(archived=False))

    assert (archived.archived, restored.archived) == (True, False)


def test_roles_kinds_and_schools_are_kept_sorted_and_without_duplicates():
    recipient = project(
        make_account_facts(roles=("teacher", "guardian", "teacher")),
        make_directory_facts(kinds=("staff", "guardian", "staff"), school_ids=("s-2", "s-1", "s-2")),
    )

    assert recipient.roles == ("guardian", "teacher")
    assert recipient.kinds == ("guardian", "staff")
    assert recipient.school_ids == ("s-1", "s-2")


def test_a_redelivered_fact_changes_nothing():
    before = apply_facts({}, [make_account_facts(), make_directory_facts()])

    after = apply_facts(before, [make_directory_facts(school_ids=("school-1", "school-1"))])

    assert changed(before, after) == []


def test_changed_lists_new_and_modified_recipients_but_not_untouched_ones():
    before = apply_facts({}, [make_account_facts(person_id="p-1"), make_account_facts(person_id="p-2")])

    after = apply_facts(before, [UserJoined("p-1"), make_account_facts(person_id="p-2"), UserJoined("p-3")])

    assert [recipient.person_id for recipient in changed(before, after)] == ["p-1", "p-3"]


def test_facts_about_people_not_yet_known_start_from_a_blank_recipient():
    projection = apply_facts({}, [StudentAccountEnabled("p-9")])

    assert projection == {"p-9": Recipient("p-9", student_account_enabled=True)}


def test_a_fact_about_another_person_is_refused():
    with pytest.raises(ValueError):
        apply_fact(Recipient("person-1"), UserJoined("person-2"))


@pytest.mark.parametrize("kinds, student", [
    (("student",), True), (("guardian", "student"), True), (("staff", "student"), True),
    (("guardian",), False), (("staff",), False), ((), False), (None, False),
])
def test_anyone_directory_lists_as_a_student_is_a_student_whatever_else_they_are(kinds, student):
    assert is_student(kinds) is student
