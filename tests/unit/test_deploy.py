"""deploy/ stays in step with `make run`: every process of the Procfile has a container with the same command.

Numbered Procfile entries (notify-worker-1, notify-worker-2) are copies of one process type: compose runs
them as one service with that many replicas.
"""
import re
from pathlib import Path

import yaml

from shared.config import PROJECT_ROOT, SERVICES
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


def test_the_sandbox_posts_its_webhooks_to_the_gateways_webhook_paths():
    from services.notify.adapters.webhooks import SENDGRID_EVENTS_PATH, TWILIO_INBOUND_PATH

    environment = compose_services()["sandbox"]["environment"]

    assert environment["SANDBOX_SENDGRID_EVENTS_URL"] == f"http://gateway:8000{SENDGRID_EVENTS_PATH}"
    assert environment["SANDBOX_TWILIO_INBOUND_URL"] == f"http://gateway:8000{TWILIO_INBOUND_PATH}"
