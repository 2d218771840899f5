"""The text of invitations and verification codes, composed per person and per channel."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.messages import (
    MissingPersonalValues,
    compose,
    invitation_values,
    join_url,
    verification_values,
)

EXPIRES = datetime(2026, 12, 15, 9, 30, tzinfo=timezone.utc)
VALUES = invitation_values(district_name="Riverside Unified", given_name="Dana",
                           join_url="https://school.example.org/join?token=abc", join_code="K7Q2-M9XD",
                           expires_at=EXPIRES)


def test_the_join_link_is_the_join_page_with_the_token_quoted():
    assert join_url("https://school.example.org/", "a+b/c") == "https://school.example.org/join?token=a%2Bb%2Fc"


def test_an_invitation_email_names_the_district_the_person_the_link_the_code_and_the_expiry():
    text = compose(Communication.INVITATION, Channel.EMAIL, subject=None, body="", label=None, personal=VALUES)

    assert text.subject == "Your invitation to join Riverside Unified"
    for part in ("Hello Dana,", "Riverside Unified invites you", "https://school.example.org/join?token=abc",
                 "K7Q2-M9XD", "December 15, 2026"):
        assert part in text.body


def test_an_invitation_sms_is_short_and_opens_with_the_shared_phone_label():
    text = compose(Communication.INVITATION, Channel.SMS, subject=None, body="", label="For Dana:", personal=VALUES)

    assert text.subject is None
    assert text.body.startswith("For Dana: Riverside Unified invites you to join: https://school.example.org/join")
    assert len(text.body) < 160


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS])
def test_a_verification_code_message_carries_the_code(channel):
    personal = verification_values(code="482913", expires_at=EXPIRES)

    text = compose(Communication.VERIFICATION, channel, subject=None, body="", label=None, personal=personal)

    assert "482913" in text.body and "09:30" in text.body


def test_an_announcement_says_the_same_to_everyone():
    text = compose(Communication.ANNOUNCEMENT, Channel.SMS, subject="Snow day", body="No school.", label="For Sam:",
                   personal=None)

    assert (text.subject, text.body) == ("Snow day", "For Sam: No school.")


def test_a_personal_message_without_its_values_cannot_be_composed():
    with pytest.raises(MissingPersonalValues):
        compose(Communication.INVITATION, Channel.EMAIL, subject=None, body="", label=None, personal=None)
