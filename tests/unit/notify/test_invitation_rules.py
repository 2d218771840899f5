"""Who an invitation reaches and how (rows I1–I3, U1, F1), as the inviter is told it person by person.

The oracle restates DESIGN.md's invitation rows straight from the recipient's fields; hypothesis
explores recipients, and the last test sweeps every situation the rows can tell apart.
"""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.delivery import Channel, CredentialState, Preference
from services.notify.domain.invitations import (
    InvitationVerdict,
    SkipReason,
    after_token,
    decide_invitation,
    decide_printable_invitation,
)
from services.notify.domain.planner import Reason, plan_fallback
from tests.unit.notify.planner_builders import BAD, GOOD, OPTED_OUT, SMS_APP, invitation, make_recipient, make_student

EMAIL, SMS = Channel.EMAIL, Channel.SMS


def expected(recipient) -> tuple[Channel | None, SkipReason | None]:
    """DESIGN.md I1–I3 and U1, read directly."""
    if recipient.is_student and not recipient.student_account_enabled:
        return None, SkipReason.NOT_ENABLED  # I3
    if recipient.joined:
        return None, SkipReason.JOINED  # I3
    good_email = recipient.email is not None and recipient.email_state is GOOD
    good_mobile = recipient.mobile_phone is not None and recipient.mobile_state is GOOD
    if good_email:
        return EMAIL, None  # I1, I2
    if good_mobile and not recipient.is_student:
        return SMS, None  # I1; I2 never SMS
    return None, SkipReason.NO_USABLE_CREDENTIAL  # U1


@st.composite
def recipients(draw):
    return make_recipient(
        is_student=draw(st.booleans()), student_account_enabled=draw(st.booleans()), joined=draw(st.booleans()),
        preference=draw(st.sampled_from((None, *Preference))),
        email=draw(st.sampled_from((None, "dennis@example.org"))),
        email_state=draw(st.sampled_from(tuple(CredentialState))),
        mobile_phone=draw(st.sampled_from((None, "+15555550101"))),
        mobile_state=draw(st.sampled_from(tuple(CredentialState))),
        mobile_shared_with=draw(st.integers(min_value=0, max_value=2)))


@given(recipients())
def test_an_invitation_follows_rows_I1_to_I3_whatever_the_preference(recipient):
    verdict = decide_invitation(recipient.person_id, recipient)

    assert (verdict.channel, verdict.reason) == expected(recipient)
    if verdict.invited:
        assert verdict.address == (recipient.email if verdict.channel is EMAIL else recipient.mobile_phone)


@given(recipients())
def test_a_failed_invitation_falls_back_only_where_the_rows_allow_it_never_to_a_students_sms(recipient):
    verdict = decide_invitation(recipient.person_id, recipient)
    if not verdict.invited:
        return
    fallback = plan_fallback(recipient, invitation(), failed_channel=verdict.channel,
                             already_sent=frozenset({verdict.channel}))

    if recipient.is_student or verdict.channel is SMS:
        assert fallback is None  # I2: email only; and an SMS was sent only when there was no good email
    else:
        good_mobile = recipient.mobile_phone is not None and recipient.mobile_state is GOOD
        assert (fallback is not None and fallback.channel is SMS) is good_mobile


def test_every_situation_of_the_rows_is_decided_as_the_oracle_says():
    states = (None, GOOD, BAD, OPTED_OUT)
    for student, enabled, joined, email, mobile in itertools.product(
            (False, True), (False, True), (False, True), states, states):
        recipient = make_recipient(
            is_student=student, student_account_enabled=enabled, joined=joined,
            email="e@example.org" if email else None, email_state=email or GOOD,
            mobile_phone="+15555550101" if mobile else None, mobile_state=mobile or GOOD)
        verdict = decide_invitation("p", recipient)
        assert (verdict.channel, verdict.reason) == expected(recipient), recipient


def test_an_adult_with_a_bad_email_is_invited_by_sms_labelled_for_a_shared_phone():
    verdict = decide_invitation("p", make_recipient(email_state=BAD, preference=SMS_APP, mobile_shared_with=1))

    assert (verdict.channel, verdict.address, verdict.label) == (SMS, "+15555550101", "For Dennis:")


@pytest.mark.parametrize("recipient,detail", [
    (make_recipient(email=None, mobile_phone=None), Reason.NO_CREDENTIAL),
    (make_recipient(email_state=BAD, mobile_state=OPTED_OUT), Reason.NO_GOOD_CREDENTIAL),
    (make_student(email=None), Reason.STUDENT_SMS_NOT_ALLOWED),
])
def test_someone_no_invitation_can_reach_is_skipped_as_unreachable_with_the_reason(recipient, detail):
    verdict = decide_invitation("p", recipient)

    assert (verdict.reason, verdict.detail) == (SkipReason.NO_USABLE_CREDENTIAL, detail)


def test_unknown_and_archived_people_are_skipped_before_any_row():
    assert decide_invitation("p", None).reason is SkipReason.NOT_FOUND
    assert decide_invitation("p", None, archived=True).reason is SkipReason.ARCHIVED


def test_a_printable_invitation_needs_no_credential_but_still_follows_I3():
    assert decide_printable_invitation("p", make_recipient(email=None, mobile_phone=None)).invited
    assert decide_printable_invitation("p", make_recipient(joined=True)).reason is SkipReason.JOINED
    assert decide_printable_invitation("p", make_student(student_account_enabled=False)).reason \
        is SkipReason.NOT_ENABLED


@pytest.mark.parametrize("outcome", ["joined", "not_found", "archived", "not_enabled", "disabled"])
def test_identity_refusing_a_token_turns_an_invitation_into_a_skip_with_its_reason(outcome):
    verdict = after_token(InvitationVerdict("p", EMAIL, "e@example.org"), outcome)

    assert (verdict.invited, verdict.reason.value) == (False, outcome)


def test_an_issued_token_keeps_the_invitation():
    invited = InvitationVerdict("p", EMAIL, "e@example.org")

    assert after_token(invited, "issued") == invited
