"""What the planner does around the rows: who is left out, request checks, bulk planning, plain-string input."""
import pytest

from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.planner import (
    InvalidPlanRequest,
    InvalidPreference,
    PlanRequest,
    Reason,
    plan,
    plan_recipient,
)
from tests.unit.notify.planner_builders import (
    APP_ONLY,
    BAD,
    EMAIL_APP,
    SMS_APP,
    announcement,
    channels,
    invitation,
    make_recipient,
    make_request,
    make_student,
    message,
    priority_announcement,
    skip_reasons,
)

EMAIL, SMS = Channel.EMAIL, Channel.SMS
EVERY_KIND_OF_REQUEST = [announcement(), priority_announcement(), priority_announcement(with_call=True),
                         message(), invitation()]


@pytest.mark.parametrize("request_", EVERY_KIND_OF_REQUEST)
def test_a_student_whose_account_is_not_enabled_gets_nothing_and_is_left_out_rather_than_unreachable(request_):
    plan = plan_recipient(make_student(student_account_enabled=False, joined=True, preference=SMS_APP), request_)

    assert (plan.deliveries, plan.app, plan.skipped) == ((), False, ())
    assert (plan.excluded_reason, plan.unreachable_reason) == (Reason.STUDENT_ACCOUNT_NOT_ENABLED, None)


def test_the_student_account_flag_means_nothing_for_an_adult():
    plan = plan_recipient(make_recipient(student_account_enabled=False), announcement())

    assert plan.excluded_reason is None
    assert channels(plan) == (EMAIL,)


@pytest.mark.parametrize("district_default", [EMAIL_APP, SMS_APP])
@pytest.mark.parametrize("request_kind", [announcement, message, invitation])
def test_a_user_who_never_chose_is_planned_exactly_as_if_they_had_chosen_the_district_default_or_a_student_email_app(
        district_default, request_kind):
    request = request_kind(district_default=district_default)
    for make, default in ((make_recipient, district_default), (make_student, EMAIL_APP)):
        never_chose = plan_recipient(make(preference=None), request)
        chose = plan_recipient(make(preference=default), request)

        assert never_chose == chose


def test_a_district_defaulting_to_sms_sends_sms_to_users_who_never_chose():
    plan = plan_recipient(make_recipient(preference=None), announcement(district_default=SMS_APP))

    assert (plan.row, channels(plan)) == ("A2", (SMS,))


def test_a_joined_users_inbox_gets_every_message_whatever_the_preference():
    for preference in (EMAIL_APP, SMS_APP, APP_ONLY):
        for request in (announcement(), priority_announcement(), message()):
            assert plan_recipient(make_recipient(joined=True, preference=preference), request).app is True


def test_an_invitation_never_goes_to_the_app():
    assert plan_recipient(make_recipient(joined=False), invitation()).app is False


def test_a_priority_announcement_to_an_app_only_user_reaches_their_credentials():
    plan = plan_recipient(make_recipient(preference=APP_ONLY, joined=True, email_state=BAD),
                          priority_announcement())

    assert channels(plan) == (SMS,)
    assert skip_reasons(plan) == {EMAIL: Reason.EMAIL_BAD}


def test_only_an_announcement_can_be_sent_as_priority():
    with pytest.raises(InvalidPlanRequest, match="only an announcement can be sent as priority"):
        make_request(communication=Communication.MESSAGE, priority=True)


def test_a_call_goes_only_with_a_priority_announcement():
    with pytest.raises(InvalidPlanRequest, match="a voice call goes only with a priority announcement"):
        make_request(priority=False, with_call=True)


def test_a_request_with_an_app_only_district_default_is_refused():
    with pytest.raises(InvalidPreference):
        make_request(district_default=APP_ONLY)


def test_bulk_planning_gives_one_plan_per_recipient_in_the_order_given_and_matches_planning_one_by_one():
    recipients = [make_recipient(person_id=f"p{n}", preference=preference, email_state=state)
                  for n, (preference, state) in enumerate([(None, BAD), (SMS_APP, BAD), (APP_ONLY, BAD)] * 3)]
    request = announcement()

    plans = list(plan(recipients, request))

    assert [p.person_id for p in plans] == [r.person_id for r in recipients]
    assert plans == [plan_recipient(r, request) for r in recipients]


def test_bulk_planning_of_nobody_plans_nothing():
    assert list(plan([], announcement())) == []


def test_values_read_as_plain_strings_plan_the_same_as_the_enum_members():
    as_members = make_recipient(preference=SMS_APP, email_state=BAD)
    as_strings = make_recipient(preference="sms_app", email_state="bad", mobile_state="good")
    request = PlanRequest("announcement", district_default="sms_app")

    assert plan_recipient(as_strings, request) == plan_recipient(as_members, announcement(district_default=SMS_APP))


def test_requests_are_equal_by_what_they_ask_for():
    assert announcement() == PlanRequest(Communication.ANNOUNCEMENT)
    assert announcement() != priority_announcement()
