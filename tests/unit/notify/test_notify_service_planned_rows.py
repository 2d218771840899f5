"""Planning an announcement into rows: provider deliveries, skipped channels with reasons, the inbox."""
from __future__ import annotations

from services.notify.domain.delivery import Channel, NewDelivery
from services.notify.domain.planned_rows import SkippedDelivery, planned_rows
from services.notify.domain.planner import Reason
from tests.unit.notify.planner_builders import (
    APP_ONLY,
    BAD,
    SMS_APP,
    announcement,
    make_recipient,
    make_student,
    priority_announcement,
)


def test_a_guardian_who_prefers_email_gets_one_email_and_no_row_for_the_sms_kept_for_fallback():
    rows = planned_rows([make_recipient()], announcement())

    assert rows.provider == [NewDelivery("person-1", Channel.EMAIL, "dennis@example.org")]
    assert rows.skipped == [] and rows.app == []


def test_a_channel_the_rows_refuse_is_written_as_skipped_with_the_reason_and_the_address():
    rows = planned_rows([make_student()], announcement())

    assert rows.provider == [NewDelivery("student-1", Channel.EMAIL, "sam@students.example.org")]
    assert rows.skipped == [SkippedDelivery("student-1", Channel.SMS, "+15555550202", Reason.STUDENT_SMS_NOT_ALLOWED)]


def test_someone_with_nothing_good_gets_a_skipped_row_per_channel_naming_what_is_wrong():
    rows = planned_rows([make_recipient(email_state=BAD, mobile_phone=None)], announcement())

    assert rows.provider == []
    assert set(rows.skipped) == {SkippedDelivery("person-1", Channel.EMAIL, "dennis@example.org", Reason.EMAIL_BAD),
                                 SkippedDelivery("person-1", Channel.SMS, None, Reason.NO_MOBILE)}


def test_a_joined_user_gets_the_app_channel_besides_their_provider_delivery():
    rows = planned_rows([make_recipient(joined=True, preference=SMS_APP)], announcement())

    assert rows.provider == [NewDelivery("person-1", Channel.SMS, "+15555550101")]
    assert rows.app == ["person-1"]


def test_a_joined_app_only_user_gets_the_inbox_and_skipped_provider_rows_saying_it_was_their_choice():
    rows = planned_rows([make_recipient(joined=True, preference=APP_ONLY)], announcement())

    assert rows.provider == [] and rows.app == ["person-1"]
    assert {skipped.reason for skipped in rows.skipped} == {Reason.APP_ONLY_PREFERENCE}


def test_a_student_whose_account_is_not_enabled_gets_no_rows_at_all():
    rows = planned_rows([make_student(student_account_enabled=False, joined=True)], priority_announcement())

    assert len(rows) == 0


def test_sms_to_a_shared_mobile_carry_the_label_of_each_user():
    rows = planned_rows([make_recipient(person_id="dana", given_name="Dana", preference=SMS_APP, mobile_shared_with=1),
                         make_recipient(person_id="dennis", given_name="Dennis", preference=SMS_APP,
                                        mobile_shared_with=1)], announcement())

    assert [(row.person_id, row.label) for row in rows.provider] == [("dana", "For Dana:"), ("dennis", "For Dennis:")]


def test_a_priority_announcement_with_a_call_plans_email_sms_and_voice_for_everyone_with_both_good():
    rows = planned_rows([make_recipient(), make_student()], priority_announcement(with_call=True))

    assert sorted((row.person_id, row.channel) for row in rows.provider) == sorted(
        (person, channel) for person in ("person-1", "student-1")
        for channel in (Channel.EMAIL, Channel.SMS, Channel.VOICE))
