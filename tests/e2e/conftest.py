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
from shared.readiness import StackNotReady, wait_for_services
from shared.runner import SERVICE_CLASSES

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
    def still_running():
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}\n{stack.logs()}")

    try:
        wait_for_services(stack.amqp_uri, seconds=seconds, still_running=still_running)
        deadline = time.monotonic() + seconds
        while not _gateway_healthy(stack):
            still_running()
            if time.monotonic() > deadline:
                raise StackNotReady("the gateway did not answer /health")
            time.sleep(0.3)
    except StackNotReady as not_ready:
        raise RuntimeError(f"{not_ready}\n{stack.logs()}") from None


def _gateway_healthy(stack: Stack) -> bool:
    try:
        return requests.get(f"{stack.gateway_url}/health", timeout=1).ok
    except requests.ConnectionError:
        return False


@pytest.fixture(params=["postgresql", "sqlite"])
def stack(request, rabbit_config, tmp_path):
    """Every service and the gateway, each in its own process, on PostgreSQL and on the embedded SQLite default."""
    database_urls = request.getfixturevalue("database_urls" if request.param == "postgresql"
                                            else "sqlite_database_urls")
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
