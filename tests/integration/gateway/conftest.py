"""A running GatewayService over a real broker, with identity, directory and notify replaced by programmable
mocks."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from unittest.mock import MagicMock

import pytest
import requests
from nameko.testing.services import replace_dependencies

from services.gateway.service import GatewayService
from shared.contracts.errors import NotAuthenticated

from gateway_http_support import free_port

HTTP_TIMEOUT = 10


@dataclass
class RunningGateway:
    url: str
    identity: MagicMock
    directory: MagicMock
    notify: MagicMock
    http: requests.Session
    principals_by_token: dict[str, dict] = field(default_factory=dict)
    container: object = None  # the running ServiceContainer, for tests that reach its dependencies

    def __post_init__(self) -> None:
        self.identity.issue_assertion.side_effect = self._issue_assertion

    def _issue_assertion(self, request: dict) -> dict:
        principal = self.principals_by_token.get(request["token"])
        if principal is None:
            raise NotAuthenticated("This sign-in has expired or is not valid.")
        return {"principal": principal, "assertion": f"assertion-of-{principal['person_id']}",
                "expires_at": "2030-01-01T00:00:00+00:00"}

    def sign_in(self, principal: dict) -> dict[str, str]:
        """The headers of a request made by `principal`."""
        token = f"token-of-{principal['person_id']}"
        self.principals_by_token[token] = principal
        return {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.url + path, timeout=HTTP_TIMEOUT, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)


@pytest.fixture
def start_gateway(container_factory, rabbit_config) -> Iterator:
    """A factory, so a test can change the config (e.g. a short request deadline)."""
    sessions = []

    def start(**config_overrides) -> RunningGateway:
        address = f"127.0.0.1:{free_port()}"
        container = container_factory(GatewayService, {**rabbit_config, "WEB_SERVER_ADDRESS": address,
                                                       **config_overrides})
        identity_rpc, directory_rpc, notify_rpc = replace_dependencies(container, "identity_rpc", "directory_rpc",
                                                                       "notify_rpc")
        container.start()
        session = requests.Session()
        sessions.append(session)
        return RunningGateway(f"http://{address}", identity_rpc, directory_rpc, notify_rpc, session,
                              container=container)

    yield start
    for session in sessions:
        session.close()


@pytest.fixture
def gateway(start_gateway) -> RunningGateway:
    return start_gateway()

