"""`schoolctl dev ...`: the one-machine stack behind `make run`.

Every process of the Procfile runs under our supervisor (supervisor.py) with one
environment: the services, the gateway, two notify workers and the provider
sandbox, with Twilio and SendGrid pointed at the sandbox and the sandbox's
webhooks pointed at the gateway, so nothing leaves the machine and the whole
delivery loop runs. It fails honestly: a port taken or a process that ends
before the stack is up stops the run with a non-zero status saying which; once
up, a crashed process is started again with backoff.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import requests
import typer
from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import OperationalError
from rich.console import Console

from schoolctl.broker import EXIT_FAILED, EXIT_UNAVAILABLE, START_RABBITMQ, fail, redacted
from schoolctl.supervisor import Supervisor, read_procfile
from services.notify.adapters.webhooks import SENDGRID_EVENTS_PATH, TWILIO_INBOUND_PATH
from services.sandbox.config import (
    DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_DEEPL_AUTH_KEY, DEFAULT_SENDGRID_API_KEY,
)
from services.sandbox.fcm_api import SANDBOX_PROJECT_ID, TOKEN_PATH, sandbox_service_account
from services.sandbox.signing import private_key_pem, public_key_base64, signing_key
from services.identity.adapters.service_credentials import add_service_credential
from services.identity.domain.service_credentials import IssuedCredential
from shared.config import PROJECT_ROOT, SERVICE_CLASSES, SERVICES, amqp_uri, database_url, var_dir
from shared.contracts import directory, identity, rostering
from shared.contracts.conversations import SENDGRID_INBOUND_PATH
from shared.contracts.callers import OPERATOR_SCOPES
from shared.messaging import cluster_rpc
from shared.platform_identity import platform_environment
from shared.sealed_secrets import sealed_secrets_environment
from shared.migrations import upgrade
from shared.readiness import StackNotReady, wait_for_services
from shared.settings import declared, environment, exit_if_misconfigured, value

app = typer.Typer(help="Run the whole platform on this machine.", no_args_is_help=True)
console = Console(soft_wrap=True)

DEFAULT_GATEWAY_ADDRESS = declared("GATEWAY_ADDRESS").default
DEFAULT_SANDBOX_ADDRESS = declared("SANDBOX_LISTEN").default
# What the demo district sends from: a fictional 555-01xx number and an address of its own domain.
DEMO_FROM_NUMBER = "+12025550100"
DEMO_FROM_EMAIL = "notifications@demo-district.example.org"
DEMO_FROM_NAME = "Demo Unified School District"
# How many middle-school student accounts `make run` enables (they have SIS phones and school emails).
DEMO_ENABLED_STUDENTS = 5



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
        console.print(f"migrated {service}: {redacted(database_url(service))}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    # Installed explicitly: a shell that starts us in the background leaves SIGINT ignored,
    # and a supervisor stops us with SIGTERM; either way the whole stack must stop with us.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def _exit_if_failed(stack: Supervisor) -> None:
    if stack.failure is not None:
        raise fail(f"the stack did not come up: {stack.failure}", EXIT_FAILED)


def port_taken(address: str) -> str | None:
    """Why nothing could listen on host:port now (another process does), or None when it is free."""
    host, _, port = address.rpartition(":")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port left in TIME_WAIT is free
        try:
            probe.bind((host.strip("[]"), int(port)))
        except OSError as error:
            return error.strerror or str(error)
    return None


def _refuse_taken_ports(addresses: dict[str, tuple[str, str]]) -> None:
    """Before anything starts: each address the stack listens on must be free, or the run stops naming it."""
    taken = [f"{what} cannot listen on {address}: {reason} (choose another with {how})"
             for what, (address, how) in addresses.items() if (reason := port_taken(address))]
    if taken:
        raise fail("; ".join(taken) + ". Is another `make run` running? Stop it, or move this one.", EXIT_UNAVAILABLE)


def provider_environment(*, gateway_url: str, sandbox_address: str) -> dict[str, str]:
    """Twilio, SendGrid and FCM pointed at the sandbox, and the sandbox's webhooks pointed at the gateway.

    Every process gets all of it (notify verifies webhooks, the workers send,
    the sandbox reads the same credential names). The SendGrid signing key is
    new per run: the sandbox signs events with its private half and notify
    verifies them with the public half, so the two always match; so is the FCM
    service account's key, whose token requests the sandbox checks with it.
    """
    key = signing_key(None)
    reply_secret, inbound_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    sandbox_url = f"http://{sandbox_address}"
    return {
        "SANDBOX_LISTEN": sandbox_address,
        "TWILIO_API_BASE": sandbox_url,
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": DEMO_FROM_NUMBER,
        "SENDGRID_API_BASE": sandbox_url,
        "SENDGRID_API_KEY": DEFAULT_SENDGRID_API_KEY,
        "SENDGRID_FROM_EMAIL": DEMO_FROM_EMAIL,
        "SENDGRID_FROM_NAME": DEMO_FROM_NAME,
        "SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_base64(key),
        "SANDBOX_SENDGRID_SIGNING_KEY": private_key_pem(key),
        "SANDBOX_SENDGRID_EVENTS_URL": f"{gateway_url}{SENDGRID_EVENTS_PATH}",
        "SANDBOX_TWILIO_INBOUND_URL": f"{gateway_url}{TWILIO_INBOUND_PATH}",
        "NOTIFY_WEBHOOK_BASE_URL": gateway_url,
        "DEEPL_SERVER_URL": sandbox_url,
        "DEEPL_AUTH_KEY": DEFAULT_DEEPL_AUTH_KEY,
        # Replies to conversation emails: new secrets per run, shared by notify (which checks them) and the
        # sandbox (which posts Inbound Parse to the secret URL).
        "CONVERSATION_REPLY_SECRET": reply_secret,
        "INBOUND_EMAIL_URL_SECRET": inbound_secret,
        "SANDBOX_SENDGRID_INBOUND_URL": f"{gateway_url}{SENDGRID_INBOUND_PATH.replace('<url_secret>', inbound_secret)}",
        "FCM_PROJECT_ID": SANDBOX_PROJECT_ID,
        "FCM_API_BASE": sandbox_url,
        "FCM_CREDENTIALS_JSON": sandbox_service_account(f"{sandbox_url}{TOKEN_PATH}"),
    }


# Where a running `make run` leaves the environment its notify workers got, for `schoolctl dev add-worker`:
# readable by this user only, deleted when the stack stops (it holds this run's generated secrets).
WORKER_ENVIRONMENT_FILE = "dev-run-worker-environment.json"
_WORKER_VARIABLES = ("AMQP_URI", "NOTIFY_DATABASE_URL", "SCHOOL_VAR_DIR", "LOG_FORMAT", "LOG_LEVEL",
                     "NOTIFY_PROVIDER_FACTORY", "NOTIFY_WORKER_PREFETCH", "NOTIFY_WORKER_HEARTBEAT")


def worker_environment(env: dict[str, str], provider_variables: set[str]) -> dict[str, str]:
    """What a notify worker of this stack reads: the broker, notify's database, the providers (the sandbox)."""
    return {name: env[name] for name in (*_WORKER_VARIABLES, *sorted(provider_variables)) if name in env}


def _worker_environment_path() -> Path:
    return var_dir() / WORKER_ENVIRONMENT_FILE


def _save_worker_environment(variables: dict[str, str]) -> Path:
    path = _worker_environment_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(variables, file)
    return path


@app.command("add-worker")
def add_worker() -> None:
    """Start one more notify worker on the stack `make run` is running (this terminal; Ctrl-C stops it).

    It gets the running stack's broker, database and provider sandbox settings: nothing to copy."""
    path = _worker_environment_path()
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        raise fail(f"No stack is running from {var_dir()} (no {path.name}): start one with `make run` first",
                   EXIT_UNAVAILABLE) from None
    env = {**environment(), **saved}
    worker = Path(sys.executable).parent / "notify-worker"
    os.execve(str(worker), [str(worker)], env)


def _wait_until_answering(what: str, url: str, stack: Supervisor, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _exit_if_failed(stack)
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise fail(f"{what} did not answer at {url} within {seconds:.0f} s", EXIT_FAILED)


# How long `make run` waits for the demo district's import (a few seconds on an idle machine).
DEMO_IMPORT_SECONDS = 300


def _seed_demo_district(uri: str, operator: IssuedCredential) -> tuple[dict, int]:
    """Import the demo district, give the administrator and a guardian their passwords as the operator (the
    guardian signs in once, so they have joined and get app messages), and enable a few student accounts as
    the signed-in administrator."""
    from rich.console import Console

    from schoolctl.demo import (
        DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_GUARDIAN_EMAIL, DEMO_GUARDIAN_PASSWORD, write_demo_district,
    )
    from schoolctl.run_progress import follow

    package = write_demo_district(var_dir() / "demo-district")
    with cluster_rpc(uri) as rpc:
        operator_token = rpc(identity.contract).issue_service_token(
            {"client_id": operator.credential.client_id, "client_secret": operator.secret})["token"]
    with cluster_rpc(uri, timeout=600, credential=operator_token) as rpc:
        runs = rpc(rostering.contract)
        started = runs.import_package({"path": str(package), "region": "US"})
        # The import answers at once and goes on in rostering: the accounts exist once its run has ended.
        ended = follow(lambda run_id: runs.follow_sync_run({"run_id": run_id}), started["run_id"],
                       deadline=time.monotonic() + DEMO_IMPORT_SECONDS, console=Console(stderr=True))
        run = runs.get_sync_run({"run_id": ended["run_id"]})
        for login, password in ((DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD), (DEMO_GUARDIAN_EMAIL, DEMO_GUARDIAN_PASSWORD)):
            rpc(identity.contract).set_password({"login": login, "password": password})
    with cluster_rpc(uri) as rpc:
        accounts = rpc(identity.contract)
        # The first sign-in joins each of them; the administrator's assertion vouches for them below.
        admin = accounts.issue_assertion(
            {"token": accounts.login({"login": DEMO_ADMIN_EMAIL, "password": DEMO_ADMIN_PASSWORD})["token"]})
        accounts.login({"login": DEMO_GUARDIAN_EMAIL, "password": DEMO_GUARDIAN_PASSWORD})
    with cluster_rpc(uri, timeout=600, credential=admin["assertion"]) as rpc:
        enabled = _enable_demo_students(rpc(directory.contract), admin["principal"])
    return run, enabled


def _enable_demo_students(directory_rpc, admin: dict) -> int:
    """Enable the first few middle-school students, as the demo administrator; answers how many are enabled."""
    from schoolctl.demo import STUDENT_CONTACT_SCHOOL_NAME

    schools = directory_rpc.get_schools({"district_id": admin["district_id"]})["schools"]
    school_id = next(school["id"] for school in schools if school["name"] == STUDENT_CONTACT_SCHOOL_NAME)
    students = directory_rpc.search_people({"viewer": admin, "kind": directory.STUDENT, "school_id": school_id,
                                            "per_page": DEMO_ENABLED_STUDENTS})["items"]
    results = directory_rpc.enable_student_accounts({"viewer": admin,
                                                     "student_ids": [student["id"] for student in students]})
    # A second `make run` on the same databases finds them enabled already; both count.
    return sum(result["outcome"] in ("enabled", "already_enabled") for result in results["results"])


@app.command("sandbox-keys")
def sandbox_keys() -> None:
    """Print a matching SendGrid signing key pair for the sandbox and notify, as shell exports
    (for deploy/compose.yaml; `make run` makes its own)."""
    key = signing_key(None)
    typer.echo(f"export SANDBOX_SENDGRID_SIGNING_KEY='{private_key_pem(key).strip()}'")
    typer.echo(f"export SENDGRID_WEBHOOK_PUBLIC_KEY='{public_key_base64(key)}'")


@app.command()
def run(
    gateway_address: str = typer.Option(None, help="host:port for the gateway (default GATEWAY_ADDRESS or "
                                                   f"{DEFAULT_GATEWAY_ADDRESS})"),
    sandbox_address: str = typer.Option(None, help="host:port for the provider sandbox (default SANDBOX_LISTEN or "
                                                   f"{DEFAULT_SANDBOX_ADDRESS})"),
) -> None:
    """Migrate, start every service, the gateway, two notify workers and the provider sandbox, import the demo
    district; Ctrl-C stops everything."""
    uri = amqp_uri()
    if not broker_answers(uri):
        raise fail(f"RabbitMQ is not answering at {redacted(uri)}: {START_RABBITMQ}, then run `make run` again.",
                   EXIT_UNAVAILABLE)

    env = dict(environment())
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GATEWAY_ADDRESS"] = gateway_address or value("GATEWAY_ADDRESS", env)
    gateway_url = f"http://{env['GATEWAY_ADDRESS']}"
    sandbox_address = sandbox_address or value("SANDBOX_LISTEN", env)
    # Always the sandbox: `make run` never reaches the real Twilio or SendGrid, whatever the shell exports.
    providers = provider_environment(gateway_url=gateway_url, sandbox_address=sandbox_address)
    env.update(providers)
    sandbox_url = f"http://{sandbox_address}"
    if not value("IDENTITY_TOKEN_SECRET", env):
        # A fresh secret per run: tokens issued before a restart stop working, which is fine on one machine.
        env["IDENTITY_TOKEN_SECRET"] = secrets.token_urlsafe(48)
        console.print("IDENTITY_TOKEN_SECRET not set: generated one for this run")
    # Each service's platform credential (shared/platform_identity.py), derived from identity's secret.
    env.update(platform_environment(env["IDENTITY_TOKEN_SECRET"]))
    # The key sealing districts' source secrets: derived too, unless the shell gives one (kept across runs).
    for variable, key in sealed_secrets_environment(env["IDENTITY_TOKEN_SECRET"]).items():
        env.setdefault(variable, key)
    procfile = read_procfile(PROJECT_ROOT / "Procfile")
    # Every process's settings checked at once, before anything starts (each checks its own again at start).
    exit_if_misconfigured([*SERVICE_CLASSES, "notify-worker", "sandbox"], env)
    _refuse_taken_ports({"the gateway": (env["GATEWAY_ADDRESS"], "--gateway-address or GATEWAY_ADDRESS"),
                         "the provider sandbox": (sandbox_address, "--sandbox-address or SANDBOX_LISTEN")})

    migrate()
    # The operator's credential for this machine (schoolctl accounts set-password and roster approve|reject|settings
    # authenticate with it).
    operator = add_service_credential(database_url(identity.NAME), "make-run-operator", list(OPERATOR_SCOPES),
                                      None, datetime.now(timezone.utc))
    _stop_on_signals()
    _save_worker_environment(worker_environment(env, set(providers)))
    stack = Supervisor(procfile, env=env, cwd=PROJECT_ROOT)
    try:
        stack.start()
        _wait_until_answering("the provider sandbox", f"{sandbox_url}/sandbox/health", stack)
        _wait_until_answering("the gateway", f"{gateway_url}/health", stack)
        try:
            wait_for_services(uri, still_running=lambda: _exit_if_failed(stack))
        except StackNotReady as not_ready:
            raise fail(f"the stack did not come up: {not_ready}", EXIT_FAILED) from None
        from schoolctl.demo import (
            DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_GUARDIAN_EMAIL, DEMO_GUARDIAN_PASSWORD,
            STUDENT_CONTACT_SCHOOL_NAME,
        )

        sync, enabled = _seed_demo_district(uri, operator)
        _exit_if_failed(stack)
        counts = ", ".join(f"{entity} {sum(c.values())}" for entity, c in sync["counts"].items())
        console.rule("[bold green]platform is running")
        console.print(f"gateway:          {gateway_url}  (reference: {gateway_url}/api/v1/docs, "
                      "OpenAPI: /api/v1/openapi.json)")
        console.print(f"sent messages:    {sandbox_url}/sandbox/messages  (the provider sandbox records every "
                      "email, SMS and call; nothing leaves this machine)")
        console.print(f"pushes:           {sandbox_url}/sandbox/pushes  (FCM pushes to registered devices)")
        console.print("notify workers:   2 (notify-worker-1, notify-worker-2); add one from another terminal with "
                      "`make add-worker` (.venv/bin/schoolctl dev add-worker): it joins this stack as it is")
        console.print(f"demo district:    {sync['state']}: {counts}; {len(sync['errors'])} row errors")
        console.print(f"enabled students: {enabled} at {STUDENT_CONTACT_SCHOOL_NAME}")
        console.print(f"demo logins:      {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}  (district administrator)")
        console.print(f"                  {DEMO_GUARDIAN_EMAIL} / {DEMO_GUARDIAN_PASSWORD}  (guardian, joined: "
                      "gets app messages)")
        console.print(f"try:              curl -s {gateway_url}/api/v1/auth/login -H 'content-type: application/json' "
                      f"-d '{{\"login\": \"{DEMO_ADMIN_EMAIL}\", \"password\": \"{DEMO_ADMIN_PASSWORD}\"}}'")
        console.print(f"operator:         export SCHOOLCTL_CLIENT_ID={operator.credential.client_id} "
                      f"SCHOOLCTL_CLIENT_SECRET={operator.secret}  (for schoolctl accounts, roster decisions and dead-letters)")
        console.print("Ctrl-C stops everything. A process that crashes is started again, with backoff.")
        stack.started()
        while not stack.wait(timeout=1):  # woken each second, so Ctrl-C is seen at once
            pass
        raise fail(f"the platform stopped: {stack.failure}", EXIT_FAILED)
    except KeyboardInterrupt:
        stack.say("stopping every process (Ctrl-C or SIGTERM)")
    finally:
        _worker_environment_path().unlink(missing_ok=True)
        stack.stop()
