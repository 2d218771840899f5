"""The catalogue of everything that crosses a service boundary, generated from the contracts.

Another team reads it to call the platform or to listen to it: every RPC method with the JSON
Schema of its request and response, every event with the JSON Schema of its payload and the
services that subscribe to it. It is generated, never written by hand, and checked in beside the
code (docs/contracts/); a test regenerates it and fails when the two differ, so it cannot drift.

`python -m shared.contracts.catalogue` rewrites the checked-in files (`make catalogue`).
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from shared.contracts import CONTRACTS
from shared.contracts.base import Event, ServiceContract

# JSON Schema 2020-12, which OpenAPI 3.1 schemas are.
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
CATALOGUE_DIR = Path("docs/contracts")
JSON_FILE = "catalogue.json"
MARKDOWN_FILE = "README.md"


def build(contracts: Iterable[ServiceContract] = CONTRACTS.values()) -> dict:
    """The catalogue as one JSON document: services, their methods and events, and the schemas they use."""
    contracts = sorted(contracts, key=lambda contract: contract.name)
    converter = _Converter()
    services = {}
    for contract in contracts:
        services[contract.name] = {
            "rpc": {name: {"description": _described(method.description, method.request),
                           "request": converter.ref(method.request),
                           "response": converter.ref(method.response)}
                    for name, method in sorted(contract.rpcs.items())},
            "events": {name: {"description": _described(event.description, event.payload),
                              "payload": converter.ref(event.payload),
                              "subscribers": _subscribers(event, contracts)}
                       for name, event in sorted(contract.events.items())},
        }
    return {"$schema": JSON_SCHEMA_DIALECT, "services": services, "schemas": converter.schemas()}


def missing_descriptions(catalogue: dict) -> list[str]:
    """Every method, event (`service.name`) and field (`module.Schema.field`) the catalogue shows undescribed."""
    missing = [f"{service}.{name}" for service, declared in catalogue["services"].items()
               for kind in ("rpc", "events") for name, entry in declared[kind].items() if not entry["description"]]
    for schema_name, schema in catalogue["schemas"].items():
        for field_name, field in schema.get("properties", {}).items():
            if not field.get("description"):
                missing.append(f"{schema_name}.{field_name}")
    return missing


def markdown(catalogue: dict) -> str:
    """A readable index of the catalogue: what each service answers and publishes, and who listens."""
    lines = ["# Service contracts", "",
             "Generated from `shared/contracts/` by `make catalogue`; do not edit by hand. The JSON Schema of",
             f"every request, response and event payload is in [{JSON_FILE}]({JSON_FILE}) under `schemas`.",
             "See [calling the platform](../calling-the-platform.md) for how to call these methods.", ""]
    for service, declared in catalogue["services"].items():
        lines += [f"## {service}", "", "| RPC method | request → response | what it does |", "| --- | --- | --- |"]
        for name, method in declared["rpc"].items():
            lines.append(f"| `{service}.{name}` | `{_name(method['request'])}` → `{_name(method['response'])}` "
                         f"| {method['description']} |")
        lines += ["", "| event | payload | subscribers | what it says |", "| --- | --- | --- | --- |"]
        for name, event in declared["events"].items():
            subscribers = ", ".join(event["subscribers"]) or "—"
            lines.append(f"| `{service}.{name}` | `{_name(event['payload'])}` | {subscribers} "
                         f"| {event['description']} |")
        lines.append("")
    return "\n".join(lines)


def render(catalogue: dict) -> dict[str, str]:
    """File name → content, exactly as checked in."""
    return {JSON_FILE: json.dumps(catalogue, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            MARKDOWN_FILE: markdown(catalogue)}


class _Converter:
    """marshmallow schemas → JSON Schema, each schema once under its class name, nested ones by reference."""

    def __init__(self) -> None:
        self._plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
        self._spec = APISpec(title="contracts", version="1", openapi_version="3.1.0", plugins=[self._plugin])

    def ref(self, schema: type[Schema]) -> dict:
        name = _schema_name(schema)
        if name not in self._spec.components.schemas:
            self._spec.components.schema(name, schema=schema)
        return {"$ref": f"#/schemas/{name}"}

    def schemas(self) -> dict:
        documented = self._spec.to_dict()["components"]["schemas"]
        # apispec points nested schemas at OpenAPI's components; the catalogue keeps them under "schemas".
        text = json.dumps(documented, sort_keys=True).replace("#/components/schemas/", "#/schemas/")
        return json.loads(text)


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    module = cls.__module__.removeprefix("shared.contracts.").split(".")[0]
    return f"{module}.{cls.__name__}"


def _name(ref: dict) -> str:
    return ref["$ref"].rsplit("/", 1)[-1]


def _described(description: str, schema: type[Schema]) -> str:
    return " ".join((description or schema.__doc__ or "").split())


def _subscribers(event: Event, contracts: Iterable[ServiceContract]) -> list[str]:
    return sorted(contract.name for contract in contracts if event in contract.subscriptions)


def write(root: Path = Path(".")) -> list[Path]:
    target = root / CATALOGUE_DIR
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in render(build()).items():
        (target / name).write_text(content, encoding="utf-8")
        written.append(target / name)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")):
        print(f"wrote {path}")
