"""Unreachable contacts are whoever the planner would send nothing outside the app, with its reason."""
from __future__ import annotations

import pytest

from services.notify.domain.delivery import Preference
from services.notify.domain.planner import Reason
from services.notify.domain.unreachable import Contact, plain_announcement, unreachable_contacts
from tests.unit.notify.planner_builders import APP_ONLY, BAD, OPTED_OUT, SMS_APP, make_recipient, make_student


def member(person_id: str, family_name: str, **overrides):
    kinds = ("student",) if overrides.get("is_student") else ("guardian",)
    return Contact(person_id, person_id.title(), family_name, kinds), make_recipient(person_id=person_id, **overrides)


def reasons(found) -> dict[str, Reason]:
    return {item.contact.person_id: item.reason for item in found}


def test_people_with_a_good_credential_the_rows_allow_are_not_listed():
    assert unreachable_contacts([member("gina", "Lopez")], plain_announcement(Preference.EMAIL_APP)) == []


def test_each_unreachable_person_comes_with_the_planners_reason():
    found = unreachable_contacts([
        member("nobody", "Adams", email=None, mobile_phone=None),
        member("bounced", "Baker", email_state=BAD, mobile_state=OPTED_OUT),
        member("chooser", "Cole", joined=True, preference=APP_ONLY),
    ], plain_announcement(Preference.EMAIL_APP))

    assert reasons(found) == {"nobody": Reason.NO_CREDENTIAL, "bounced": Reason.NO_GOOD_CREDENTIAL,
                              "chooser": Reason.APP_ONLY_PREFERENCE}


@pytest.mark.parametrize("district_default", [Preference.EMAIL_APP, Preference.SMS_APP])
def test_an_enabled_student_with_only_a_mobile_who_never_chose_is_unreachable_whatever_the_district_default(
        district_default):
    contact = Contact("sam", "Sam", "Ito", ("student",))
    never_chose = make_student(person_id="sam", email=None)

    assert reasons(unreachable_contacts([(contact, never_chose)], plain_announcement(district_default))) == {
        "sam": Reason.STUDENT_SMS_NOT_ALLOWED}


def test_an_enabled_student_with_only_a_mobile_who_chose_sms_and_app_is_reachable():
    contact = Contact("sam", "Sam", "Ito", ("student",))
    chose_sms = make_student(person_id="sam", email=None, preference=SMS_APP)

    assert unreachable_contacts([(contact, chose_sms)], plain_announcement(Preference.EMAIL_APP)) == []


def test_students_whose_account_is_not_enabled_are_not_contacts_and_are_not_listed():
    contact = Contact("ana", "Ana", "Lopez", ("student",))
    found = unreachable_contacts([(contact, make_student(person_id="ana", student_account_enabled=False,
                                                         email=None, mobile_phone=None))],
                                 plain_announcement(Preference.EMAIL_APP))

    assert found == []


def test_the_list_is_ordered_by_family_name_then_given_name_whatever_the_case():
    found = unreachable_contacts([member(person_id, family, email=None, mobile_phone=None)
                                  for person_id, family in (("zed", "adams"), ("amy", "Baker"), ("bob", "Adams"))],
                                 plain_announcement(Preference.EMAIL_APP))

    assert [item.contact.person_id for item in found] == ["bob", "zed", "amy"]
