"""The twilio SDK's HTTP client on urllib3: what goes on the wire, what comes back, how failures surface."""
from __future__ import annotations

import pytest
import requests
from urllib3 import HTTPHeaderDict
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError

from services.notify.adapters.providers.twilio_http import RebasedTwilioHttpClient

MESSAGES = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"


class FakeAnswer:
    def __init__(self, status: int, data: bytes, content_type: str = "application/json") -> None:
        self.status = status
        self.data = data
        self.headers = HTTPHeaderDict({"Content-Type": content_type})


class FakePools:
    """Stands in for the urllib3 PoolManager: records each call, answers or raises as told."""

    def __init__(self, answer=None, error: Exception | None = None) -> None:
        self.calls: list[dict] = []
        self.answer = answer or FakeAnswer(201, b'{"sid": "SM1"}')
        self.error = error
        self.cleared = False

    def urlopen(self, method, url, **options):
        self.calls.append({"method": method, "url": url, **options})
        if self.error is not None:
            raise self.error
        return self.answer

    def connection_from_url(self, origin: str):
        """The one host's pool, as the manager hands it out: it takes the path alone."""
        manager = self

        class FakePool:
            def urlopen(self, method, path, **options):
                assert path.startswith("/")
                return manager.urlopen(method, origin + path, pool="host", **options)

        self.pools_made = getattr(self, "pools_made", 0) + 1
        return FakePool()

    def clear(self) -> None:
        self.cleared = True


def client_with(pools: FakePools, api_base: str | None = "http://127.0.0.1:8025") -> RebasedTwilioHttpClient:
    client = RebasedTwilioHttpClient(api_base, timeout=7.0)
    client._pools = pools
    return client


def test_a_form_post_is_rebased_encoded_as_requests_would_and_signed_with_basic_auth():
    pools = FakePools()
    client = client_with(pools)

    response = client.request("post", MESSAGES, data={"To": "+15555550100", "Body": "Snow day", "Skip": None,
                                                      "MediaUrl": ["a", None, "b"]},
                              headers={"Accept": "application/json"}, auth=("AC1", "token"))

    [call] = pools.calls
    assert call["method"] == "POST"
    assert call["url"] == "http://127.0.0.1:8025/2010-04-01/Accounts/AC1/Messages.json"
    assert call["body"] == b"To=%2B15555550100&Body=Snow+day&MediaUrl=a&MediaUrl=b"
    assert call["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert call["headers"]["Authorization"] == "Basic QUMxOnRva2Vu"
    assert call["retries"] is False and call["redirect"] is False
    assert (call["timeout"].connect_timeout, call["timeout"].read_timeout) == (7.0, 7.0)
    assert (response.status_code, response.text, response.ok) == (201, '{"sid": "SM1"}', True)


def test_json_bodies_and_query_parameters():
    pools = FakePools()
    client = client_with(pools, api_base=None)

    client.request("POST", MESSAGES, params={"PageSize": 5}, data={"a": 1},
                   headers={"Content-Type": "application/json"})

    [call] = pools.calls
    assert call["url"] == MESSAGES + "?PageSize=5"  # no api_base: Twilio itself, untouched
    assert call["body"] == b'{"a": 1}'


def test_the_answer_keeps_status_headers_and_text_in_its_charset():
    pools = FakePools(FakeAnswer(400, "{\"message\": \"é\"}".encode("latin-1"), "application/json; charset=latin-1"))

    response = client_with(pools).request("POST", MESSAGES, data={"To": "x"})

    assert (response.status_code, response.ok) == (400, False)
    assert response.text == '{"message": "é"}'
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("error, expected", [
    (ReadTimeoutError(None, "/", "read timed out"), requests.exceptions.Timeout),
    (NewConnectionError(None, "refused"), requests.exceptions.ConnectionError),
    (ProtocolError("Connection aborted."), requests.exceptions.ConnectionError),
])
def test_transport_failures_surface_as_the_requests_exceptions_callers_classify(error, expected):
    with pytest.raises(expected):
        client_with(FakePools(error=error)).request("POST", MESSAGES, data={"To": "x"})


def test_a_non_positive_timeout_is_refused_as_the_sdk_client_does():
    with pytest.raises(ValueError):
        client_with(FakePools()).request("POST", MESSAGES, data={}, timeout=0)


def test_close_releases_the_pools():
    pools = FakePools()
    client_with(pools).close()
    assert pools.cleared


def test_requests_to_the_api_host_go_straight_to_its_pool_asked_for_once():
    pools = FakePools()
    client = client_with(pools)

    for _ in range(3):
        client.request("POST", MESSAGES, data={"To": "x"})
    client.request("GET", MESSAGES, allow_redirects=True)  # redirects are the manager's to follow

    assert [call.get("pool") for call in pools.calls] == ["host", "host", "host", None]
    assert pools.pools_made == 1
    assert pools.calls[0]["url"] == "http://127.0.0.1:8025/2010-04-01/Accounts/AC1/Messages.json"
