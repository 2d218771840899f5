"""The Clever client against the loopback Clever API: token, cursor paging, throttling, retries, refusals."""
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.rostering.adapters.sources.clever.client import CleverClient
from services.rostering.adapters.sources.clever.connection import CleverConnection
from services.rostering.adapters.sources.patient_http import ATTEMPTS
from services.rostering.domain.errors import SourceRejected
from shared.testing.clever_fake import Answer, FakeClever, json_answer
from shared.testing.clever_objects import student_role, user

DISTRICT = "d-42"


@pytest.fixture
def fake():
    with FakeClever() as server:
        yield server


def client_for(fake, *, page_size=2, token=None):
    sleeps = []
    connection = CleverConnection(district_id=DISTRICT, token=token or fake.token, api_url=fake.url)
    return CleverClient(connection, page_size=page_size, sleep=sleeps.append), sleeps


def students(count):
    return [user(f"s{n:02d}", f"Student {n}", student=student_role("school-1")) for n in range(1, count + 1)]


def test_follows_next_links_until_there_is_none(fake):
    fake.roster["users"] = students(5)
    client, _ = client_for(fake)
    assert [u["id"] for u in client.collection("users", role="student")] == ["s01", "s02", "s03", "s04", "s05"]
    assert [query.get("starting_after") for _, query in fake.requests] == [None, "s02", "s04"]
    assert all(query["limit"] == "2" and query["role"] == "student" for _, query in fake.requests)


def test_users_are_read_by_role(fake):
    fake.roster["users"] = students(2) + [user("t1", "Ada", teacher={"schools": ["school-1"]})]
    client, _ = client_for(fake)
    assert [u["id"] for u in client.collection("users", role="teacher")] == ["t1"]


def test_a_next_link_that_goes_back_refuses_the_run_instead_of_looping(fake):
    fake.roster["users"] = students(2)
    page = {"data": [{"data": u, "uri": f"/v3.0/users/{u['id']}"} for u in students(2)],
            "links": [{"rel": "next", "uri": "/v3.0/users?starting_after=s00"}]}
    fake.then("users", json_answer(200, page), json_answer(200, page))
    client, _ = client_for(fake)
    with pytest.raises(SourceRejected, match="same page of users twice"):
        client.collection("users")


def test_429_waits_as_long_as_retry_after_says(fake):
    fake.roster["users"] = students(1)
    fake.then("users", json_answer(429, {"error": "Too Many Requests"}, {"Retry-After": "7"}))
    client, sleeps = client_for(fake)
    assert len(client.collection("users")) == 1
    assert sleeps == [7.0]


def test_429_without_retry_after_waits_until_the_rate_limit_resets(fake):
    fake.roster["users"] = students(1)
    reset = str(int(time.time()) + 30)
    fake.then("users", json_answer(429, {"error": "Too Many Requests"}, {"X-RateLimit-Reset": reset,
                                                                       "X-RateLimit-Remaining": "0"}))
    client, sleeps = client_for(fake)
    assert len(client.collection("users")) == 1
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


def test_5xx_is_retried_with_exponential_backoff(fake):
    fake.roster["sections"] = []
    fake.then("sections", Answer(500, b"oops"), Answer(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}))
    client, sleeps = client_for(fake)
    assert client.collection("sections") == []
    assert sleeps == [1.0, 2.0]


def test_an_api_that_does_not_answer_in_time_is_retried_then_refuses_the_run(fake):
    fake.on_request("users", lambda query: time.sleep(0.5))
    connection = CleverConnection(district_id=DISTRICT, token=fake.token, api_url=fake.url)
    client = CleverClient(connection, sleep=lambda seconds: None, timeout=(1, 0.1))
    with pytest.raises(SourceRejected, match="did not answer \\(ReadTimeout\\)"):
        client.collection("users")
    assert len(fake.requests) == ATTEMPTS


def test_an_api_that_keeps_failing_refuses_the_run_after_the_last_attempt(fake):
    fake.then("users", *[Answer(503, b"") for _ in range(ATTEMPTS)])
    client, sleeps = client_for(fake)
    with pytest.raises(SourceRejected, match=f"Clever's API for district {DISTRICT} kept failing \\(503\\)"):
        client.collection("users")
    assert len(sleeps) == ATTEMPTS - 1


def test_a_wrong_token_is_named_for_the_district(fake):
    client, _ = client_for(fake, token="not-the-token")
    with pytest.raises(SourceRejected, match=f"Clever refused the token for district {DISTRICT}"):
        client.collection("users")


@pytest.mark.parametrize("answer", [
    Answer(200, b"<html><body>Maintenance</body></html>", {"Content-Type": "text/html"}),
    Answer(200, b'{"data": [', {"Content-Type": "application/json"}),
])
def test_an_answer_that_is_not_json_refuses_the_run(fake, answer):
    fake.then("schools", answer)
    client, _ = client_for(fake)
    with pytest.raises(SourceRejected, match="schools for district d-42 with something that is not JSON"):
        client.collection("schools")


@pytest.mark.parametrize("document", [{"schools": []}, {"data": [{"uri": "/v3.0/schools/x"}]}])
def test_json_that_is_not_a_clever_listing_refuses_the_run(fake, document):
    fake.then("schools", json_answer(200, document))
    client, _ = client_for(fake)
    with pytest.raises(SourceRejected, match="no data list|not an object"):
        client.collection("schools")


def test_events_are_read_after_a_cursor_and_the_newest_one_is_found(fake):
    client, _ = client_for(fake)
    assert client.newest_event() == ""
    for item in students(3):
        fake.create("users", item)
    assert client.newest_event() == "evt00000003"
    assert [e["id"] for e in client.events_after("evt00000001")] == ["evt00000002", "evt00000003"]
    assert [e["type"] for e in client.events_after("")] == ["users.created"] * 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(min_value=0, max_value=23), page_size=st.integers(min_value=1, max_value=7))
def test_paging_reads_every_record_once_in_order_whatever_the_sizes(fake, count, page_size):
    fake.roster["users"] = students(count)
    fake.requests.clear()
    connection = CleverConnection(district_id=DISTRICT, token=fake.token, api_url=fake.url)
    client = CleverClient(connection, page_size=page_size, sleep=lambda seconds: None)
    assert [u["id"] for u in client.collection("users")] == [f"s{n:02d}" for n in range(1, count + 1)]
    assert len(fake.requests) == max(1, -(-count // page_size))
