"""GET routes answered in the web server's green thread, without a nameko worker (services/gateway/edge.py), over
the real broker: the caller's context reaches the service as a worker's did, a write still runs as a worker, at
most `max_workers` reads are answered at once, and a stopping gateway answers the reads in hand."""
from __future__ import annotations

from datetime import datetime, timezone

import eventlet
import pytest
import requests
from nameko.containers import ServiceContainer
from nameko.extensions import DependencyProvider

from services.gateway import edge
from services.gateway.service import GatewayService
from shared.contracts import callers, directory, identity
from shared.contracts.callers import CREDENTIAL_CONTEXT_KEY
from shared.contracts.errors import TooManyRequests
from shared.messaging import rpc_endpoint
from shared.request_tracing import REQUEST_ID_CONTEXT_KEY

from gateway_http_support import assert_error, free_port, make_people_page, make_person_summary, make_principal

ADMIN = make_principal(identity.DISTRICT_ADMIN, person_id="admin-1")
SIGNED_IN = {"Authorization": "Bearer good-token"}
SEARCH = "/api/v1/directory/people?query=sm"
EXPIRES_AT = datetime(2030, 1, 1, tzinfo=timezone.utc)


class StandInIdentity:
    name = identity.NAME

    @rpc_endpoint(callers.issue_assertion)
    def issue_assertion(self, request):
        return {"principal": ADMIN, "assertion": "assertion-of-admin-1", "expires_at": EXPIRES_AT}

    @rpc_endpoint(identity.login)
    def login(self, request):
        raise TooManyRequests("too many sign-ins are being checked right now: try again in a few seconds")


class SearchesSeen(DependencyProvider):
    """The context data of every search, and how many were being answered at once at most."""

    contexts: list[dict] = []
    running = most_at_once = 0
    seconds_each = 0.0

    def worker_setup(self, worker_ctx) -> None:
        SearchesSeen.contexts.append(dict(worker_ctx.context_data))

    def get_dependency(self, worker_ctx) -> type[SearchesSeen]:
        return SearchesSeen


class StandInDirectory:
    name = directory.NAME
    seen = SearchesSeen()

    @rpc_endpoint(directory.search_people)
    def search_people(self, request):
        self.seen.running += 1
        self.seen.most_at_once = max(self.seen.most_at_once, self.seen.running)
        try:
            eventlet.sleep(self.seen.seconds_each)
            return make_people_page(make_person_summary())
        finally:
            self.seen.running -= 1


@pytest.fixture
def gateway(container_factory, rabbit_config):
    """Starts the stand-ins (directory with 20 workers) and a gateway (`max_workers` as given); answers the
    gateway's base URL and its container."""
    SearchesSeen.contexts, SearchesSeen.running, SearchesSeen.most_at_once, SearchesSeen.seconds_each = [], 0, 0, 0.0

    def start(max_workers: int = 10) -> tuple[str, ServiceContainer]:
        container_factory(StandInIdentity, rabbit_config).start()
        container_factory(StandInDirectory, {**rabbit_config, "max_workers": 20}).start()
        address = f"127.0.0.1:{free_port()}"
        container = container_factory(GatewayService, {**rabbit_config, "WEB_SERVER_ADDRESS": address,
                                                       "max_workers": max_workers})
        container.start()
        return f"http://{address}", container

    return start


def _spawned_workers(container: ServiceContainer, monkeypatch) -> list[str]:
    spawned: list[str] = []
    spawn = container.spawn_worker

    def counted(entrypoint, *args, **kwargs):
        spawned.append(entrypoint.method_name)
        return spawn(entrypoint, *args, **kwargs)

    monkeypatch.setattr(container, "spawn_worker", counted)
    return spawned


def test_a_search_is_answered_without_a_worker_with_the_callers_context(gateway, monkeypatch):
    url, container = gateway()
    spawned = _spawned_workers(container, monkeypatch)

    response = requests.get(url + SEARCH, headers={**SIGNED_IN, "X-Request-Id": "req-7"}, timeout=10)

    assert response.status_code == 200
    assert response.json()["items"] == [make_person_summary()]
    assert spawned == []
    [context] = SearchesSeen.contexts
    assert context[REQUEST_ID_CONTEXT_KEY] == "req-7"
    assert context[CREDENTIAL_CONTEXT_KEY] == "assertion-of-admin-1"
    # The gateway's call, then the directory's worker: as when a worker of the gateway called.
    assert [call.rsplit(".", 1)[0] for call in context["call_id_stack"]] == ["gateway.search_people",
                                                                             "directory.search_people"]


def test_each_search_gets_a_call_id_of_its_own(gateway):
    url, _ = gateway()

    for request_id in ("req-1", "req-2"):
        assert requests.get(url + SEARCH, headers={**SIGNED_IN, "X-Request-Id": request_id},
                            timeout=10).status_code == 200

    first, second = (context["call_id_stack"][0] for context in SearchesSeen.contexts)
    assert first != second
    assert [context[REQUEST_ID_CONTEXT_KEY] for context in SearchesSeen.contexts] == ["req-1", "req-2"]


def test_a_write_still_runs_as_a_worker(gateway, monkeypatch):
    url, container = gateway()
    spawned = _spawned_workers(container, monkeypatch)

    response = requests.post(f"{url}/api/v1/auth/login", json={"login": "a@example.org", "password": "secret"},
                             timeout=10)

    assert_error(response, 429, "too_many_requests")
    assert spawned == ["log_in"]


def test_at_most_max_workers_reads_are_answered_at_once(gateway):
    url, _ = gateway(max_workers=2)
    SearchesSeen.seconds_each = 0.2

    answers = list(eventlet.GreenPool(6).imap(
        lambda _: requests.get(url + SEARCH, headers=SIGNED_IN, timeout=10).status_code, range(6)))

    assert answers == [200] * 6
    assert SearchesSeen.most_at_once == 2


def test_a_stopping_gateway_answers_the_reads_in_hand(gateway, monkeypatch):
    url, container = gateway()
    # Longer than the rest of a gateway's stop takes (about 2 s: its channels closed), so that a stop that did not
    # wait would be over before the directory answers.
    SearchesSeen.seconds_each = 3.0
    happened: list[str] = []
    answer = edge.answer

    def answer_noted(*args, **kwargs):
        response = answer(*args, **kwargs)
        happened.append(f"answered {response.status_code}")
        return response

    monkeypatch.setattr(edge, "answer", answer_noted)
    asked = eventlet.spawn(requests.get, url + SEARCH, headers=SIGNED_IN, timeout=10)
    with eventlet.Timeout(5):
        while SearchesSeen.running == 0:
            eventlet.sleep(0.01)

    container.stop()
    happened.append("stopped")

    assert happened == ["answered 200", "stopped"]
    assert asked.wait().status_code == 200
