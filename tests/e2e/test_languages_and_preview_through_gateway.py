"""Each person's language and the audience preview through the gateway, with every process running: a
Spanish-speaking guardian gets announcements translated (the sandbox's DeepL translates, its Twilio and
SendGrid record what went out), the original is kept in the report, a priority announcement is never held
by a failing translator, and the preview answers what a send would do without doing any of it. A teacher's
conversation message reaches her phone as a translated push (the sandbox's FCM records it), and her reply
reaches the teacher in English with the original beside it."""
from __future__ import annotations

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL
from services.notify.domain.translation import UNTRANSLATED_NOTE

from district_support import find_person_id, import_demo_district, person, sign_in, wait_for

pytestmark = pytest.mark.e2e

SPANISH_GUARDIAN = "lincoln-elem-student-2-guardian-1"  # an email and a mobile of her own
APP_ONLY_GUARDIAN = "lincoln-elem-student-3-guardian-1"
STUDENT = "lincoln-elem-student-2"  # the school has not enabled student accounts
HOMEROOM_TEACHER = "lincoln-elem-teacher-1"  # teaches students 1 to 8
CONVERSATIONS = "/api/v1/conversations"


@pytest.fixture
def stack_environment() -> dict[str, str]:
    # A failing translator costs a priority announcement one short attempt.
    return {"TRANSLATION_TIMEOUT_SECONDS": "1", "TRANSLATION_RETRIES": "0"}


@pytest.fixture
def district(stack, tmp_path):
    return import_demo_district(stack, tmp_path / "district")


def preview(stack, token: str, person_ids: list[str], **options) -> dict:
    response = stack.api("POST", "/api/v1/announcements/preview", token, json={
        "audience": {"person_ids": person_ids, "include_guardians": False}, "subject": "Field trip",
        "body": "The bus leaves at 8.", **options})
    assert response.status_code == 200, response.text
    return response.json()


def announce(stack, token: str, person_ids: list[str], subject: str, body: str, **options) -> str:
    response = stack.api("POST", "/api/v1/announcements", token, json={
        "audience": {"person_ids": person_ids, "include_guardians": False}, "subject": subject, "body": body,
        **options})
    assert response.status_code == 202, response.text
    return response.json()["communication_id"]


def report_of(stack, token: str, communication_id: str) -> dict:
    response = stack.api("GET", f"/api/v1/announcements/{communication_id}/report", token)
    assert response.status_code == 200, response.text
    return response.json()


def choose_spanish(stack, admin: str, district) -> tuple[str, object]:
    """The district offers Spanish; the guardian signs in and chooses it; notify learns it (the preview says)."""
    offered = stack.api("PUT", "/api/v1/district/languages", admin, json={"languages": ["en", "es"]})
    assert offered.status_code == 200, offered.text
    guardian = person(district, SPANISH_GUARDIAN)
    chosen = stack.api("PUT", "/api/v1/me/language", sign_in(stack, guardian.email), json={"language": "es"})
    assert chosen.status_code == 200, chosen.text
    guardian_id = find_person_id(stack, admin, guardian, "guardian")
    wait_for(lambda: [language["language"] for language in preview(stack, admin, [guardian_id])["languages"]]
             == ["es"], what="notify to know the guardian reads Spanish")
    return guardian_id, guardian


def test_a_spanish_speaking_guardian_gets_the_translation_and_a_priority_one_goes_out_despite_the_translator(
        stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian_id, guardian = choose_spanish(stack, admin, district)

    field_trip = announce(stack, admin, [guardian_id], "Field trip", "The bus leaves at 8.")

    [email] = wait_for(lambda: stack.sandbox.messages(channel="email", to=guardian.email), what="the email")
    assert (email["subject"], email["body"]) == ("[es] Field trip", "[es] The bus leaves at 8.")
    report = report_of(stack, admin, field_trip)
    assert (report["original"]["language"], report["original"]["body"]) == ("en", "The bus leaves at 8.")
    assert [(t["language"], t["outcome"], t["body"]) for t in report["translations"]] == [
        ("es", "translated", "[es] The bus leaves at 8.")]

    stack.sandbox.set_translator(fail=True)
    drill = announce(stack, admin, [guardian_id], "Lockdown drill", "Stay inside until the all-clear.",
                     priority=True)

    [text] = wait_for(lambda: stack.sandbox.messages(channel="sms", to=guardian.mobile_phone), what="the SMS")
    assert text["body"] == f"{UNTRANSLATED_NOTE}\nStay inside until the all-clear."
    [translation] = report_of(stack, admin, drill)["translations"]
    assert translation["outcome"] == "unavailable" and "DeepL did not translate" in translation["reason"]


def test_the_preview_counts_what_a_send_would_reach_and_sends_and_stores_nothing(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian_id, _ = choose_spanish(stack, admin, district)
    app_only = person(district, APP_ONLY_GUARDIAN)
    app_only_id = find_person_id(stack, admin, app_only, "guardian")
    # Signing in joins; App only then keeps everything in the app (A3).
    chosen = stack.api("PUT", f"/api/v1/people/{app_only_id}/preference", sign_in(stack, app_only.email),
                       json={"preference": "app_only"})
    assert chosen.status_code == 200, chosen.text
    student_id = find_person_id(stack, admin, person(district, STUDENT), "student")
    audience = [guardian_id, app_only_id, student_id]

    plain = wait_for(lambda: (answer := preview(stack, admin, audience))["reach"]["app_only"] and answer,
                     what="notify to know the App only guardian joined")
    priority = preview(stack, admin, audience, priority=True, with_call=True)

    assert plain["recipient_count"] == 3 and plain["not_contacted"] == 1  # the student: account not enabled
    assert plain["reach"] == {"email": 1, "sms": 0, "call": 0, "app_only": 1}
    assert [(p["person_id"], p["reason"]) for p in plain["unreachable"]] == [(app_only_id, "app_only_preference")]
    assert [(language["language"], language["people"], language["translated"], language["sms_segments"])
            for language in plain["languages"]] == [("en", 1, False, 1), ("es", 1, True, 1)]
    assert priority["reach"] == {"email": 2, "sms": 2, "call": 2, "app_only": 0}  # priority overrides App only
    assert stack.sandbox.messages() == []
    assert stack.sandbox.translator()["texts"][0]["text"] == "The bus leaves at 8."


def test_a_conversation_reaches_a_spanish_guardians_phone_in_spanish_and_her_reply_reaches_the_teacher_in_english(
        stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian_id, guardian = choose_spanish(stack, admin, district)
    family = sign_in(stack, guardian.email)
    device = stack.api("POST", "/api/v1/me/devices", family, json={"token": "spanish-phone", "platform": "android"})
    assert device.status_code == 201, device.text
    teacher_person = person(district, HOMEROOM_TEACHER)
    teacher = sign_in(stack, teacher_person.email)
    teacher_id = find_person_id(stack, admin, teacher_person, "staff")

    # The family sees whom it may write to; the teacher previews the draft, and nothing goes out.
    mine = stack.api("GET", "/api/v1/me/teachers", family)
    assert mine.status_code == 200 and teacher_id in [t["person_id"] for t in mine.json()["teachers"]], mine.text
    draft = {"participant_ids": [guardian_id], "text": "Parent night is on Thursday."}
    previewed = stack.api("POST", f"{CONVERSATIONS}/preview", teacher, json=draft)
    assert previewed.status_code == 200, previewed.text
    assert [(language["language"], language["translated"]) for language in previewed.json()["languages"]] == [
        ("es", True)]
    assert stack.sandbox.pushes(to="spanish-phone") == [] and stack.sandbox.messages() == []

    started = stack.api("POST", CONVERSATIONS, teacher, json=draft)
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation_id"]
    [push] = wait_for(lambda: stack.sandbox.pushes(to="spanish-phone"), what="the push to her phone")
    signed = f"{teacher_person.given_name} {teacher_person.family_name}"
    assert (push["subject"], push["body"]) == (f"[es] New message from {signed}",
                                               f"[es] {signed}: Parent night is on Thursday.")

    replied = stack.api("POST", f"{CONVERSATIONS}/{conversation_id}/messages", family, json={"text": "Allí estaremos."})
    assert replied.status_code == 201, replied.text
    seen_by_teacher = stack.api("GET", f"{CONVERSATIONS}/{conversation_id}", teacher).json()["messages"]
    assert [(m["text"], m["original_text"], m["original_language"], m["translation"]) for m in seen_by_teacher] == [
        ("Parent night is on Thursday.", "Parent night is on Thursday.", "en", "original"),
        ("[en-us] Allí estaremos.", "Allí estaremos.", "es", "translated")]
    seen_by_family = stack.api("GET", f"{CONVERSATIONS}/{conversation_id}", family).json()["messages"]
    assert [m["text"] for m in seen_by_family] == ["[es] Parent night is on Thursday.", "Allí estaremos."]


def test_who_has_not_chosen_a_language_reads_the_default_a_district_admin_sets(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    not_joined_id = find_person_id(stack, admin, person(district, APP_ONLY_GUARDIAN), "guardian")
    assert [language["language"] for language in preview(stack, admin, [not_joined_id])["languages"]] == ["en"]

    refused = stack.api("PUT", "/api/v1/district/languages", admin, json={"languages": ["en"],
                                                                          "default_language": "es"})
    assert refused.status_code == 400 and "languages" in refused.json()["error"]["fields"], refused.text
    chosen = stack.api("PUT", "/api/v1/district/languages", admin, json={"languages": ["en", "es"],
                                                                         "default_language": "es"})
    assert chosen.status_code == 200 and chosen.json()["default_language"] == "es", chosen.text

    wait_for(lambda: [language["language"] for language in preview(stack, admin, [not_joined_id])["languages"]]
             == ["es"], what="notify to render the district's default for who has not chosen")
    assert stack.api("GET", "/api/v1/district/languages", admin).json()["default_language"] == "es"
