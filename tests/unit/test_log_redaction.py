"""Log lines never carry a secret, a token, a password, a full email address or a full phone number."""
from __future__ import annotations

import json
import logging

from hypothesis import given
from hypothesis import strategies as st

from shared.log_redaction import redact
from shared.logs import JsonFormatter, ReadableFormatter

local_parts = st.from_regex(r"[a-z][a-z0-9._+-]{2,20}", fullmatch=True)
domains = st.from_regex(r"[a-z][a-z0-9-]{1,12}\.(org|com|edu|k12\.ca\.us)", fullmatch=True)


@given(local_parts, domains)
def test_an_email_keeps_only_its_first_character_and_domain(local, domain):
    line = redact(f"bounce for {local}@{domain} recorded")

    assert f"{local}@{domain}" not in line and f"{local[0]}***@{domain}" in line


@given(st.from_regex(r"\+[1-9][0-9]{9,14}", fullmatch=True))
def test_a_phone_keeps_only_its_last_four_digits(phone):
    line = redact(f"SMS to {phone} accepted")

    assert phone not in line and f"+***{phone[-4:]}" in line


def test_tokens_passwords_and_secrets_are_replaced_wherever_they_appear():
    jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJkYW5hIn0.c2lnbmF0dXJlLWJ5dGVz"
    line = redact(f'login {{"password": "correct horse", "refresh_token": "r-123"}} Authorization: Bearer {jwt} '
                  "url=postgresql+psycopg2://notify:pg-Secret@db:5432/notify?api_key=SG.abc&client_secret=xyz")

    for secret in ("correct", "r-123", jwt, "pg-Secret", "SG.abc", "xyz"):
        assert secret not in line
    assert "postgresql+psycopg2://notify:[redacted]@db:5432/notify" in line


def test_ordinary_text_and_ids_are_left_alone():
    line = "run 3f2a9c imported 1,204 people for district lincoln in 12.5 s"

    assert redact(line) == line


def test_json_lines_name_the_service_and_are_redacted():
    record = logging.LogRecord("notify.webhooks", logging.INFO, __file__, 1, "delivered to %s", ("ana@example.org",),
                               None)

    line = json.loads(JsonFormatter(service="notify").format(record))

    assert line["service"] == "notify" and line["message"] == "delivered to a***@example.org"
    assert line["ts"].endswith("Z")


def test_readable_lines_name_the_service_and_are_redacted():
    record = logging.LogRecord("notify", logging.WARNING, __file__, 1, "call to +15555550101 failed", (), None)

    line = ReadableFormatter(service="notify-worker").format(record)

    assert line.startswith("[notify-worker] ") and "+***0101" in line and "+15555550101" not in line


_FRAGMENTS = st.sampled_from([
    "password", "PassWord", "passwd", "client_secret", "TOKEN", "api_key", "apikey", "auth_key", "Authorization",
    "X-Signature", "Bearer ", "basic ", "=", ": ", '"', "'", "&", " ", "\n", "@", "a@b.org", "+", "+15551234567",
    "https://", "amqp://user:pw@host", "://", "eyJ", "eyJhbGciOi.eyJzdWIiOi.c2ln", "abc", "123", "K", "ſ", "İ",
    "ı", "é", "[redacted]", "***",
])


@given(st.lists(_FRAGMENTS, max_size=12).map("".join))
def test_a_line_is_redacted_as_every_pattern_would_redact_it(line):
    from shared.log_redaction import _redact_all

    assert redact(line) == _redact_all(line)


def test_a_case_folded_secret_key_is_still_redacted():
    # The Kelvin sign matches k case-blind: "to\u212aen" is a token's key to the pattern.
    assert "hunter2" not in redact("to\u212aen=hunter2")
