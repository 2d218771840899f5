"""deploy/ stays in step with `make run`: every process of the Procfile has a container with the same command."""
from pathlib import Path

import yaml

from shared.config import PROJECT_ROOT, SERVICES
from shared.runner import SERVICE_CLASSES


def procfile_processes() -> dict[str, list[str]]:
    lines = (PROJECT_ROOT / "Procfile").read_text().splitlines()
    return {name.strip(): command.split() for name, command in (line.split(":", 1) for line in lines if line.strip())}


def compose_services() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "deploy" / "compose.yaml").read_text())["services"]


def test_every_make_run_process_has_a_container_running_the_same_command():
    containers = compose_services()
    for name, command in procfile_processes().items():
        assert name in containers, f"{name} runs under make run but has no container"
        assert containers[name]["command"] == command


def test_make_run_starts_every_service_and_the_gateway():
    assert set(procfile_processes()) >= set(SERVICE_CLASSES)


def test_each_service_container_gets_its_own_database_url():
    environment = compose_services()["identity"]["environment"]
    urls = {environment[f"{service.upper()}_DATABASE_URL"] for service in SERVICES}
    assert len(urls) == len(SERVICES)
    init = (Path(PROJECT_ROOT) / "deploy" / "postgres-init.sql").read_text()
    for service in SERVICES:
        assert f"CREATE DATABASE {service};" in init
