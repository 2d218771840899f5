"""The whole platform as separate processes, the way `make run` starts it, on an isolated vhost and schemas:
every service, the gateway, the provider sandbox and two notify workers, with `make run`'s provider
environment (Twilio and SendGrid pointed at the sandbox, the sandbox's webhooks at the gateway)."""
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

from schoolctl.dev import provider_environment
from services.sandbox.client import SandboxClient
from shared.readiness import StackNotReady, wait_for_services
from shared.runner import SERVICE_CLASSES

BIN = Path(sys.executable).parent
# What the Procfile starts besides the services: one command line per process.
PROVIDER_PROCESSES = {
    "sandbox": [str(BIN / "school-sandbox")],
    "notify-worker-1": [str(BIN / "notify-worker")],
    "notify-worker-2": [str(BIN / "notify-worker")],
}

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    def __init__(self, amqp_uri: str, gateway_url: str, log_dir: Path, sandbox: SandboxClient):
        self.amqp_uri = amqp_uri
        self.gateway_url = gateway_url
        self.log_dir = log_dir
        self.sandbox = sandbox  # what the providers were asked to send, and failure rules

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
        while not (_answers(f"{stack.gateway_url}/health") and _answers(f"{stack.sandbox.base_url}/sandbox/health")):
            still_running()
            if time.monotonic() > deadline:
                raise StackNotReady("the gateway or the provider sandbox did not answer")
            time.sleep(0.3)
    except StackNotReady as not_ready:
        raise RuntimeError(f"{not_ready}\n{stack.logs()}") from None


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.ConnectionError:
        return False


@pytest.fixture(params=["postgresql", "sqlite"])
def stack(request, rabbit_config, tmp_path):
    """Every process of `make run`, each on its own, on PostgreSQL and on the embedded SQLite default."""
    database_urls = request.getfixturevalue("database_urls" if request.param == "postgresql"
                                            else "sqlite_database_urls")
    gateway_address, sandbox_address = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    env = dict(os.environ)
    env.update({
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "GATEWAY_ADDRESS": gateway_address,
        "IDENTITY_TOKEN_SECRET": secrets.token_urlsafe(48),
        "PYTHONWARNINGS": "ignore",
        "PYTHONUNBUFFERED": "1",
        **{f"{service.upper()}_DATABASE_URL": url for service, url in database_urls.items()},
        **provider_environment(gateway_url=f"http://{gateway_address}", sandbox_address=sandbox_address),
    })
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    commands = {name: [str(BIN / "school-service"), name] for name in SERVICE_CLASSES} | PROVIDER_PROCESSES
    processes, logs = {}, []
    for name, command in commands.items():
        logs.append(open(log_dir / f"{name}.log", "w"))
        processes[name] = subprocess.Popen(command, env=env, stdout=logs[-1], stderr=subprocess.STDOUT)
    sandbox = SandboxClient(f"http://{sandbox_address}")
    stack = Stack(rabbit_config["AMQP_URI"], f"http://{gateway_address}", log_dir, sandbox)
    try:
        _wait_until_ready(stack, processes)
        yield stack
    finally:
        sandbox.close()
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
