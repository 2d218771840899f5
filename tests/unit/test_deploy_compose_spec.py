"""deploy/compose.yaml read the way `docker compose config` reads it, on machines without Docker Compose.

The file is interpolated as compose does (after parsing, in string values, with the `${NAME:?message}` secrets
exported), then parsed by `compose_spec`, a strict parser of the Compose Specification (unknown fields, wrong
types, bad ports and undefined networks are refused), and its references are checked as compose checks them:
every `depends_on` names a service and every named volume is declared. Where Docker Compose is installed,
`test_deploy_k8s.py` also runs `docker compose config` itself.
"""
import copy
import json
import re
from collections.abc import Mapping

import pytest
import yaml
from compose_spec import PyCompose

from shared.config import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "deploy" / "compose.yaml"

# $$, ${NAME}, ${NAME<op>argument} with op one of :- - :? ? :+ +, and $NAME (Compose's interpolation syntax).
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?+])(?P<argument>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


class MissingVariable(LookupError):
    pass


def interpolated_text(text: str, environment: Mapping[str, str]) -> str:
    def value(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name, operator, argument = match["name"] or match["bare"], match["operator"] or "", match["argument"]
        current = environment.get(name)
        # The colon forms treat an empty value as unset; the plain forms only an absent one.
        unset = current is None or (operator.startswith(":") and current == "")
        if operator.endswith("-"):
            return argument if unset else current
        if operator.endswith("?"):
            if unset:
                raise MissingVariable(f"{name}: {argument}")
            return current
        if operator.endswith("+"):
            return "" if unset else argument
        return current or ""

    return VARIABLE.sub(value, text)


def interpolated(node, environment: Mapping[str, str]):
    if isinstance(node, dict):
        return {key: interpolated(item, environment) for key, item in node.items()}
    if isinstance(node, list):
        return [interpolated(item, environment) for item in node]
    return interpolated_text(node, environment) if isinstance(node, str) else node


def required_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", COMPOSE_FILE.read_text()))


def compose_document(environment: Mapping[str, str] | None = None) -> dict:
    exported = {name: "x" * 48 for name in required_variables()} if environment is None else environment
    return interpolated(yaml.safe_load(COMPOSE_FILE.read_text()), exported)


def named_volume(mount: str | dict) -> str | None:
    """The volume a mount names, or None for a bind mount (a path) or a tmpfs."""
    if isinstance(mount, dict):
        return mount.get("source") if mount.get("type", "volume") == "volume" else None
    source, _, target = mount.partition(":")
    return source if target and not source.startswith((".", "/", "~")) else None


def reference_errors(document: dict) -> list[str]:
    services, volumes = document["services"], document.get("volumes") or {}
    errors = []
    for name, service in services.items():
        errors += [f"{name} depends on undefined service {other}"
                   for other in service.get("depends_on") or () if other not in services]
        errors += [f"{name} mounts undefined volume {volume}"
                   for volume in map(named_volume, service.get("volumes") or ()) if volume and volume not in volumes]
    return errors


def parsed(document: dict) -> PyCompose:
    compose = PyCompose.from_json(json.dumps(document))
    compose.validate()
    return compose


def test_the_compose_file_is_a_valid_compose_specification_with_its_secrets_exported():
    document = compose_document()

    compose = parsed(document)

    assert set(compose.service_names()) == set(document["services"])
    assert reference_errors(document) == []


def test_every_secret_the_compose_file_demands_is_named_when_it_is_missing():
    demanded = required_variables()
    assert {"IDENTITY_TOKEN_SECRET", "BROKER_PASSWORD_OPERATOR"} <= demanded

    for missing in sorted(demanded):
        with pytest.raises(MissingVariable, match=f"^{missing}: .*export"):
            compose_document({name: "x" * 48 for name in demanded - {missing}})


@pytest.mark.parametrize("break_it, refusal", [
    (lambda d: d["services"]["gateway"].update(enviroment=d["services"]["gateway"].pop("environment")),
     "enviroment"),
    (lambda d: d["services"]["notify-worker"]["deploy"].update(replica=2), "replica"),
    (lambda d: d["services"]["gateway"].update(ports=["eighty"]), "eighty"),
    (lambda d: d["services"]["gateway"].update(networks=["backstage"]), "backstage"),
])
def test_the_check_refuses_what_docker_compose_refuses(break_it, refusal):
    document = copy.deepcopy(compose_document())
    break_it(document)

    with pytest.raises(ValueError, match=refusal):
        parsed(document)


def test_the_reference_check_names_an_undefined_service_or_volume():
    document = copy.deepcopy(compose_document())
    document["services"]["gateway"]["depends_on"] = {"cache": {"condition": "service_started"}}
    document["services"]["rostering"]["volumes"] = ["uploads:/srv/uploads", "./local:/srv/local"]

    assert reference_errors(document) == ["rostering mounts undefined volume uploads",
                                          "gateway depends on undefined service cache"]


@pytest.mark.parametrize("text, environment, expected", [
    ("${A:-fallback}", {"A": ""}, "fallback"),
    ("${A-fallback}", {"A": ""}, ""),
    ("${A-fallback}", {}, "fallback"),
    ("${A:+set}|${B+set}", {"A": "1", "B": ""}, "set|set"),
    ("$$A and $A", {"A": "x"}, "$A and x"),
    ("${A?say A}", {"A": ""}, ""),
])
def test_interpolation_follows_composes_rules(text, environment, expected):
    assert interpolated_text(text, environment) == expected
