"""The rules behind CORS and X-Request-Id, without a server; and the structured log line naming the request."""
import json
import logging

from hypothesis import given
from hypothesis import strategies as st

from services.gateway.domain.cors import CorsPolicy
from services.gateway.domain.request_ids import MAX_LENGTH, request_id
from shared.logs import REQUEST_ID, JsonFormatter


def test_origins_are_read_from_a_comma_separated_setting_without_blanks_or_trailing_slashes():
    policy = CorsPolicy.from_setting(" https://app.example.org/, ,http://localhost:3000")

    assert policy.origins == {"https://app.example.org", "http://localhost:3000"}
    assert CorsPolicy.from_setting(None).origins == frozenset()


def test_only_a_listed_origin_is_allowed_and_it_gets_credentials():
    policy = CorsPolicy.from_setting("https://app.example.org")

    assert policy.response_headers("https://app.example.org")["Access-Control-Allow-Credentials"] == "true"
    assert policy.response_headers("https://other.example.org") == {"Vary": "Origin"}
    assert policy.response_headers(None) == {"Vary": "Origin"}


@given(st.text(max_size=40))
def test_a_wildcard_never_comes_with_credentials_whatever_the_origin(origin):
    headers = CorsPolicy.from_setting("*").response_headers(origin)

    assert "Access-Control-Allow-Credentials" not in headers
    assert headers.get("Access-Control-Allow-Origin") in (None, "*")


def test_a_sane_request_id_is_kept():
    assert request_id("9f1c-2b.app:checkout/7") == "9f1c-2b.app:checkout/7"


@given(st.text(max_size=MAX_LENGTH + 10))
def test_whatever_is_sent_the_request_id_is_a_short_token_safe_in_a_header_and_a_log(sent):
    answered = request_id(sent)

    assert 1 <= len(answered) <= MAX_LENGTH
    assert answered.isascii() and all(char.isalnum() or char in "._:+=/-" for char in answered)


def test_a_json_log_line_names_the_request_and_its_zone():
    record = logging.LogRecord("services.gateway", logging.INFO, __file__, 1, "answered", None, None)
    context = REQUEST_ID.set("req-7")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(context)

    assert line["request_id"] == "req-7" and line["ts"].endswith("Z")
