import pytest

from services.gateway.domain.webhooks import body_text, called_url
from shared.contracts.errors import InvalidRequest


def test_without_a_public_url_the_provider_called_the_requests_own_host():
    url = called_url(public_url=None, request_host_url="http://127.0.0.1:8000/",
                     raw_path="/webhooks/twilio/status", query_string="delivery_id=d-1")

    assert url == "http://127.0.0.1:8000/webhooks/twilio/status?delivery_id=d-1"


def test_a_configured_public_url_replaces_the_host_the_gateway_sees():
    url = called_url(public_url="https://school.example.org/", request_host_url="http://10.0.0.7:8000/",
                     raw_path="/webhooks/twilio/status", query_string="delivery_id=d-1")

    assert url == "https://school.example.org/webhooks/twilio/status?delivery_id=d-1"


def test_a_public_url_with_a_path_prefix_keeps_the_prefix_the_proxy_strips():
    url = called_url(public_url="https://example.org/school", request_host_url="http://10.0.0.7:8000/",
                     raw_path="/webhooks/sendgrid/events", query_string="")

    assert url == "https://example.org/school/webhooks/sendgrid/events"


def test_the_path_and_query_keep_their_percent_encoding_as_sent():
    url = called_url(public_url=None, request_host_url="http://gw/", raw_path="/webhooks/twilio/status",
                     query_string="delivery_id=a%2Fb&x=%20y")

    assert url == "http://gw/webhooks/twilio/status?delivery_id=a%2Fb&x=%20y"


def test_a_utf8_body_is_kept_character_for_character():
    raw = '[{"email":"zoë@example.org","event":"bounce"}]'.encode()

    assert body_text(raw).encode() == raw


def test_a_body_that_is_not_utf8_is_refused_naming_body():
    with pytest.raises(InvalidRequest) as refused:
        body_text(b"\xff\xfe")

    assert refused.value.fields == {"body": ["Not UTF-8."]}
