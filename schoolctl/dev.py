"""`schoolctl dev ...`: the one-machine stack behind `make run`."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
import typer
from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import OperationalError
from rich.console import Console

from schoolctl.broker import EXIT_FAILED, EXIT_UNAVAILABLE, START_RABBITMQ, fail, redacted
from shared.config import PROJECT_ROOT, SERVICES, amqp_uri, database_url, var_dir
from shared.contracts import identity, rostering
from shared.messaging import cluster_rpc
from shared.migrations import upgrade
from shared.readiness import StackNotReady, wait_for_services

app = typer.Typer(help="Run the whole platform on this machine.", no_args_is_help=True)
console = Console(soft_wrap=True)



def broker_answers(uri: str) -> bool:
    try:
        with Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except (OSError, OperationalError, AMQPError):
        return False


@app.command()
def migrate() -> None:
    """Bring every service's database to its latest migration."""
    for service in SERVICES:
        upgrade(service)
        console.print(f"migrated {service}: {database_url(service)}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    # Installed explicitly: a shell that starts us in the background leaves SIGINT ignored,
    # and a supervisor stops us with SIGTERM; either way the whole stack must stop with us.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def _exit_if_stopped(stack: subprocess.Popen) -> None:
    if stack.poll() is not None:
        raise typer.Exit(stack.returncode or 1)


def _wait_for_gateway(url: str, stack: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _exit_if_stopped(stack)
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    console.print(f"[red]the gateway did not answer at {url} within {seconds:.0f} s[/]")
    raise typer.Exit(1)


def _seed_demo_district(uri: str) -> dict:
    from schoolctl.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, write_demo_district

    package = write_demo_district(var_dir() / "demo-district")
    with cluster_rpc(uri, timeout=600) as rpc:
        run = rpc(rostering.contract).import_package({"path": str(package), "region": "US"})
        rpc(identity.contract).set_password({"login": DEMO_ADMIN_EMAIL, "password": DEMO_ADMIN_PASSWORD})
    return run


@app.command()
def run(
    gateway_address: str = typer.Option(None, help="host:port for the gateway (default GATEWAY_ADDRESS or 127.0.0.1:8000)"),
) -> None:
    """Migrate, start every service and the gateway, import the demo district; Ctrl-C stops everything."""
    uri = amqp_uri()
    if not broker_answers(uri):
        raise fail(f"RabbitMQ is not answering at {redacted(uri)}: {START_RABBITMQ}, then run `make run` again.",
                   EXIT_UNAVAILABLE)

    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GATEWAY_ADDRESS"] = gateway_address or env.get("GATEWAY_ADDRESS", "127.0.0.1:8000")
    if not env.get("IDENTITY_TOKEN_SECRET"):
        # A fresh secret per run: tokens issued before a restart stop working, which is fine on one machine.
        env["IDENTITY_TOKEN_SECRET"] = secrets.token_urlsafe(48)
        console.print("IDENTITY_TOKEN_SECRET not set: generated one for this run")

    migrate()
    _stop_on_signals()
    stack = subprocess.Popen(["honcho", "start", "-f", str(PROJECT_ROOT / "Procfile"), "-d", str(PROJECT_ROOT)],
                             env=env)
    try:
        gateway_url = f"http://{env['GATEWAY_ADDRESS']}"
        _wait_for_gateway(gateway_url, stack)
        try:
            wait_for_services(uri, still_running=lambda: _exit_if_stopped(stack))
        except StackNotReady as not_ready:
            raise fail(f"the stack did not come up: {not_ready}", EXIT_FAILED) from None
        from schoolctl.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD

        sync = _seed_demo_district(uri)
        counts = ", ".join(f"{entity} {sum(c.values())}" for entity, c in sync["counts"].items())
        console.rule("[bold green]platform is running")
        console.print(f"gateway:        {gateway_url}  (OpenAPI: {gateway_url}/api/v1/openapi.json)")
        console.print(f"demo district:  {sync['state']}: {counts}; {len(sync['errors'])} row errors")
        console.print(f"demo login:     {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}")
        console.print(f"try:            curl -s {gateway_url}/api/v1/auth/login -H 'content-type: application/json' "
                      f"-d '{{\"login\": \"{DEMO_ADMIN_EMAIL}\", \"password\": \"{DEMO_ADMIN_PASSWORD}\"}}'")
        console.print("Ctrl-C stops everything.")
        stack.wait()
    except KeyboardInterrupt:
        # Ctrl-C reaches honcho too (same process group); it stops every process itself.
        console.print("stopping…")
    finally:
        if stack.poll() is None:
            # honcho stops its processes on SIGTERM (SIGINT only reaches it from a terminal).
            stack.send_signal(signal.SIGTERM)
            try:
                stack.wait(timeout=20)
            except subprocess.TimeoutExpired:
                stack.terminate()
                stack.wait()
    raise typer.Exit(stack.returncode or 0)
