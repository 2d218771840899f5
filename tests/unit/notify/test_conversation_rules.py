"""The conversation rules: who may take part, who wrote a text from a shared phone, and Reply-To tokens."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain import conversations as rules
from services.notify.domain.conversations import Person, Refusal, ReplyRoute

SECRET = b"reply-secret-for-tests"
TODAY = date(2026, 12, 5)
DOMAIN = "replies.example.org"


def guardian(person_id: str = "g1", **overrides) -> Person:
    return Person(**{"person_id": person_id, "kinds": ("guardian",), "student_account_enabled": False,
                     "archived": False, **overrides})


def student(person_id: str = "s1", *, enabled: bool = True) -> Person:
    return Person(person_id, ("student",), enabled, False)


def teacher(person_id: str = "t1") -> Person:
    return Person(person_id, ("staff",), False, False)


routes = st.builds(ReplyRoute, st.uuids().map(lambda u: u.hex), st.integers(0, 15),
                   st.dates(min_value=TODAY, max_value=date(2100, 1, 1)))


# --- who may take part ---

def test_staff_start_with_guardians_and_enabled_students_in_their_reach():
    people = {"g1": guardian("g1"), "s1": student("s1")}
    assert rules.refusals_for_staff_start("t1", people, reachable=["g1", "s1"]) == {}


@pytest.mark.parametrize(("person", "reachable", "refusal"), [
    (guardian("g1"), [], Refusal.NOT_FOUND),
    (None, ["g1"], Refusal.NOT_FOUND),
    (guardian("g1", archived=True), ["g1"], Refusal.ARCHIVED),
    (student("g1", enabled=False), ["g1"], Refusal.STUDENT_NOT_ENABLED),
    (teacher("g1"), ["g1"], Refusal.NOT_FAMILY),
])
def test_staff_cannot_start_with_people_out_of_reach_archived_not_enabled_or_staff(person, reachable, refusal):
    assert rules.refusals_for_staff_start("t1", {"g1": person}, reachable) == {"g1": refusal}


def test_a_conversation_has_at_most_fifteen_other_participants():
    people = {f"g{n}": guardian(f"g{n}") for n in range(16)}
    refused = rules.refusals_for_staff_start("t1", people, reachable=list(people))
    assert set(refused.values()) == {Refusal.TOO_MANY}
    fifteen = dict(list(people.items())[:15])
    assert rules.refusals_for_staff_start("t1", fifteen, reachable=list(fifteen)) == {}


def test_nobody_starts_a_conversation_with_themselves():
    assert rules.refusals_for_staff_start("g1", {"g1": guardian("g1")}, ["g1"]) == {"g1": Refusal.SELF}


def test_a_family_starts_with_one_teacher_of_their_student_or_class_only():
    assert rules.refusals_for_family_start("g1", {"t1": teacher("t1")}, teachers=["t1"]) == {}
    assert rules.refusals_for_family_start("g1", {"t2": teacher("t2")}, teachers=["t1"]) == \
        {"t2": Refusal.NOT_THEIR_TEACHER}
    assert rules.refusals_for_family_start("g1", {"g1": guardian("g1")}, teachers=["t1"]) == \
        {"g1": Refusal.NOT_THEIR_TEACHER}
    assert set(rules.refusals_for_family_start(
        "g1", {"t1": teacher("t1"), "t2": teacher("t2")}, ["t1", "t2"]).values()) == {Refusal.TOO_MANY}


def test_guardians_and_enabled_students_may_start_as_family_others_not():
    assert rules.may_start_as_family(guardian("g1"), ["guardian"])
    assert rules.may_start_as_family(student("s1"), ["student"])
    assert not rules.may_start_as_family(student("s1", enabled=False), ["student"])
    assert not rules.may_start_as_family(guardian("g1", archived=True), ["guardian"])
    assert not rules.may_start_as_family(None, ["guardian"])


# --- who wrote a text ---

def test_a_text_from_a_phone_only_one_participant_has_is_theirs():
    assert rules.attribute_text(["g1"], "g1") == rules.Attribution("g1", ())


def test_a_text_from_a_shared_phone_may_be_from_any_sharer_and_goes_to_everyone_else():
    author = rules.attribute_text(["g2", "g1"], "g1")
    assert author == rules.Attribution(None, ("g1", "g2"))
    assert rules.message_recipients(["t1", "g1", "g2", "s1"], author) == ["s1", "t1"]


@given(st.sets(st.sampled_from(["a", "b", "c", "d"])), st.sampled_from(["a", "b", "c", "d"]))
def test_a_text_always_has_an_author_or_possible_authors_never_both(sharers, recipient):
    author = rules.attribute_text(sharers, recipient)
    assert (author.author_id is None) == bool(author.possible_author_ids)
    assert recipient in ({author.author_id} | set(author.possible_author_ids))


# --- Reply-To tokens ---

@given(routes)
def test_a_reply_token_reads_back_as_the_route_it_was_made_for(route):
    assert rules.read_reply_token(SECRET, rules.reply_token(SECRET, route), today=TODAY) == route


@given(routes)
def test_a_reply_address_fits_an_address_local_part(route):
    local, _, domain = rules.reply_address(SECRET, route, DOMAIN).partition("@")
    assert len(local) <= 64 and domain == DOMAIN and local == local.lower()


@given(routes, st.data())
def test_a_reply_token_with_any_character_changed_is_refused(route, data):
    token = rules.reply_token(SECRET, route)
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz234567").filter(
        lambda c: c != token[position]))
    forged = token[:position] + replacement + token[position + 1:]
    with pytest.raises(rules.BadReplyToken):
        rules.read_reply_token(SECRET, forged, today=TODAY)


def test_a_reply_token_signed_with_another_secret_or_expired_or_garbled_is_refused():
    route = ReplyRoute(uuid.uuid4().hex, 1, TODAY)
    token = rules.reply_token(SECRET, route)
    with pytest.raises(rules.BadReplyToken, match="signature"):
        rules.read_reply_token(b"another secret", token, today=TODAY)
    with pytest.raises(rules.BadReplyToken, match="expired"):
        rules.read_reply_token(SECRET, token, today=TODAY + timedelta(days=1))
    for garbled in ("", "not-base32!", token[:-4]):
        with pytest.raises(rules.BadReplyToken):
            rules.read_reply_token(SECRET, garbled, today=TODAY)


def test_reply_tokens_are_found_only_at_our_domain_whatever_the_case():
    addresses = ["Ms Smith <someone@else.org>", "REPLY-ABC@Replies.Example.org", "reply-abc@replies.example.org",
                 "reply-def@other.example.org"]
    assert rules.tokens_in(addresses, DOMAIN) == ["abc"]


def test_a_reply_address_expires_sixty_days_after_its_message():
    assert rules.expiry_from(TODAY) == TODAY + timedelta(days=60)


def test_a_message_names_its_writer_and_links_its_attachments():
    body = rules.message_body("Dana Reyes", "See the form.", [{"name": "form.pdf", "url": "https://f.example/1"}])
    assert body == "Dana Reyes: See the form.\nAttachment: form.pdf https://f.example/1"
    assert rules.display_name(None, None) == "Someone from school"
