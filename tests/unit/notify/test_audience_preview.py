"""The audience preview counts what the send's planner would decide, per channel and language, storing nothing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.notify.domain.audience_preview import PreviewMember, audience_reach
from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.planner import PlanRequest, Reason
from services.notify.domain.translation import UNTRANSLATED_NOTE
from services.notify.domain.unreachable import Contact
from services.notify.handlers_preview import preview_announcement
from shared.contracts.errors import InvalidRequest
from shared.contracts.notify_languages import PREVIEW_UNREACHABLE_CAP, AudiencePreview
from shared.testing.translation_fakes import FakeTranslator, InMemoryTranslations
from tests.unit.notify.planner_builders import APP_ONLY, BAD, SMS_APP, make_recipient, make_student
from tests.unit.notify.test_notify_service_announcement_handlers import FakeDirectory, FakeSettings, make_request

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)


def member(person_id: str, language: str = "en", family_name: str = "Lopez", **overrides) -> PreviewMember:
    recipient = (make_student if overrides.pop("student", False) else make_recipient)(person_id=person_id,
                                                                                      **overrides)
    return PreviewMember(Contact(person_id, recipient.given_name, family_name, ()), recipient, language)


class FakeAudience:
    """The preview's read-only port; it has no way to write."""

    def __init__(self, members: list[PreviewMember], *, unknown: int = 0, sender_language: str = "en"):
        self.members, self.unknown, self.sender_language = members, unknown, sender_language

    def audience_members(self, person_ids):
        return [m for m in self.members if m.contact.person_id in person_ids], self.unknown

    def language_of(self, person_id):
        return self.sender_language


def preview(members, *, translator=None, request=None, unknown=0, person_ids=None):
    cache = InMemoryTranslations()
    ids = person_ids or [m.contact.person_id for m in members] + [f"unknown-{n}" for n in range(unknown)]
    answer = preview_announcement(request or make_request(body="School is closed."),
                                  directory_rpc=FakeDirectory(ids), audience=FakeAudience(members, unknown=unknown),
                                  district_defaults=FakeSettings(), translator=translator, cache=cache,
                                  clock=lambda: NOW)
    assert cache.cache == {} and cache.stored == {}  # a preview keeps no translation
    return AudiencePreview().dump(answer)


def test_the_preview_counts_people_per_channel_as_the_planner_decides():
    answer = preview([
        member("ana"),  # never chose: the district default, email + app
        member("ben", preference=SMS_APP),
        member("cy", preference=APP_ONLY, joined=True),
        member("dee", email=None, mobile_phone=None),
        member("sam", student=True, student_account_enabled=False),
    ], unknown=1)

    assert answer["recipient_count"] == 6
    assert answer["reach"] == {"email": 1, "sms": 1, "call": 0, "app_only": 1}
    assert answer["reached"] == 3 and answer["not_contacted"] == 2
    assert answer["unreachable_total"] == 2
    assert {(p["person_id"], p["reason"]) for p in answer["unreachable"]} == {
        ("cy", Reason.APP_ONLY_PREFERENCE.value), ("dee", Reason.NO_CREDENTIAL.value)}


def test_a_priority_announcement_with_a_call_previews_sms_email_and_calls():
    request = make_request(priority=True, with_call=True)

    answer = preview([member("ana"), member("ben", email_state=BAD)], request=request)

    assert answer["reach"] == {"email": 1, "sms": 2, "call": 2, "app_only": 0}


def test_each_language_gets_its_translated_sms_text_and_segment_count():
    answer = preview([member("ana"), member("ben", language="es"), member("cy", language="es")],
                     translator=FakeTranslator(), request=make_request(body="x" * 156))

    english, spanish = answer["languages"]
    assert (english["language"], english["people"], english["translated"], english["sms_segments"]) == (
        "en", 1, False, 1)
    assert (spanish["language"], spanish["people"], spanish["translated"]) == ("es", 2, True)
    # The translation is what gets counted: "[" and "]" are GSM extension characters (two septets each).
    assert spanish["body"] == "[es] " + "x" * 156 and spanish["sms_characters"] == 163
    assert spanish["sms_segments"] == 2 and spanish["sms_encoding"] == "GSM-7"


def test_a_failing_translator_previews_the_original_with_the_note_and_says_why():
    answer = preview([member("ben", language="vi")], translator=FakeTranslator(failing=True))

    [vietnamese] = answer["languages"]
    assert vietnamese["translated"] is False and vietnamese["body"].startswith(UNTRANSLATED_NOTE)
    assert "told to fail" in vietnamese["reason"]


def test_the_unreachable_list_is_capped_and_the_total_counts_everyone():
    people = [member(f"p{n:04d}", email=None, mobile_phone=None, family_name=f"F{n:04d}")
              for n in range(PREVIEW_UNREACHABLE_CAP + 5)]

    answer = preview(people)

    assert answer["unreachable_total"] == PREVIEW_UNREACHABLE_CAP + 5
    assert len(answer["unreachable"]) == PREVIEW_UNREACHABLE_CAP
    assert answer["unreachable"][0]["family_name"] == "F0000"


def test_an_audience_of_nobody_is_refused_as_the_send_refuses_it():
    with pytest.raises(InvalidRequest):
        preview([], person_ids=[])


def test_the_preview_decides_each_person_as_the_plan_of_the_send_does():
    people = [member("ana"), member("ben", preference=SMS_APP, mobile_state=BAD)]
    request = PlanRequest(Communication.ANNOUNCEMENT)

    reach = audience_reach(people, request)

    assert reach.by_channel == {Channel.EMAIL: 2}  # ben's bad mobile: the email instead (F1 at planning)
    assert reach.languages == {"en": 2}
