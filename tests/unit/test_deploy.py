"""deploy/ stays in step with `make run`: every process of the Procfile has a container with the same command;
and the broker is not the only lock: no `guest`, no published broker port, one broker user per process kind
limited to the queues and exchanges nameko names for it.

Numbered Procfile entries (notify-worker-1, notify-worker-2) are copies of one process type: compose runs
them as one service with that many replicas.
"""
import base64
import hashlib
import importlib
import json
import re
import uuid
from pathlib import Path

import pytest
import yaml
from nameko.containers import ServiceContainer
from nameko.events import EventDispatcher, EventHandler
from nameko.rpc import RPC_QUEUE_TEMPLATE, RPC_REPLY_QUEUE_TEMPLATE, Rpc, RpcProxy

from schoolctl.broker_accounts import (
    OPERATOR, definitions, other_teams_service, platform_users, rabbit_password_hash,
)
from shared.config import PROJECT_ROOT, SERVICES
from shared.contracts.callers import PLATFORM_SERVICES, platform_secret_variable
from shared.runner import SERVICE_CLASSES

NUMBERED_COPY = re.compile(r"^(?P<service>.+)-(?P<number>\d+)$")


def procfile_processes() -> dict[str, list[str]]:
    lines = (PROJECT_ROOT / "Procfile").read_text().splitlines()
    return {name.strip(): command.split() for name, command in (line.split(":", 1) for line in lines if line.strip())}


def compose_services() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "deploy" / "compose.yaml").read_text())["services"]


def compose_service_of(process: str) -> str:
    copy = NUMBERED_COPY.match(process)
    return copy["service"] if copy else process


def test_every_make_run_process_has_a_container_running_the_same_command():
    containers = compose_services()
    for name, command in procfile_processes().items():
        service = compose_service_of(name)
        assert service in containers, f"{name} runs under make run but has no container"
        assert containers[service]["command"] == command, name


def test_numbered_copies_of_a_process_are_one_replicated_service_with_as_many_replicas():
    containers = compose_services()
    copies: dict[str, list[str]] = {}
    for name in procfile_processes():
        if NUMBERED_COPY.match(name):
            copies.setdefault(compose_service_of(name), []).append(name)

    assert copies, "the Procfile runs no numbered copies (notify workers) any more"
    for service, names in copies.items():
        assert containers[service]["deploy"]["replicas"] == len(names), service
        assert sorted(int(NUMBERED_COPY.match(name)["number"]) for name in names) == list(range(1, len(names) + 1))


def test_make_run_starts_every_service_the_gateway_the_sandbox_and_notify_workers():
    processes = procfile_processes()

    assert set(processes) >= set(SERVICE_CLASSES)
    assert processes["sandbox"] == ["school-sandbox"]
    assert [name for name, command in processes.items() if command == ["notify-worker"]] == [
        "notify-worker-1", "notify-worker-2"]


def test_every_command_of_the_procfile_is_a_console_script_of_the_project():
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    scripts = pyproject.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    declared = {line.split("=", 1)[0].strip() for line in scripts.splitlines() if "=" in line}

    assert {command[0] for command in procfile_processes().values()} <= declared


def test_each_service_container_gets_its_own_database_url():
    environment = compose_services()["identity"]["environment"]
    urls = {environment[f"{service.upper()}_DATABASE_URL"] for service in SERVICES}
    assert len(urls) == len(SERVICES)
    init = (Path(PROJECT_ROOT) / "deploy" / "postgres-init.sql").read_text()
    for service in SERVICES:
        assert f"CREATE DATABASE {service};" in init


def test_only_identity_holds_its_secret_and_each_service_its_own_platform_secret():
    """A service with identity's secret could derive every platform secret, so nobody else gets it."""
    for name, service in compose_services().items():
        environment = service.get("environment") or {}
        assert ("IDENTITY_TOKEN_SECRET" in environment) == (name == "identity"), name
        platform_secrets = {variable for variable in environment if variable.endswith("_PLATFORM_SECRET")}
        expected = {platform_secret_variable(name)} if name in PLATFORM_SERVICES and name != "identity" else set()
        assert platform_secrets == expected, name


def test_the_sandbox_posts_its_webhooks_to_the_gateways_webhook_paths():
    from services.notify.adapters.webhooks import SENDGRID_EVENTS_PATH, TWILIO_INBOUND_PATH

    environment = compose_services()["sandbox"]["environment"]

    assert environment["SANDBOX_SENDGRID_EVENTS_URL"] == f"http://gateway:8000{SENDGRID_EVENTS_PATH}"
    assert environment["SANDBOX_TWILIO_INBOUND_URL"] == f"http://gateway:8000{TWILIO_INBOUND_PATH}"


# --- the broker is not the only lock -------------------------------------------------------------------------

BROKER_USER_OF_CONTAINER = {**{name: name for name in SERVICE_CLASSES}, "notify-worker": "notify-worker"}
PASSWORDS = {user.password_variable: f"password-of-{user.name}" for user in platform_users()}


def deploy_files() -> dict[str, str]:
    deploy = PROJECT_ROOT / "deploy"
    return {str(path.relative_to(deploy)): path.read_text() for path in sorted(deploy.rglob("*")) if path.is_file()}


def amqp_user(container: dict) -> str | None:
    # Not urlsplit: the password is a compose interpolation (`${VARIABLE:?message}`), not URL-safe text.
    uri = container.get("environment", {}).get("AMQP_URI")
    user = re.match(r"amqp://([^:@/]+):", uri or "")
    return user[1] if user else None


def test_deploy_never_ships_the_guest_account():
    for name, text in deploy_files().items():
        assert "guest" not in text.lower(), name
    users = {user["name"] for user in definitions(platform_users(), PASSWORDS)["users"]}
    assert "guest" not in users
    assert "load_definitions = /etc/rabbitmq/definitions/definitions.json" in deploy_files()["rabbitmq/rabbitmq.conf"]


def test_no_container_publishes_the_brokers_ports():
    containers = compose_services()
    assert "ports" not in containers["rabbitmq"]
    published = [str(port) for container in containers.values() for port in container.get("ports", [])]
    assert not [port for port in published if "5672" in port or "15672" in port or "4369" in port]


def test_every_process_signs_in_to_the_broker_as_a_user_of_its_own():
    containers = compose_services()

    for container, user in BROKER_USER_OF_CONTAINER.items():
        assert amqp_user(containers[container]) == user, container
        variable = next(u.password_variable for u in platform_users() if u.name == user)
        assert f"${{{variable}:?" in containers[container]["environment"]["AMQP_URI"]
    # Everything else that may reach the broker (one-off schoolctl containers) is the operator.
    assert amqp_user(containers["migrate"]) == OPERATOR
    assert {u.name for u in platform_users()} == set(BROKER_USER_OF_CONTAINER.values()) | {OPERATOR}


def test_the_broker_boots_with_every_users_password_from_the_environment():
    containers = compose_services()
    writer = containers["broker-definitions"]

    assert writer["command"] == ["schoolctl", "deploy", "broker-definitions", "--output",
                                 "/broker-definitions/definitions.json"]
    assert set(writer["environment"]) == set(PASSWORDS)
    assert containers["rabbitmq"]["depends_on"]["broker-definitions"]["condition"] == "service_completed_successfully"
    with pytest.raises(ValueError, match="BROKER_PASSWORD_GATEWAY"):
        definitions(platform_users(), {k: v for k, v in PASSWORDS.items() if k != "BROKER_PASSWORD_GATEWAY"})


def test_passwords_are_stored_as_rabbitmqs_salted_sha256():
    stored = base64.b64decode(rabbit_password_hash("s3cret", salt=b"salt"))

    assert stored[:4] == b"salt" and stored[4:] == hashlib.sha256(b"salts3cret").digest()
    document = definitions(platform_users(), PASSWORDS)
    assert all(user["hashing_algorithm"] == "rabbit_password_hashing_sha256" for user in document["users"])
    assert "password-of-identity" not in json.dumps(document)


def nameko_names(service: str) -> tuple[set[str], set[str], set[str]]:
    """(queues, exchanges it publishes to, exchanges its queues bind to) as nameko names them for `service`."""
    module, cls = SERVICE_CLASSES[service].split(":")
    container = ServiceContainer(getattr(importlib.import_module(module), cls), {"AMQP_URI": "memory://"})
    queues, publishes, binds = set(), {"nameko-rpc"}, {"nameko-rpc"}
    for entrypoint in container.entrypoints:
        if isinstance(entrypoint, EventHandler):
            entrypoint.setup()
            queues.add(entrypoint.queue.name)
            binds.add(entrypoint.queue.exchange.name)
        elif isinstance(entrypoint, Rpc):
            queues.add(RPC_QUEUE_TEMPLATE.format(service))
    if any(isinstance(dependency, RpcProxy) for dependency in container.dependencies):
        queues.add(RPC_REPLY_QUEUE_TEMPLATE.format(service, uuid.uuid4()))
    if any(isinstance(dependency, EventDispatcher) for dependency in container.dependencies):
        publishes.add(f"{service}.events")
    return queues, publishes, binds


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_each_service_may_use_its_own_queues_and_exchanges_as_nameko_names_them(service):
    user = next(u for u in platform_users() if u.name == service)
    queues, publishes, binds = nameko_names(service)

    assert queues, service
    for queue in queues:
        for permission in (user.configure, user.write, user.read):
            assert re.match(permission, queue), (service, queue)
    for exchange in publishes:
        assert re.match(user.configure, exchange) and re.match(user.write, exchange), (service, exchange)
    for exchange in binds:
        assert re.match(user.configure, exchange) and re.match(user.read, exchange), (service, exchange)


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_no_service_may_touch_another_services_queues_or_publish_its_events(service):
    user = next(u for u in platform_users() if u.name == service)
    for other in SERVICE_CLASSES:
        if other == service:
            continue
        queues, publishes, _ = nameko_names(other)
        for queue in queues:
            assert not any(re.match(p, queue) for p in (user.configure, user.write, user.read)), (service, queue)
        for exchange in publishes - {"nameko-rpc"}:
            assert not re.match(user.write, exchange), (service, exchange)


def test_standalone_callers_and_workers_get_only_what_they_use():
    operator = next(u for u in platform_users() if u.name == OPERATOR)
    worker = next(u for u in platform_users() if u.name == "notify-worker")
    reply_queue = RPC_REPLY_QUEUE_TEMPLATE.format("standalone_rpc_proxy", uuid.uuid4())

    assert re.match(operator.read, reply_queue) and re.match(operator.write, "nameko-rpc")
    assert not re.match(operator.read, "rpc-identity") and not re.match(operator.write, "identity.events")
    assert re.match(worker.read, "notify.deliveries") and re.match(worker.write, "notify.deliveries.retry")
    assert not re.match(worker.configure, "nameko-rpc") and not re.match(worker.read, "rpc-notify")


def test_another_teams_service_gets_its_own_names_and_nobody_elses():
    lunch = other_teams_service("lunch-alerts")
    identity_user = next(u for u in platform_users() if u.name == "identity")
    own = ["rpc-lunch-alerts", RPC_REPLY_QUEUE_TEMPLATE.format("lunch-alerts", uuid.uuid4()),
           RPC_REPLY_QUEUE_TEMPLATE.format("standalone_rpc_proxy", uuid.uuid4())]

    assert all(re.match(lunch.read, queue) and re.match(lunch.configure, queue) for queue in own)
    assert not any(re.match(lunch.read, queue) for queue in nameko_names("identity")[0])
    # A service named like a platform one with a suffix takes none of that one's reply queues.
    assert not re.match(identity_user.read, RPC_REPLY_QUEUE_TEMPLATE.format("identity-x", uuid.uuid4()))
