"""The ClassLink client against the loopback roster server: signing, paging, throttling, retries, refusals."""
import email.utils
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.rostering.adapters.sources.classlink.client import RosterServerClient
from services.rostering.adapters.sources.classlink.connection import OAUTH2, ClassLinkConnection
from services.rostering.adapters.sources.patient_http import ATTEMPTS
from services.rostering.domain.errors import SourceRejected
from shared.testing.classlink_fake import Answer, FakeClassLink, json_answer
from shared.testing.oneroster_rest import user

TENANT = "1234"


@pytest.fixture
def fake(monkeypatch):
    # oauthlib refuses OAuth 2 over plain HTTP; the loopback server is plain HTTP.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeClassLink() as server:
        yield server


def connect(fake, **changes):
    settings = {"tenant_id": TENANT, "application_id": "app-9", "server_url": fake.url,
                "client_id": fake.client_id, "client_secret": fake.client_secret, **changes}
    return ClassLinkConnection(**settings)


def client_for(fake, *, page_size=2, **changes):
    sleeps = []
    client = RosterServerClient(connect(fake, **changes), page_size=page_size, sleep=sleeps.append)
    return client, sleeps


def students(count):
    return [user(f"s{n}", "student", ("school-1",)) for n in range(1, count + 1)]


def offsets(fake):
    return [int(query["offset"]) for _, query in fake.requests]


def test_pages_through_a_collection_signed_with_oauth1_hmac_sha256(fake):
    fake.roster["users"] = students(5)
    client, _ = client_for(fake)
    assert [u["sourcedId"] for u in client.collection("users")] == ["s1", "s2", "s3", "s4", "s5"]
    assert offsets(fake) == [0, 2, 4]
    assert all(query["limit"] == "2" for _, query in fake.requests)


def test_an_exact_multiple_of_the_page_size_stops_at_the_total_without_an_empty_page(fake):
    fake.roster["users"] = students(4)
    client, _ = client_for(fake)
    assert len(client.collection("users")) == 4
    assert offsets(fake) == [0, 2]


def test_without_paging_headers_an_empty_page_ends_an_exact_multiple(fake):
    fake.roster["users"], fake.paging_headers = students(4), False
    client, _ = client_for(fake)
    assert len(client.collection("users")) == 4
    assert offsets(fake) == [0, 2, 4]


def test_an_empty_collection_is_one_request(fake):
    client, _ = client_for(fake)
    assert client.collection("classes") == []
    assert offsets(fake) == [0]


def test_a_total_that_changes_mid_read_reads_the_collection_again_from_the_start(fake):
    fake.roster["users"] = students(4)

    def insert_once(query):
        if query["offset"] == "2" and len(fake.roster["users"]) == 4:
            fake.roster["users"].insert(0, user("s0", "student", ("school-1",)))

    fake.on_request("users", insert_once)
    client, _ = client_for(fake)
    assert sorted(u["sourcedId"] for u in client.collection("users")) == ["s0", "s1", "s2", "s3", "s4"]
    assert offsets(fake) == [0, 2, 0, 2, 4]


def test_a_collection_that_keeps_changing_refuses_the_run(fake):
    fake.roster["users"] = students(4)
    fake.on_request("users", lambda query: fake.roster["users"].append(user(f"x{len(fake.requests)}", "student",
                                                                            ("school-1",))))
    client, _ = client_for(fake)
    with pytest.raises(SourceRejected, match="kept changing while they were read"):
        client.collection("users")


def test_a_collection_that_never_ends_refuses_the_run(fake):
    fake.roster["users"], fake.paging_headers = students(12), False
    client = RosterServerClient(connect(fake), page_size=2, sleep=lambda seconds: None, max_records=9)
    with pytest.raises(SourceRejected, match="hold more than 9 records"):
        client.collection("users")


def test_429_waits_as_long_as_retry_after_says(fake):
    fake.roster["users"] = students(1)
    fake.then("users", json_answer(429, {"error": "slow down"}, {"Retry-After": "7"}))
    client, sleeps = client_for(fake)
    assert len(client.collection("users")) == 1
    assert sleeps == [7.0]


def test_429_with_an_http_date_waits_until_that_date(fake):
    fake.roster["users"] = students(1)
    when = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    fake.then("users", json_answer(429, {"error": "slow down"}, {"Retry-After": when}))
    client, sleeps = client_for(fake)
    assert len(client.collection("users")) == 1
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


def test_a_server_that_does_not_answer_in_time_is_retried_then_refuses_the_run(fake):
    fake.on_request("users", lambda query: time.sleep(0.5))
    client = RosterServerClient(connect(fake), page_size=2, sleep=lambda seconds: None, timeout=(1, 0.1))
    with pytest.raises(SourceRejected, match="did not answer \\(ReadTimeout\\)"):
        client.collection("users")
    assert len(fake.requests) == ATTEMPTS


def test_5xx_is_retried_with_exponential_backoff_and_signed_anew(fake):
    fake.roster["users"] = students(1)
    fake.then("users", Answer(500, b"oops"), Answer(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}))
    client, sleeps = client_for(fake)
    assert len(client.collection("users")) == 1  # the fake accepts each OAuth 1.0a nonce once
    assert sleeps == [1.0, 2.0]


def test_a_server_that_keeps_failing_refuses_the_run_after_the_last_attempt(fake):
    fake.then("users", *[Answer(503, b"") for _ in range(ATTEMPTS)])
    client, sleeps = client_for(fake)
    with pytest.raises(SourceRejected, match=f"kept failing \\(503\\); gave up after {ATTEMPTS} tries"):
        client.collection("users")
    assert len(sleeps) == ATTEMPTS - 1


def test_wrong_oauth1_credentials_are_named_for_the_tenant(fake):
    client, _ = client_for(fake, client_secret="not-the-secret")
    with pytest.raises(SourceRejected, match=f"ClassLink refused the credentials for tenant {TENANT}"):
        client.collection("users")


def test_oauth2_client_credentials_fetch_a_bearer_token(fake):
    fake.roster["users"] = students(3)
    client, _ = client_for(fake, auth=OAUTH2, token_url=fake.token_url)
    assert len(client.collection("users")) == 3


def test_an_expired_oauth2_token_is_fetched_again_once(fake):
    fake.roster["users"] = students(3)
    client, _ = client_for(fake, auth=OAUTH2, token_url=fake.token_url)
    fake.on_request("users", lambda query: fake.revoke_tokens() if query["offset"] == "2" else None)
    assert len(client.collection("users")) == 3


def test_wrong_oauth2_credentials_are_named_for_the_tenant(fake):
    client, _ = client_for(fake, auth=OAUTH2, token_url=fake.token_url, client_secret="wrong")
    with pytest.raises(SourceRejected, match=f"ClassLink refused the credentials for tenant {TENANT}"):
        client.collection("users")


@pytest.mark.parametrize("answer", [
    Answer(200, b"<html><body>Maintenance</body></html>", {"Content-Type": "text/html"}),
    Answer(200, b'{"users": [', {"Content-Type": "application/json"}),
])
def test_an_answer_that_is_not_json_refuses_the_run(fake, answer):
    fake.then("users", answer)
    client, _ = client_for(fake)
    with pytest.raises(SourceRejected, match="not JSON"):
        client.collection("users")


def test_json_without_the_collection_list_refuses_the_run(fake):
    fake.then("users", json_answer(200, {"users": {"sourcedId": "s1"}}))
    client, _ = client_for(fake)
    with pytest.raises(SourceRejected, match="has no users list"):
        client.collection("users")


def test_an_incremental_read_asks_for_what_changed_after_the_instant(fake):
    fake.roster["users"] = [user("old", "student", ("school-1",), dateLastModified="2026-01-01T00:00:00.000Z"),
                            user("new", "student", ("school-1",), dateLastModified="2026-09-02T08:00:00.000Z")]
    client, _ = client_for(fake)
    since = datetime(2026, 9, 1, 0, 0, tzinfo=timezone.utc)
    assert [u["sourcedId"] for u in client.collection("users", modified_after=since)] == ["new"]
    assert fake.requests[0][1]["filter"] == "dateLastModified>'2026-09-01T00:00:00Z'"


def test_oneroster_1_2_is_read_from_the_rostering_service_path(fake):
    fake.roster["orgs"] = [{"sourcedId": "d", "status": "active", "name": "D", "type": "district"}]
    client, _ = client_for(fake, version="1.2")
    assert client.collection("orgs")[0]["sourcedId"] == "d"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(min_value=0, max_value=23), page_size=st.integers(min_value=1, max_value=7),
       paging_headers=st.booleans())
def test_paging_reads_every_record_once_in_order_whatever_the_sizes(fake, count, page_size, paging_headers):
    fake.roster["users"], fake.paging_headers = students(count), paging_headers
    fake.requests.clear()
    client = RosterServerClient(connect(fake), page_size=page_size, sleep=lambda seconds: None)
    assert [u["sourcedId"] for u in client.collection("users")] == [f"s{n}" for n in range(1, count + 1)]
    full_pages, rest = divmod(count, page_size)
    # With a total the read stops once it is reached; without one, only a short (maybe empty) page ends it.
    expected = full_pages + (1 if rest or not paging_headers or count == 0 else 0)
    assert len(fake.requests) == expected
