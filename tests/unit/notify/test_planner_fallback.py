"""F1 (fallback at delivery time, and until the reset) and F2 (a mobile shared by several users)."""
import pytest

from services.notify.domain.delivery import Channel
from services.notify.domain.planner import PlannedDelivery, plan_fallback, plan_recipient
from tests.unit.notify.planner_builders import (
    APP_ONLY,
    BAD,
    EMAIL_APP,
    GOOD,
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
)

EMAIL, SMS, VOICE = Channel.EMAIL, Channel.SMS, Channel.VOICE


def test_F1_a_failed_email_falls_back_to_sms_on_the_good_mobile():
    recipient = make_recipient(preference=EMAIL_APP, email_state=BAD)

    fallback = plan_fallback(recipient, announcement(), failed_channel=EMAIL, already_sent=frozenset({EMAIL}))

    assert fallback == PlannedDelivery(SMS, "+15555550101")


def test_F1_a_failed_sms_falls_back_to_the_good_email():
    recipient = make_recipient(preference=SMS_APP, mobile_state=BAD)

    fallback = plan_fallback(recipient, message(), failed_channel=SMS, already_sent=frozenset({SMS}))

    assert fallback == PlannedDelivery(EMAIL, "dennis@example.org")


def test_F1_a_failed_invitation_email_falls_back_to_sms_for_an_adult():
    fallback = plan_fallback(make_recipient(), invitation(), failed_channel=EMAIL, already_sent=frozenset({EMAIL}))

    assert fallback is not None and fallback.channel is SMS


@pytest.mark.parametrize("request_, student", [
    (announcement(), make_student(preference=EMAIL_APP)),  # A7
    (announcement(district_default=SMS_APP), make_student(preference=APP_ONLY)),  # A4 for a student
    (message(), make_student(preference=EMAIL_APP)),  # M4
    (invitation(), make_student(preference=SMS_APP)),  # I2
])
def test_F1_never_falls_back_to_sms_for_a_student_where_A7_M4_or_I2_forbid_it(request_, student):
    assert plan_fallback(student, request_, failed_channel=EMAIL, already_sent=frozenset({EMAIL})) is None


def test_F1_a_student_who_chose_sms_falls_back_from_a_failed_sms_to_email():
    student = make_student(preference=SMS_APP, mobile_state=BAD)

    fallback = plan_fallback(student, message(), failed_channel=SMS, already_sent=frozenset({SMS}))

    assert fallback == PlannedDelivery(EMAIL, "sam@students.example.org")


def test_F1_no_fallback_to_a_channel_already_sent_in_this_communication():
    recipient = make_recipient()

    fallback = plan_fallback(recipient, priority_announcement(), failed_channel=EMAIL,
                             already_sent=frozenset({EMAIL, SMS}))

    assert fallback is None


@pytest.mark.parametrize("mobile_phone, mobile_state", [(None, GOOD), ("+15555550101", BAD),
                                                        ("+15555550101", OPTED_OUT)])
def test_F1_no_fallback_when_the_alternative_is_missing_bad_or_opted_out(mobile_phone, mobile_state):
    recipient = make_recipient(mobile_phone=mobile_phone, mobile_state=mobile_state)

    assert plan_fallback(recipient, announcement(), failed_channel=EMAIL, already_sent=frozenset({EMAIL})) is None


@pytest.mark.parametrize("failed_channel", [VOICE, Channel.APP])
def test_F1_a_call_or_the_app_never_falls_back(failed_channel):
    recipient = make_recipient()

    assert plan_fallback(recipient, priority_announcement(with_call=True), failed_channel=failed_channel,
                         already_sent=frozenset({failed_channel})) is None


def test_F1_no_fallback_for_recipients_the_communication_leaves_out():
    not_enabled = make_student(student_account_enabled=False)
    joined = make_recipient(joined=True)

    assert plan_fallback(not_enabled, announcement(), failed_channel=EMAIL, already_sent=frozenset()) is None
    assert plan_fallback(joined, invitation(), failed_channel=EMAIL, already_sent=frozenset()) is None


def test_F1_later_communications_go_straight_to_the_alternative_until_the_reset_then_revert():
    failing = make_recipient(preference=EMAIL_APP, email_state=BAD)
    reset = make_recipient(preference=EMAIL_APP, email_state=GOOD)

    assert channels(plan_recipient(failing, announcement())) == (SMS,)
    assert channels(plan_recipient(reset, announcement())) == (EMAIL,)


def test_F2_each_user_on_a_shared_mobile_gets_their_own_sms_starting_with_their_first_name():
    dennis = make_recipient(person_id="p-dennis", given_name="Dennis", preference=SMS_APP, mobile_shared_with=1)
    maria = make_recipient(person_id="p-maria", given_name="Maria", preference=SMS_APP, mobile_shared_with=1)

    plans = [plan_recipient(user, announcement()) for user in (dennis, maria)]

    assert [delivery_on(plan, SMS) for plan in plans] == [
        PlannedDelivery(SMS, "+15555550101", "For Dennis:"),
        PlannedDelivery(SMS, "+15555550101", "For Maria:"),
    ]


def test_F2_calls_to_a_shared_mobile_are_labelled_and_emails_are_not():
    plan = plan_recipient(make_recipient(mobile_shared_with=2), priority_announcement(with_call=True))

    assert delivery_on(plan, VOICE).label == "For Dennis:"
    assert delivery_on(plan, EMAIL).label is None


def test_F2_a_fallback_sms_to_a_shared_mobile_is_labelled():
    recipient = make_recipient(email_state=BAD, mobile_shared_with=1)

    fallback = plan_fallback(recipient, announcement(), failed_channel=EMAIL, already_sent=frozenset({EMAIL}))

    assert fallback == PlannedDelivery(SMS, "+15555550101", "For Dennis:")


def test_F2_a_mobile_nobody_else_has_gets_no_label():
    plan = plan_recipient(make_recipient(preference=SMS_APP, mobile_shared_with=0), announcement())

    assert delivery_on(plan, SMS).label is None
