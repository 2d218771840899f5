"""The checked-in catalogue of RPC methods and events (docs/contracts/) is what the contracts generate."""
from __future__ import annotations

from pathlib import Path

from shared.contracts import catalogue

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "regenerate it with `make catalogue` and commit the result"


def test_checked_in_catalogue_matches_the_contracts():
    for name, content in catalogue.render(catalogue.build()).items():
        path = ROOT / catalogue.CATALOGUE_DIR / name
        assert path.exists(), f"{path.relative_to(ROOT)} is missing: {REGENERATE}"
        assert path.read_text(encoding="utf-8") == content, f"{path.relative_to(ROOT)} is stale: {REGENERATE}"


def test_every_method_event_and_field_is_described():
    missing = catalogue.missing_descriptions(catalogue.build())
    assert not missing, f"{len(missing)} without a description, e.g. {missing[:10]}"


def test_every_method_and_event_has_a_schema_in_the_catalogue():
    built = catalogue.build()
    for service in built["services"].values():
        refs = [method[part] for method in service["rpc"].values() for part in ("request", "response")]
        refs += [event["payload"] for event in service["events"].values()]
        for ref in refs:
            assert ref["$ref"].removeprefix("#/schemas/") in built["schemas"]


def test_event_names_carry_a_version():
    for service in catalogue.build()["services"].values():
        for name in service["events"]:
            assert name.rsplit(".", 1)[-1].startswith("v"), f"event {name} names no version"
