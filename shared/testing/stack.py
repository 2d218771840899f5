"""The whole platform as separate processes, the way `make run` starts it, for the e2e tests and the benchmarks.

Every service, the gateway, the provider sandbox and notify workers, each in a
process of its own with its log in a folder, on the broker vhost and databases
the caller made, with `make run`'s provider environment (Twilio and SendGrid
pointed at the sandbox, the sandbox's webhooks at the gateway). Workers can be
started and stopped on their own, as operators scale them.
"""
from __future__ import annotations

import functools
import secrets
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

import requests

from schoolctl.broker import CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE
from schoolctl.dev import provider_environment
from services.identity.adapters.service_credentials import add_service_credential
from services.sandbox.client import SandboxClient
from shared.config import SERVICE_CLASSES
from shared.contracts import identity
from shared.contracts.callers import OPERATOR_SCOPES, platform_secret_variable
from shared.messaging import cluster_rpc
from shared.platform_identity import platform_client_id, platform_environment
from shared.sealed_secrets import sealed_secrets_environment
from shared.readiness import StackNotReady, wait_for_services
from shared.testing.parent_death import ending_with_this_process
from shared.testing.ports import free_port
from shared.settings import environment

BIN = Path(sys.executable).parent
STOP_SECONDS = 15


def process_commands(workers: int) -> dict[str, list[str]]:
    """What the Procfile starts: one command line per process, `workers` notify workers among them."""
    services = {name: [str(BIN / "school-service"), name] for name in SERVICE_CLASSES}
    return services | {"sandbox": [str(BIN / "school-sandbox")]} | {
        f"notify-worker-{n}": [str(BIN / "notify-worker")] for n in range(1, workers + 1)}


class Stack:
    def __init__(self, amqp_uri: str, database_urls: Mapping[str, str], log_dir: Path,
                 extra_env: Mapping[str, str] | None = None) -> None:
        gateway_address, sandbox_address = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        self.amqp_uri = amqp_uri
        self.database_urls = dict(database_urls)
        self.gateway_url = f"http://{gateway_address}"
        self.log_dir = log_dir
        self.sandbox = SandboxClient(f"http://{sandbox_address}")  # what providers were asked to send; rules
        identity_secret = secrets.token_urlsafe(48)
        self.env = {
            **environment(),
            "AMQP_URI": amqp_uri,
            "GATEWAY_ADDRESS": gateway_address,
            "IDENTITY_TOKEN_SECRET": identity_secret,
            **platform_environment(identity_secret),
            **sealed_secrets_environment(identity_secret),
            "PYTHONWARNINGS": "ignore",
            "PYTHONUNBUFFERED": "1",
            **{f"{service.upper()}_DATABASE_URL": url for service, url in database_urls.items()},
            **provider_environment(gateway_url=self.gateway_url, sandbox_address=sandbox_address),
            **(extra_env or {}),
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: dict[str, IO[str]] = {}
        self.metrics_urls: dict[str, str] = {}  # each process's Prometheus exporter

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 30)
        return requests.request(method, f"{self.gateway_url}{path}", headers=headers, **kwargs)

    def login(self, login: str, password: str) -> str:
        response = self.api("POST", "/api/v1/auth/login", json={"login": login, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["token"]

    @functools.cached_property
    def operator_env(self) -> dict[str, str]:
        """The environment `schoolctl accounts set-password` authenticates with: an operator's service
        credential, issued the operator's way (straight into identity's database)."""
        issued = add_service_credential(self.database_urls["identity"], "e2e-operator", list(OPERATOR_SCOPES), None,
                                        datetime.now(timezone.utc))
        return {CLIENT_ID_VARIABLE: issued.credential.client_id, CLIENT_SECRET_VARIABLE: issued.secret}

    def operator_token(self) -> str:
        """A service token for the operator's credential, for calls only an operator may make (set_password)."""
        with cluster_rpc(self.amqp_uri) as rpc:
            return rpc(identity.contract).issue_service_token({
                "client_id": self.operator_env[CLIENT_ID_VARIABLE],
                "client_secret": self.operator_env[CLIENT_SECRET_VARIABLE]})["token"]

    def platform_token(self, service: str) -> str:
        """The token identity issues platform service `service` (shared/platform_identity.py)."""
        with cluster_rpc(self.amqp_uri) as rpc:
            return rpc(identity.contract).issue_service_token({
                "client_id": platform_client_id(service),
                "client_secret": self.env[platform_secret_variable(service)]})["token"]

    @contextmanager
    def rpc_as_platform(self, service: str, timeout: float = 60) -> Iterator:
        """RPC as platform service `service` would make it: a test standing in for rostering or notify."""
        with cluster_rpc(self.amqp_uri, timeout=timeout, platform_token=self.platform_token(service)) as rpc:
            yield rpc

    @contextmanager
    def rpc_as_operator(self, timeout: float = 60) -> Iterator:
        """RPC with the operator's credential (accounts:manage, rostering:manage, support:read)."""
        with cluster_rpc(self.amqp_uri, timeout=timeout, credential=self.operator_token()) as rpc:
            yield rpc

    def assertion_of(self, access_token: str) -> dict:
        """identity's signed assertion of who `access_token` signed in (its `principal` and `assertion`), for
        calls over RPC that name that person as the caller."""
        with cluster_rpc(self.amqp_uri) as rpc:
            return rpc(identity.contract).issue_assertion({"token": access_token})

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in sorted(self.log_dir.glob("*.log")))

    def platform_logs(self) -> dict[str, str]:
        """Everything each of the platform's own processes logged so far (the sandbox stands in for the providers
        and is left out), by process name."""
        return {path.stem: path.read_text() for path in sorted(self.log_dir.glob("*.log")) if path.stem != "sandbox"}

    def start(self, commands: Mapping[str, list[str]]) -> None:
        for name, command in commands.items():
            self._logs[name] = open(self.log_dir / f"{name}.log", "a")
            # Each process its own metrics port, as each container has in deploy/ (shared/metrics.py).
            self.metrics_urls[name] = f"http://127.0.0.1:{free_port()}/metrics"
            env = {**self.env, "METRICS_ADDRESS": self.metrics_urls[name].removeprefix("http://")
                   .removesuffix("/metrics")}
            # Killed by the kernel if this process ends without stopping them (a test ended by its timeout).
            self.processes[name] = subprocess.Popen(command, env=env, stdout=self._logs[name],
                                                    stderr=subprocess.STDOUT, preexec_fn=ending_with_this_process())

    def stop(self, names: Iterable[str] | None = None) -> None:
        """Terminate (SIGTERM, as an operator scaling down would), then wait; kill what does not stop."""
        chosen = [name for name in (self.processes if names is None else names) if name in self.processes]
        for name in chosen:
            self.processes[name].terminate()
        for name in chosen:
            process = self.processes.pop(name)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self._logs.pop(name).close()

    def wait_until_ready(self, seconds: float = 60) -> None:
        def still_running():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}\n{self.logs()}")

        try:
            wait_for_services(self.amqp_uri, seconds=seconds, still_running=still_running)
            deadline = time.monotonic() + seconds
            while not (_answers(f"{self.gateway_url}/health") and _answers(f"{self.sandbox.base_url}/sandbox/health")):
                still_running()
                if time.monotonic() > deadline:
                    raise StackNotReady("the gateway or the provider sandbox did not answer")
                time.sleep(0.3)
        except StackNotReady as not_ready:
            raise RuntimeError(f"{not_ready}\n{self.logs()}") from None


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.ConnectionError:
        return False


@contextmanager
def running_stack(amqp_uri: str, database_urls: Mapping[str, str], log_dir: Path, *, workers: int = 2,
                  extra_env: Mapping[str, str] | None = None, ready_seconds: float = 60) -> Iterator[Stack]:
    """Every process of `make run` with `workers` notify workers, ready to answer within `ready_seconds`; all
    stopped on the way out."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(amqp_uri, database_urls, log_dir, extra_env)
    try:
        stack.start(process_commands(workers))
        stack.wait_until_ready(ready_seconds)
        yield stack
    finally:
        stack.sandbox.close()
        stack.stop()
