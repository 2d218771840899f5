"""shared/settings.py: every environment variable is read there and nowhere else, each is in the README's
configuration table, and a process refuses to start on a wrong value, naming the variable, value and reason."""
import re
from pathlib import Path

import pytest

from shared import settings
from shared.settings import EXIT_CONFIG, UndeclaredSetting, declared, exit_if_misconfigured, problems, value

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("services", "shared", "schoolctl", "bench")
ENVIRONMENT_READS = re.compile(r"\bos\.environ\b|\bgetenv\b|\bputenv\b|\benviron\.get\(|\benviron\[")
# Not the process environment: the gateway's WSGI request environ.
NOT_THE_ENVIRONMENT = {
    "services/gateway/http.py": ("environ[REQUEST_ID_KEY]", "environ.get(QUIET_KEY)", 'environ["REQUEST_METHOD"]'),
    "services/gateway/pipeline.py": ("request.environ.get(",),
    "services/gateway/edge.py": ("request.environ[QUIET_KEY]",),
}
# A name given to value(...) or bound to a *_VARIABLE constant, as the code spells it.
NAMED_VARIABLE = re.compile(r"""\bvalue\(\s*["']([A-Z][A-Z0-9_]+)["']|_VARIABLE\s*=\s*["']([A-Z][A-Z0-9_]+)["']""")


def python_files():
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_the_environment_is_read_only_in_shared_settings():
    reads = []
    for path, text in python_files():
        if path == "shared/settings.py":
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if ENVIRONMENT_READS.search(line) and not any(
                    request_environ in line for request_environ in NOT_THE_ENVIRONMENT.get(path, ())):
                reads.append(f"{path}:{number}: {line.strip()}")

    assert reads == [], "read the environment through shared.settings.value (and declare the variable there)"


def test_every_variable_the_code_names_is_declared():
    undeclared = []
    for path, text in python_files():
        for match in NAMED_VARIABLE.finditer(text):
            name = match.group(1) or match.group(2)
            try:
                declared(name)
            except UndeclaredSetting:
                undeclared.append(f"{path}: {name}")

    assert undeclared == []


def readme_table_names() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration (environment)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_<>]+)`", row.split(" | ")[0])}


def test_every_declared_variable_has_a_row_in_the_readme_and_every_row_is_declared():
    documented = readme_table_names()
    names = set(settings.DECLARED)

    assert sorted(names - documented) == [], "add a row to the README's configuration table"
    assert sorted(documented - names) == [], "declare the variable in shared/settings.py"


def test_a_value_is_stripped_and_an_unset_or_blank_one_is_its_declared_default():
    assert value("NOTIFY_WORKER_PREFETCH", {"NOTIFY_WORKER_PREFETCH": " 5 "}) == "5"
    assert value("NOTIFY_WORKER_PREFETCH", {"NOTIFY_WORKER_PREFETCH": "  "}) == "2"
    assert value("NOTIFY_WORKER_PREFETCH", {}) == "2"
    assert value("JOIN_BASE_URL", {}) is None


def test_a_family_of_variables_is_declared_by_its_placeholder():
    assert value("BROKER_PASSWORD_NOTIFY_WORKER", {"BROKER_PASSWORD_NOTIFY_WORKER": "pw"}) == "pw"
    with pytest.raises(UndeclaredSetting, match="BROKER_PASSWORD_ is not declared"):
        value("BROKER_PASSWORD_", {})


def test_reading_an_undeclared_variable_is_refused():
    with pytest.raises(UndeclaredSetting, match="NOTIFY_WORKER_PREFETCHES is not declared in shared/settings.py"):
        value("NOTIFY_WORKER_PREFETCHES", {})


@pytest.mark.parametrize("name, wrong, reason", [
    ("NOTIFY_WORKER_PREFETCH", "lots", "must be a whole number, 1 or more"),
    ("NOTIFY_WORKER_HEARTBEAT", "0", "must be a whole number, 1 or more"),
    ("LOG_FORMAT", "jsn", "must be one of text, json"),
    ("LOG_LEVEL", "LOUD", "must be a logging level name"),
    ("METRICS_ADDRESS", "9100", "must be host:port"),
    ("NOTIFY_PROVIDER_FACTORY", "module.function", "must be module:function"),
    ("NOTIFY_WEBHOOK_BASE_URL", "gateway:8000", "must be a https or http URL"),
    ("PROVIDER_TIMEOUT_SECONDS", "-1", "must be a number of seconds above 0"),
])
def test_a_wrong_value_is_named_with_its_value_and_the_reason(name, wrong, reason):
    found = problems(["notify", "notify-worker"], {name: wrong})

    assert [(problem.variable, problem.shown) for problem in found] == [(name, repr(wrong))]
    assert reason in found[0].reason


def test_a_wrong_secret_is_shown_only_by_its_length():
    found = problems(["identity"], {"IDENTITY_TOKEN_SECRET": "short-secret"})

    assert [str(problem) for problem in found] == [
        "IDENTITY_TOKEN_SECRET=<secret, 12 characters>: must be at least 32 characters (it has 12)"]


def test_a_required_variable_left_unset_is_named_for_the_process_that_needs_it():
    assert [str(problem) for problem in problems(["identity"], {})] == [
        "IDENTITY_TOKEN_SECRET=<unset>: required by identity"]
    assert problems(["directory"], {}) == []


def test_a_process_checks_only_what_it_reads():
    environ = {"NOTIFY_WORKER_PREFETCH": "lots", "SANDBOX_EVENT_FLUSH_SECONDS": "soon"}

    assert [problem.variable for problem in problems(["notify-worker"], environ)] == ["NOTIFY_WORKER_PREFETCH"]
    assert [problem.variable for problem in problems(["sandbox"], environ)] == ["SANDBOX_EVENT_FLUSH_SECONDS"]
    assert problems(["gateway"], environ) == []


def test_the_defaults_pass_their_own_checks():
    wrong = [(variable.name, variable.check(variable.default)) for variable in settings.VARIABLES
             if variable.default and variable.check and variable.check(variable.default)]

    assert wrong == []


def test_a_misconfigured_process_exits_78_naming_every_problem(capsys):
    environ = {"NOTIFY_WORKER_PREFETCH": "lots", "AMQP_URI": "http://broker", "LOG_FORMAT": "json"}

    with pytest.raises(SystemExit) as stopped:
        exit_if_misconfigured(["notify-worker"], environ)

    assert stopped.value.code == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "notify-worker: not starting, the environment is wrong" in err
    assert "NOTIFY_WORKER_PREFETCH='lots': must be a whole number, 1 or more" in err
    # AMQP_URI may carry a password: shown by its length only.
    assert "AMQP_URI=<secret, 13 characters>: must be a amqp or amqps URL" in err
    assert "LOG_FORMAT" not in err


def test_a_well_configured_process_starts():
    exit_if_misconfigured(["notify-worker"], {"NOTIFY_WORKER_PREFETCH": "4", "LOG_FORMAT": "json"})


COMPOSE_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(:?[-?])([^}]*)\}")


def compose_value(text: str) -> str | None:
    """A compose value as it reaches the process when the shell sets nothing: `${X:-default}` is its default,
    `${X:?message}` something the operator must give (checked as a placeholder inside a longer value; a value
    that is only that cannot be checked here)."""
    if COMPOSE_REFERENCE.fullmatch(text) and COMPOSE_REFERENCE.fullmatch(text).group(2).endswith("?"):
        return None
    return COMPOSE_REFERENCE.sub(lambda m: "given" if m.group(2).endswith("?") else m.group(3), text)


def our_containers(node):
    """Every container (compose service or pod container) that runs the project's image."""
    if isinstance(node, dict):
        if str(node.get("image", "")).startswith("schoolcomms"):
            yield node
        for child in node.values():
            yield from our_containers(child)
    elif isinstance(node, list):
        for child in node:
            yield from our_containers(child)


def deploy_settings() -> list[tuple[str, str, str | None]]:
    """(where, variable, value or None when it comes from a Secret or the operator) for what deploy/ sets."""
    import yaml

    found = []
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    for name, service in compose["services"].items():
        for variable, text in (service.get("environment") or {}).items() if str(
                service.get("image", "")).startswith("schoolcomms") else ():
            found.append((f"compose {name}", variable, compose_value(str(text))))
    for path in sorted((ROOT / "deploy/k8s").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document:
                continue
            if document.get("kind") == "ConfigMap" and document["metadata"]["name"] == "schoolcomms-config":
                found += [(path.name, variable, str(text)) for variable, text in (document.get("data") or {}).items()]
            for container in our_containers(document):
                found += [(path.name, entry["name"], str(entry["value"]) if "value" in entry else None)
                          for entry in container.get("env") or ()]
    return found


def test_what_deploy_sets_is_declared_and_passes_its_checks():
    found = deploy_settings()
    assert len(found) > 100  # compose's services and the manifests were read

    wrong = []
    for where, name, text in found:
        try:
            variable = declared(name)
        except UndeclaredSetting as undeclared:
            wrong.append(f"{where}: {undeclared}")
            continue
        if text and text.strip() and variable.check and (reason := variable.check(text.strip())):
            wrong.append(f"{where}: {name}={text!r}: {reason}")

    assert wrong == []
