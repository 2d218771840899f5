"""The gateway's real RPC proxies against stand-in identity and directory services on the real broker:
payloads cross the wire through the contracts and errors come back as their own types."""
import pytest
import requests

from services.gateway.service import GatewayService
from shared.contracts import directory, identity
from shared.contracts.errors import InvalidRequest, NotAuthenticated, NotFound, TooManyRequests
from shared.messaging import rpc_endpoint

from gateway_http_support import assert_error, free_port, make_account, make_person_profile, make_principal

TEACHER = make_principal(identity.TEACHER, person_id="teacher-1")
SIGNED_IN = {"Authorization": "Bearer good-token"}


class StandInIdentity:
    name = identity.NAME

    @rpc_endpoint(identity.authenticate)
    def authenticate(self, request):
        if request["token"] != "good-token":
            raise NotAuthenticated("This sign-in has expired or is not valid.")
        return TEACHER

    @rpc_endpoint(identity.login)
    def login(self, request):
        raise TooManyRequests("too many sign-ins are being checked right now: try again in a few seconds")

    @rpc_endpoint(identity.get_accounts)
    def get_accounts(self, request):
        return {"accounts": [make_account(person_id=person_id, joined_at=None)
                             for person_id in request["person_ids"]]}


class StandInDirectory:
    name = directory.NAME

    @rpc_endpoint(directory.get_person_profile)
    def get_person_profile(self, request):
        if request["person_id"] != "person-1":
            raise NotFound("No such person.")
        return make_person_profile(id="person-1")

    @rpc_endpoint(directory.search_people)
    def search_people(self, request):
        raise InvalidRequest("The search is too broad.", fields={"query": {0: ["Too short."]}})


@pytest.fixture
def gateway_url(container_factory, rabbit_config):
    """Starts the given stand-ins and a gateway with its real proxies; answers the gateway's base URL."""

    def start(*stand_ins) -> str:
        address = f"127.0.0.1:{free_port()}"
        for service_class in stand_ins:
            container_factory(service_class, rabbit_config).start()
        container_factory(GatewayService, {**rabbit_config, "WEB_SERVER_ADDRESS": address}).start()
        return f"http://{address}"

    return start


def test_a_profile_is_assembled_from_both_services_over_rpc(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.get(f"{url}/api/v1/directory/people/person-1", headers=SIGNED_IN, timeout=10)

    assert response.status_code == 200
    assert response.json()["credentials"] == make_account()["credentials"]
    assert response.json()["linked_students"] == make_person_profile()["linked_students"]


def test_a_remote_not_found_answers_404_in_the_error_shape(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.get(f"{url}/api/v1/directory/people/person-9", headers=SIGNED_IN, timeout=10)

    assert_error(response, 404, "not_found")
    assert response.json()["error"]["message"] == "No such person."


def test_a_remote_validation_error_names_its_fields_as_dotted_paths(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.get(f"{url}/api/v1/directory/people", params={"query": "a"}, headers=SIGNED_IN, timeout=10)

    assert assert_error(response, 400, "invalid_request") == {"query.0": ["Too short."]}


def test_a_token_identity_refuses_answers_401(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.get(f"{url}/api/v1/me", headers={"Authorization": "Bearer stale"}, timeout=10)

    assert_error(response, 401, "not_authenticated")


def test_a_service_that_was_never_started_answers_503_at_once(gateway_url):
    url = gateway_url(StandInIdentity)

    response = requests.get(f"{url}/api/v1/schools", headers=SIGNED_IN, timeout=10)

    assert_error(response, 503, "service_unavailable")


def test_identity_refusing_a_login_as_too_busy_answers_429_with_retry_after(gateway_url):
    url = gateway_url(StandInIdentity, StandInDirectory)

    response = requests.post(f"{url}/api/v1/auth/login", json={"login": "dana@example.org", "password": "pw"},
                             timeout=10)

    assert_error(response, 429, "too_many_requests")
    assert response.headers["Retry-After"] == "2"
