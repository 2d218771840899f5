"""The effective preference, and which preferences a user and a district may choose."""
import pytest

from services.notify.domain.delivery import DEFAULT_DISTRICT_PREFERENCE, Preference
from services.notify.domain.preferences import (
    InvalidPreference,
    effective_preference,
    parse_district_default,
    parse_preference,
)


@pytest.mark.parametrize("district_default", [Preference.EMAIL_APP, Preference.SMS_APP])
def test_an_adult_who_never_chose_has_the_district_default(district_default):
    assert effective_preference(None, district_default, student=False) is district_default


@pytest.mark.parametrize("district_default", [Preference.EMAIL_APP, Preference.SMS_APP])
def test_a_student_who_never_chose_has_email_and_app_whatever_the_district_default(district_default):
    assert effective_preference(None, district_default, student=True) is Preference.EMAIL_APP


@pytest.mark.parametrize("student", [False, True])
@pytest.mark.parametrize("chosen", list(Preference))
def test_a_users_own_choice_wins_over_any_default(chosen, student):
    assert effective_preference(chosen, Preference.SMS_APP, student=student) is chosen


@pytest.mark.parametrize("value", ["email_app", "sms_app", "app_only"])
def test_a_user_may_choose_any_of_the_three_preferences(value):
    assert parse_preference(value) == Preference(value)


def test_an_unknown_preference_is_refused_with_the_choices_named():
    with pytest.raises(InvalidPreference) as refused:
        parse_preference("carrier_pigeon")

    assert refused.value.reason == "'carrier_pigeon' is not a preference: choose one of email_app, sms_app, app_only"


@pytest.mark.parametrize("value", ["email_app", "sms_app"])
def test_a_district_may_default_to_email_or_sms(value):
    assert parse_district_default(value) == Preference(value)


def test_a_district_that_never_set_a_default_has_email_and_app():
    assert parse_district_default(None) is DEFAULT_DISTRICT_PREFERENCE is Preference.EMAIL_APP


def test_a_district_cannot_default_to_app_only():
    with pytest.raises(InvalidPreference) as refused:
        parse_district_default("app_only")

    assert refused.value.reason == "a district default must be email_app or sms_app, not app_only"


def test_a_district_default_that_is_no_preference_at_all_is_refused():
    with pytest.raises(InvalidPreference, match="is not a preference"):
        parse_district_default("fax")
