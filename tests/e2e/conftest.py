"""The whole platform as separate processes, the way `make run` starts it, on an isolated vhost and schemas."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from nameko.exceptions import UnknownService

from shared.contracts import directory, identity, notify, rostering
from shared.contracts.errors import PlatformError
from shared.messaging import cluster_rpc
from shared.runner import SERVICE_CLASSES

READINESS_PROBES = {
    identity.NAME: (identity.contract, "get_accounts", {"person_ids": []}),
    directory.NAME: (directory.contract, "get_schools", {}),
    notify.NAME: (notify.contract, "get_recipients", {"person_ids": []}),
    rostering.NAME: (rostering.contract, "get_sync_run", {"run_id": "readiness-probe"}),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    def __init__(self, amqp_uri: str, gateway_url: str, log_dir: Path):
        self.amqp_uri = amqp_uri
        self.gateway_url = gateway_url
        self.log_dir = log_dir

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.gateway_url}{path}", headers=headers, timeout=30, **kwargs)

    def login(self, login: str, password: str) -> str:
        response = self.api("POST", "/api/v1/auth/login", json={"login": login, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in sorted(self.log_dir.glob("*.log")))


def _wait_until_ready(stack: Stack, processes: dict, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    pending = dict(READINESS_PROBES)
    while pending or not _gateway_healthy(stack):
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}\n{stack.logs()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"stack not ready: {sorted(pending)}\n{stack.logs()}")
        with cluster_rpc(stack.amqp_uri, timeout=5) as rpc:
            for name, (contract, method, payload) in list(pending.items()):
                try:
                    getattr(rpc(contract), method)(payload)
                except UnknownService:
                    continue
                except PlatformError:
                    pass  # an answer, even a refusal, means the service is consuming
                del pending[name]
        time.sleep(0.3)


def _gateway_healthy(stack: Stack) -> bool:
    try:
        return requests.get(f"{stack.gateway_url}/health", timeout=1).ok
    except requests.ConnectionError:
        return False


@pytest.fixture
def stack(rabbit_config, database_urls, tmp_path):
    """Every service and the gateway, each in its own process."""
    port = free_port()
    env = dict(os.environ)
    env.update({
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "IDENTITY_TOKEN_SECRET": secrets.token_urlsafe(48),
        "PYTHONWARNINGS": "ignore",
        **{f"{service.upper()}_DATABASE_URL": url for service, url in database_urls.items()},
    })
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    runner = Path(sys.executable).parent / "school-service"
    processes = {}
    for name in SERVICE_CLASSES:
        log = open(log_dir / f"{name}.log", "w")
        processes[name] = subprocess.Popen([str(runner), name], env=env, stdout=log, stderr=subprocess.STDOUT)
    stack = Stack(rabbit_config["AMQP_URI"], f"http://127.0.0.1:{port}", log_dir)
    try:
        _wait_until_ready(stack, processes)
        yield stack
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
