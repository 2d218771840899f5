"""Properties of the planner over any recipient and any request.

The oracles restate DESIGN.md's guarantees directly from the recipient's
fields, independently of the row logic, so a wrong row shows up as a
counterexample rather than being checked against itself. Hypothesis explores
recipients (names, sharing, fallback histories included); the last test
sweeps every situation the rows can tell apart, which is a finite set.
"""
from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.notify.domain.delivery import Channel, Communication, CredentialState, Preference
from services.notify.domain.planner import PlanRecipient, PlanRequest, plan, plan_fallback, plan_recipient
from tests.unit.notify.planner_builders import make_recipient, make_request

GOOD = CredentialState.GOOD
MOBILE_CHANNELS = (Channel.SMS, Channel.VOICE)
DISTRICT_DEFAULTS = (Preference.EMAIL_APP, Preference.SMS_APP)


@st.composite
def recipients(draw, *, students_only: bool = False) -> PlanRecipient:
    return make_recipient(
        person_id=draw(st.sampled_from(("p1", "p2", "p3"))),
        given_name=draw(st.sampled_from(("Dennis", "María José", ""))),
        is_student=students_only or draw(st.booleans()),
        student_account_enabled=draw(st.booleans()),
        joined=draw(st.booleans()),
        preference=draw(st.sampled_from((None, *Preference))),
        email=draw(st.sampled_from((None, "dennis@example.org"))),
        email_state=draw(st.sampled_from(tuple(CredentialState))),
        mobile_phone=draw(st.sampled_from((None, "+15555550101"))),
        mobile_state=draw(st.sampled_from(tuple(CredentialState))),
        mobile_shared_with=draw(st.integers(min_value=0, max_value=3)),
    )


def every_kind_of_request() -> list[PlanRequest]:
    kinds = [dict(communication=Communication.ANNOUNCEMENT),
             dict(communication=Communication.ANNOUNCEMENT, priority=True),
             dict(communication=Communication.ANNOUNCEMENT, priority=True, with_call=True),
             dict(communication=Communication.MESSAGE),
             dict(communication=Communication.INVITATION)]
    return [make_request(**kind, district_default=default) for kind in kinds for default in DISTRICT_DEFAULTS]


def requests() -> st.SearchStrategy[PlanRequest]:
    return st.sampled_from(every_kind_of_request())


def priority_requests() -> st.SearchStrategy[PlanRequest]:
    return st.sampled_from([request for request in every_kind_of_request() if request.priority])


def channel_sets() -> st.SearchStrategy[frozenset[Channel]]:
    return st.frozensets(st.sampled_from(tuple(Channel)))


def plain_requests_in_an_sms_district() -> st.SearchStrategy[PlanRequest]:
    """Announcements and new messages that are not priority, where the district defaults to SMS+app."""
    return st.sampled_from([request for request in every_kind_of_request() if not request.priority
                            and request.communication is not Communication.INVITATION
                            and request.district_default is Preference.SMS_APP])


@st.composite
def reachable_by_sms_who_never_chose_or_chose_sms(draw) -> PlanRecipient:
    """Anyone eligible with a good mobile who either never chose a preference or chose SMS+app."""
    return replace(draw(recipients()), student_account_enabled=True, mobile_phone="+15555550101", mobile_state=GOOD,
                   preference=draw(st.sampled_from((None, Preference.SMS_APP))))


# --- the oracles -------------------------------------------------------------------------------

def good_email(recipient: PlanRecipient) -> bool:
    return recipient.email is not None and recipient.email_state is GOOD


def good_mobile(recipient: PlanRecipient) -> bool:
    return recipient.mobile_phone is not None and recipient.mobile_state is GOOD


def left_out(recipient: PlanRecipient, request: PlanRequest) -> bool:
    not_enabled_student = recipient.is_student and not recipient.student_account_enabled
    return not_enabled_student or (request.communication is Communication.INVITATION and recipient.joined)


def default_preference(recipient: PlanRecipient, request: PlanRequest) -> Preference:
    """What someone who never chose has: Email+app for a student whatever the district default, else the default."""
    return Preference.EMAIL_APP if recipient.is_student else request.district_default


def effective(recipient: PlanRecipient, request: PlanRequest) -> Preference:
    return recipient.preference or default_preference(recipient, request)


def student_sms_forbidden(recipient: PlanRecipient, request: PlanRequest) -> bool:
    """A7, M4, A4 for students, I2: a student gets SMS only by priority or by choosing SMS+app themselves."""
    if not recipient.is_student or request.priority:
        return False
    if request.communication is Communication.INVITATION:
        return True
    preference = effective(recipient, request)
    if preference is Preference.APP_ONLY and not recipient.joined:
        return True  # A4: "for a student always A1 without SMS", whatever the district default
    return preference is not Preference.SMS_APP


# --- the checks, shared by the sampled and the exhaustive tests ----------------------------------

def check_priority_loses_no_good_channel(recipient: PlanRecipient, request: PlanRequest) -> None:
    result = plan_recipient(recipient, request)
    expected = set()
    if good_email(recipient):
        expected.add((Channel.EMAIL, recipient.email))
    if good_mobile(recipient):
        expected.add((Channel.SMS, recipient.mobile_phone))
        if request.with_call:
            expected.add((Channel.VOICE, recipient.mobile_phone))

    assert sorted((delivery.channel, delivery.to) for delivery in result.deliveries) == sorted(expected)


def check_no_forbidden_student_sms(recipient: PlanRecipient, request: PlanRequest, failed: Channel,
                                   already_sent: frozenset[Channel]) -> None:
    result = plan_recipient(recipient, request)
    fallback = plan_fallback(recipient, request, failed_channel=failed, already_sent=already_sent)

    assert Channel.SMS not in [delivery.channel for delivery in result.deliveries]
    assert fallback is None or fallback.channel is not Channel.SMS


def check_deterministic_and_only_good_credentials(recipient: PlanRecipient, request: PlanRequest) -> None:
    result = plan_recipient(recipient, request)

    assert plan_recipient(recipient, request) == result
    assert list(plan([recipient], request)) == [result]
    for delivery in result.deliveries:
        if delivery.channel is Channel.EMAIL:
            assert good_email(recipient) and delivery.to == recipient.email
        else:
            assert delivery.channel in MOBILE_CHANNELS
            assert good_mobile(recipient) and delivery.to == recipient.mobile_phone


def check_delivered_or_unreachable(recipient: PlanRecipient, request: PlanRequest) -> None:
    result = plan_recipient(recipient, request)

    if left_out(recipient, request):
        assert result.excluded_reason is not None
        assert (result.deliveries, result.app, result.unreachable_reason) == ((), False, None)
        return
    assert result.excluded_reason is None
    assert bool(result.deliveries) != (result.unreachable_reason is not None)
    assert result.app is (recipient.joined and request.communication is not Communication.INVITATION)


def check_never_chose_is_planned_as_the_default(recipient: PlanRecipient, request: PlanRequest) -> None:
    never_chose = replace(recipient, preference=None)
    chose_the_default = replace(recipient, preference=default_preference(recipient, request))

    assert plan_recipient(never_chose, request) == plan_recipient(chose_the_default, request)


def check_sms_preference_gets_the_sms(recipient: PlanRecipient, request: PlanRequest) -> None:
    """A2/M2: whoever's preference is SMS+app, chosen or by default, and has a good mobile, is sent one SMS."""
    if request.priority or request.communication is Communication.INVITATION or left_out(recipient, request):
        return
    if good_mobile(recipient) and effective(recipient, request) is Preference.SMS_APP:
        assert [delivery.channel for delivery in plan_recipient(recipient, request).deliveries] == [Channel.SMS]


def check_fallback(recipient: PlanRecipient, request: PlanRequest, failed: Channel,
                   already_sent: frozenset[Channel]) -> None:
    fallback = plan_fallback(recipient, request, failed_channel=failed, already_sent=already_sent)
    if fallback is None:
        return

    assert {failed, fallback.channel} == {Channel.EMAIL, Channel.SMS}
    assert fallback.channel not in already_sent
    assert not left_out(recipient, request)
    if fallback.channel is Channel.EMAIL:
        assert good_email(recipient) and fallback.to == recipient.email
    else:
        assert good_mobile(recipient) and fallback.to == recipient.mobile_phone


# --- sampled ---------------------------------------------------------------------------------

@settings(max_examples=200)
@given(recipients(), priority_requests())
def test_a_priority_announcement_never_loses_a_good_channel(recipient, request):
    assume(not left_out(recipient, request))
    check_priority_loses_no_good_channel(recipient, request)


@settings(max_examples=300)
@given(recipients(students_only=True), requests(), st.sampled_from(tuple(Channel)), channel_sets())
def test_no_student_ever_gets_an_sms_the_rows_forbid_not_even_by_fallback(recipient, request, failed, already_sent):
    assume(student_sms_forbidden(recipient, request))
    check_no_forbidden_student_sms(recipient, request, failed, already_sent)


@settings(max_examples=200)
@given(recipients(), requests())
def test_the_planner_is_deterministic_and_never_plans_to_a_bad_or_opted_out_credential(recipient, request):
    check_deterministic_and_only_good_credentials(recipient, request)


@settings(max_examples=200)
@given(recipients(), requests())
def test_every_eligible_recipient_gets_a_provider_delivery_or_is_listed_unreachable_and_gets_the_app_iff_joined(
        recipient, request):
    check_delivered_or_unreachable(recipient, request)


@settings(max_examples=300)
@given(recipients(), requests(), st.sampled_from(tuple(Channel)), channel_sets())
def test_a_fallback_is_the_good_alternative_not_yet_sent(recipient, request, failed, already_sent):
    check_fallback(recipient, request, failed, already_sent)


@settings(max_examples=200)
@given(recipients(), requests())
def test_every_provider_channel_in_play_is_either_planned_or_skipped_with_a_reason(recipient, request):
    result = plan_recipient(recipient, request)
    assume(result.excluded_reason is None)
    in_play = {Channel.EMAIL, Channel.SMS} | ({Channel.VOICE} if request.with_call else set())
    planned = [delivery.channel for delivery in result.deliveries]
    skipped = [skipped.channel for skipped in result.skipped]

    assert sorted(planned + skipped) == sorted(in_play)


@settings(max_examples=200)
@given(recipients(), requests())
def test_only_a_priority_announcement_sends_more_than_one_provider_delivery(recipient, request):
    result = plan_recipient(recipient, request)

    assert len(result.deliveries) <= (3 if request.priority else 1)


@settings(max_examples=200)
@given(recipients(), requests())
def test_sms_and_calls_to_a_shared_mobile_start_with_the_recipients_first_name(recipient, request):
    for delivery in plan_recipient(recipient, request).deliveries:
        if delivery.channel in MOBILE_CHANNELS and recipient.mobile_shared_with and recipient.given_name:
            assert delivery.label == f"For {recipient.given_name}:"
        else:
            assert delivery.label is None


@settings(max_examples=200)
@given(recipients(), requests())
def test_an_adult_who_never_chose_is_planned_as_if_they_had_chosen_the_district_default_and_a_student_email_and_app(
        recipient, request):
    check_never_chose_is_planned_as_the_default(recipient, request)


@settings(max_examples=300)
@given(recipients(students_only=True), plain_requests_in_an_sms_district(), st.sampled_from(tuple(Channel)),
       channel_sets())
def test_a_district_default_of_sms_never_texts_a_student_who_never_chose_not_even_by_fallback(
        recipient, request, failed, already_sent):
    check_no_forbidden_student_sms(replace(recipient, preference=None), request, failed, already_sent)


@settings(max_examples=200)
@given(reachable_by_sms_who_never_chose_or_chose_sms(), plain_requests_in_an_sms_district())
def test_in_a_district_defaulting_to_sms_adults_who_never_chose_and_students_who_chose_sms_get_the_sms(
        recipient, request):
    texted = Channel.SMS in [delivery.channel for delivery in plan_recipient(recipient, request).deliveries]

    assert texted is (not recipient.is_student or recipient.preference is Preference.SMS_APP)
    check_sms_preference_gets_the_sms(recipient, request)


# --- exhaustive ------------------------------------------------------------------------------

def every_situation() -> list[PlanRecipient]:
    credentials = [(None, GOOD)] + [("present", state) for state in CredentialState]
    return [
        make_recipient(is_student=is_student, student_account_enabled=enabled, joined=joined, preference=preference,
                       email=email and "dennis@example.org", email_state=email_state,
                       mobile_phone=mobile and "+15555550101", mobile_state=mobile_state, mobile_shared_with=1)
        for is_student, enabled, joined, preference, (email, email_state), (mobile, mobile_state)
        in itertools.product((False, True), (False, True), (False, True), (None, *Preference), credentials,
                             credentials)
    ]


def test_every_situation_the_rows_tell_apart_keeps_every_guarantee():
    fallback_histories = [(failed, frozenset({failed})) for failed in Channel] + [(Channel.EMAIL, frozenset())]
    for request in every_kind_of_request():
        for recipient in every_situation():
            check_deterministic_and_only_good_credentials(recipient, request)
            check_delivered_or_unreachable(recipient, request)
            check_never_chose_is_planned_as_the_default(recipient, request)
            check_sms_preference_gets_the_sms(recipient, request)
            if request.priority and not left_out(recipient, request):
                check_priority_loses_no_good_channel(recipient, request)
            for failed, already_sent in fallback_histories:
                check_fallback(recipient, request, failed, already_sent)
                if student_sms_forbidden(recipient, request):
                    check_no_forbidden_student_sms(recipient, request, failed, already_sent)
