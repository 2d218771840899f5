"""One test (or a few) per row of DESIGN.md's delivery decision table, named after the row."""
import pytest

from services.notify.domain.delivery import Channel
from services.notify.domain.planner import Reason, plan_recipient
from tests.unit.notify.planner_builders import (
    APP_ONLY,
    BAD,
    EMAIL_APP,
    OPTED_OUT,
    SMS_APP,
    announcement,
    channels,
    delivery_on,
    invitation,
    make_recipient,
    make_student,
    message,
    priority_announcement,
    skip_reasons,
)

EMAIL, SMS, VOICE = Channel.EMAIL, Channel.SMS, Channel.VOICE


# --- announcements -----------------------------------------------------------------------------

def test_A1_email_preference_gets_the_announcement_by_email_and_in_the_app_once_joined():
    plan = plan_recipient(make_recipient(preference=EMAIL_APP, joined=True), announcement())

    assert (plan.row, channels(plan), plan.app) == ("A1", (EMAIL,), True)
    assert delivery_on(plan, EMAIL).to == "dennis@example.org"
    assert skip_reasons(plan) == {SMS: Reason.FALLBACK_ONLY}
    assert plan.unreachable_reason is None


@pytest.mark.parametrize("email, email_state", [(None, BAD), ("dennis@example.org", BAD),
                                                ("dennis@example.org", OPTED_OUT)])
def test_A1_email_preference_falls_back_to_sms_when_there_is_no_good_email(email, email_state):
    plan = plan_recipient(make_recipient(preference=EMAIL_APP, email=email, email_state=email_state), announcement())

    assert (plan.row, channels(plan), plan.app) == ("A1", (SMS,), False)
    assert delivery_on(plan, SMS).to == "+15555550101"


def test_A2_sms_preference_gets_the_announcement_by_sms():
    plan = plan_recipient(make_recipient(preference=SMS_APP, joined=True), announcement())

    assert (plan.row, channels(plan), plan.app) == ("A2", (SMS,), True)
    assert skip_reasons(plan) == {EMAIL: Reason.FALLBACK_ONLY}


@pytest.mark.parametrize("mobile_state, reason", [(BAD, Reason.MOBILE_BAD), (OPTED_OUT, Reason.MOBILE_OPTED_OUT)])
def test_A2_sms_preference_falls_back_to_email_when_mobile_is_bad_or_opted_out(mobile_state, reason):
    plan = plan_recipient(make_recipient(preference=SMS_APP, mobile_state=mobile_state), announcement())

    assert (plan.row, channels(plan)) == ("A2", (EMAIL,))
    assert skip_reasons(plan) == {SMS: reason}


def test_A3_app_only_user_who_joined_gets_the_app_only_and_is_listed_as_app_only_by_choice():
    plan = plan_recipient(make_recipient(preference=APP_ONLY, joined=True), announcement())

    assert (plan.row, plan.deliveries, plan.app) == ("A3", (), True)
    assert plan.unreachable_reason is Reason.APP_ONLY_PREFERENCE
    assert skip_reasons(plan) == {EMAIL: Reason.APP_ONLY_PREFERENCE, SMS: Reason.APP_ONLY_PREFERENCE}


@pytest.mark.parametrize("district_default, expected", [(EMAIL_APP, (EMAIL,)), (SMS_APP, (SMS,))])
def test_A4_app_only_user_who_has_not_joined_is_sent_as_the_district_default(district_default, expected):
    plan = plan_recipient(make_recipient(preference=APP_ONLY, joined=False),
                          announcement(district_default=district_default))

    assert (plan.row, channels(plan), plan.app) == ("A4", expected, False)


def test_A4_app_only_user_who_has_not_joined_falls_back_within_the_district_default_row():
    plan = plan_recipient(make_recipient(preference=APP_ONLY, mobile_state=BAD),
                          announcement(district_default=SMS_APP))

    assert (plan.row, channels(plan)) == ("A4", (EMAIL,))


def test_A4_app_only_student_who_has_not_joined_gets_email_never_sms_even_when_the_district_defaults_to_sms():
    request = announcement(district_default=SMS_APP)

    with_email = plan_recipient(make_student(preference=APP_ONLY), request)
    mobile_only = plan_recipient(make_student(preference=APP_ONLY, email=None), request)

    assert (with_email.row, channels(with_email)) == ("A4", (EMAIL,))
    assert skip_reasons(with_email) == {SMS: Reason.STUDENT_SMS_NOT_ALLOWED}
    assert (mobile_only.deliveries, mobile_only.unreachable_reason) == ((), Reason.STUDENT_SMS_NOT_ALLOWED)


@pytest.mark.parametrize("district_default", [EMAIL_APP, SMS_APP])
@pytest.mark.parametrize("preference", [None, EMAIL_APP, SMS_APP, APP_ONLY])
@pytest.mark.parametrize("make", [make_recipient, make_student])
def test_A5_priority_announcement_sends_sms_and_email_to_every_good_credential_whatever_the_preference(
        preference, make, district_default):
    plan = plan_recipient(make(preference=preference, joined=True),
                          priority_announcement(district_default=district_default))

    assert (plan.row, channels(plan), plan.app) == ("A5", (EMAIL, SMS), True)
    assert plan.skipped == ()


def test_A5_priority_announcement_never_texts_an_opted_out_mobile():
    plan = plan_recipient(make_recipient(mobile_state=OPTED_OUT), priority_announcement())

    assert channels(plan) == (EMAIL,)
    assert skip_reasons(plan) == {SMS: Reason.MOBILE_OPTED_OUT}


def test_A5_priority_announcement_to_a_user_without_a_good_email_is_one_sms():
    plan = plan_recipient(make_recipient(email_state=BAD), priority_announcement())

    assert channels(plan) == (SMS,)
    assert skip_reasons(plan) == {EMAIL: Reason.EMAIL_BAD}


def test_A6_priority_announcement_with_a_call_adds_a_voice_call_to_the_good_mobile():
    plan = plan_recipient(make_student(preference=EMAIL_APP), priority_announcement(with_call=True))

    assert (plan.row, channels(plan)) == ("A6", (EMAIL, SMS, VOICE))
    assert delivery_on(plan, VOICE).to == "+15555550202"


@pytest.mark.parametrize("mobile_state, reason", [(BAD, Reason.MOBILE_BAD), (OPTED_OUT, Reason.MOBILE_OPTED_OUT)])
def test_A6_priority_announcement_never_calls_a_bad_or_opted_out_mobile(mobile_state, reason):
    plan = plan_recipient(make_recipient(mobile_state=mobile_state), priority_announcement(with_call=True))

    assert channels(plan) == (EMAIL,)
    assert skip_reasons(plan) == {SMS: reason, VOICE: reason}


@pytest.mark.parametrize("district_default", [EMAIL_APP, SMS_APP])
@pytest.mark.parametrize("preference", [EMAIL_APP, None])
def test_A7_student_with_email_preference_never_gets_an_announcement_by_sms(preference, district_default):
    plan = plan_recipient(make_student(preference=preference, joined=True),
                          announcement(district_default=district_default))

    assert (plan.row, channels(plan), plan.app) == ("A7", (EMAIL,), True)
    assert skip_reasons(plan) == {SMS: Reason.STUDENT_SMS_NOT_ALLOWED}


def test_A7_a_student_who_never_chose_has_email_and_app_so_a_district_default_of_sms_does_not_text_them():
    student = plan_recipient(make_student(preference=None), announcement(district_default=SMS_APP))
    adult = plan_recipient(make_recipient(preference=None), announcement(district_default=SMS_APP))

    assert (student.row, channels(student)) == ("A7", (EMAIL,))
    assert skip_reasons(student) == {SMS: Reason.STUDENT_SMS_NOT_ALLOWED}
    assert (adult.row, channels(adult)) == ("A2", (SMS,))


def test_A7_a_student_who_never_chose_and_has_only_a_mobile_is_unreachable_even_where_the_district_defaults_to_sms():
    plan = plan_recipient(make_student(preference=None, email=None, joined=True),
                          announcement(district_default=SMS_APP))

    assert (plan.row, plan.deliveries, plan.app) == ("A7", (), True)
    assert plan.unreachable_reason is Reason.STUDENT_SMS_NOT_ALLOWED


def test_A7_student_whose_only_good_channel_is_sms_gets_the_app_and_is_listed_unreachable():
    plan = plan_recipient(make_student(preference=EMAIL_APP, joined=True, email_state=BAD), announcement())

    assert (plan.row, plan.deliveries, plan.app) == ("A7", (), True)
    assert plan.unreachable_reason is Reason.STUDENT_SMS_NOT_ALLOWED


@pytest.mark.parametrize("district_default", [EMAIL_APP, SMS_APP])
def test_A7_does_not_apply_to_a_student_who_chose_sms_so_they_get_the_announcement_by_sms(district_default):
    plan = plan_recipient(make_student(preference=SMS_APP), announcement(district_default=district_default))

    assert (plan.row, channels(plan)) == ("A2", (SMS,))


# --- new conversation messages -----------------------------------------------------------------

def test_M1_email_preference_gets_a_new_message_by_email_else_by_sms():
    by_email = plan_recipient(make_recipient(preference=EMAIL_APP, joined=True), message())
    by_sms = plan_recipient(make_recipient(preference=EMAIL_APP, email=None), message())

    assert (by_email.row, channels(by_email), by_email.app) == ("M1", (EMAIL,), True)
    assert (by_sms.row, channels(by_sms), by_sms.app) == ("M1", (SMS,), False)


def test_M2_sms_preference_gets_a_replyable_sms_else_an_email():
    by_sms = plan_recipient(make_recipient(preference=SMS_APP), message())
    by_email = plan_recipient(make_recipient(preference=SMS_APP, mobile_state=BAD), message())

    assert (by_sms.row, channels(by_sms), by_sms.replyable) == ("M2", (SMS,), True)
    assert (by_email.row, channels(by_email)) == ("M2", (EMAIL,))


def test_announcements_are_not_replyable():
    assert plan_recipient(make_recipient(preference=SMS_APP), announcement()).replyable is False


def test_M3_app_only_user_who_joined_gets_a_new_message_in_the_app_only():
    plan = plan_recipient(make_recipient(preference=APP_ONLY, joined=True), message())

    assert (plan.row, plan.deliveries, plan.app) == ("M3", (), True)


@pytest.mark.parametrize("district_default, expected", [(EMAIL_APP, (EMAIL,)), (SMS_APP, (SMS,))])
def test_M3_app_only_user_who_has_not_joined_gets_a_new_message_as_A4(district_default, expected):
    plan = plan_recipient(make_recipient(preference=APP_ONLY), message(district_default=district_default))

    assert (plan.row, channels(plan)) == ("M3", expected)


@pytest.mark.parametrize("preference", [None, EMAIL_APP, APP_ONLY])
def test_M4_student_without_sms_preference_never_gets_a_new_message_sms(preference):
    plan = plan_recipient(make_student(preference=preference, email=None), message(district_default=SMS_APP))

    assert (plan.deliveries, plan.unreachable_reason) == ((), Reason.STUDENT_SMS_NOT_ALLOWED)
    assert skip_reasons(plan)[SMS] is Reason.STUDENT_SMS_NOT_ALLOWED


@pytest.mark.parametrize("district_default", [EMAIL_APP, SMS_APP])
@pytest.mark.parametrize("preference", [EMAIL_APP, None])
def test_M4_student_with_email_preference_chosen_or_by_default_gets_a_new_message_by_email(
        preference, district_default):
    plan = plan_recipient(make_student(preference=preference), message(district_default=district_default))

    assert (plan.row, channels(plan)) == ("M4", (EMAIL,))
    assert skip_reasons(plan) == {SMS: Reason.STUDENT_SMS_NOT_ALLOWED}


def test_M1_an_adult_who_never_chose_gets_a_new_message_as_the_district_default_says():
    by_email = plan_recipient(make_recipient(preference=None), message())
    by_sms = plan_recipient(make_recipient(preference=None), message(district_default=SMS_APP))

    assert (by_email.row, channels(by_email)) == ("M1", (EMAIL,))
    assert (by_sms.row, channels(by_sms), by_sms.replyable) == ("M2", (SMS,), True)


@pytest.mark.parametrize("district_default", [EMAIL_APP, SMS_APP])
def test_M4_a_student_gets_the_new_message_sms_with_sms_preference(district_default):
    plan = plan_recipient(make_student(preference=SMS_APP), message(district_default=district_default))

    assert (plan.row, channels(plan), plan.replyable) == ("M2", (SMS,), True)


# --- invitations -------------------------------------------------------------------------------

def test_I1_adult_who_has_not_joined_is_invited_by_email_else_by_sms():
    by_email = plan_recipient(make_recipient(preference=SMS_APP), invitation())
    by_sms = plan_recipient(make_recipient(email_state=BAD), invitation())

    assert (by_email.row, channels(by_email), by_email.app) == ("I1", (EMAIL,), False)
    assert (by_sms.row, channels(by_sms)) == ("I1", (SMS,))


@pytest.mark.parametrize("preference", [None, SMS_APP])
def test_I2_enabled_student_who_has_not_joined_is_invited_by_email_only(preference):
    request = invitation(district_default=SMS_APP)
    by_email = plan_recipient(make_student(preference=preference), request)
    mobile_only = plan_recipient(make_student(preference=preference, email=None), request)

    assert (by_email.row, channels(by_email)) == ("I2", (EMAIL,))
    assert skip_reasons(by_email) == {SMS: Reason.STUDENT_SMS_NOT_ALLOWED}
    assert (mobile_only.row, mobile_only.deliveries) == ("I2", ())
    assert mobile_only.unreachable_reason is Reason.STUDENT_SMS_NOT_ALLOWED


@pytest.mark.parametrize("recipient, reason", [
    (make_recipient(joined=True), Reason.ALREADY_JOINED),
    (make_student(joined=True), Reason.ALREADY_JOINED),
    (make_student(student_account_enabled=False), Reason.STUDENT_ACCOUNT_NOT_ENABLED),
])
def test_I3_joined_users_and_students_not_enabled_get_no_invitation_and_are_not_unreachable(recipient, reason):
    plan = plan_recipient(recipient, invitation())

    assert (plan.row, plan.deliveries, plan.app) == ("I3", (), False)
    assert (plan.excluded_reason, plan.unreachable_reason) == (reason, None)


# --- unreachable -------------------------------------------------------------------------------

@pytest.mark.parametrize("joined", [True, False])
@pytest.mark.parametrize("overrides, reason", [
    ({"email": None, "mobile_phone": None}, Reason.NO_CREDENTIAL),
    ({"email_state": BAD, "mobile_state": BAD}, Reason.NO_GOOD_CREDENTIAL),
    ({"email": None, "mobile_state": OPTED_OUT}, Reason.NO_GOOD_CREDENTIAL),
])
def test_U1_user_with_no_good_credential_gets_the_app_iff_joined_and_is_listed_unreachable_with_the_reason(
        joined, overrides, reason):
    for request in (announcement(), priority_announcement(with_call=True), message()):
        plan = plan_recipient(make_recipient(joined=joined, **overrides), request)

        assert (plan.deliveries, plan.app) == ((), joined)
        assert plan.unreachable_reason is reason


def test_U1_an_adult_who_cannot_be_invited_is_listed_unreachable():
    plan = plan_recipient(make_recipient(email=None, mobile_state=OPTED_OUT), invitation())

    assert (plan.deliveries, plan.app, plan.unreachable_reason) == ((), False, Reason.NO_GOOD_CREDENTIAL)
    assert skip_reasons(plan) == {EMAIL: Reason.NO_EMAIL, SMS: Reason.MOBILE_OPTED_OUT}
