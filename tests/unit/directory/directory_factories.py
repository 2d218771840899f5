"""Builders for the directory's unit tests: plain data with overrides."""
from __future__ import annotations

from services.directory.domain.visibility import PersonFacts, ViewerFacts

DISTRICT = "d1"


def make_principal(**overrides) -> dict:
    """An identity Principal dict; a person with no roles unless told."""
    principal = {
        "person_id": "viewer",
        "district_id": DISTRICT,
        "display_name": "Viewer",
        "status": "active",
        "roles": [],
        "permissions": [],
    }
    principal.update(overrides)
    return principal


def role(name: str, *school_ids: str) -> dict:
    return {"role": name, "school_ids": list(school_ids)}


def make_person(**overrides) -> PersonFacts:
    values = {"id": "p", "district_id": DISTRICT, "kinds": frozenset({"student"})}
    values.update(overrides)
    for name in ("kinds", "school_ids", "classroom_ids", "children_school_ids", "children_classroom_ids"):
        if name in values:
            values[name] = frozenset(values[name])
    return PersonFacts(**values)


def make_viewer_facts(**overrides) -> ViewerFacts:
    return ViewerFacts(**{name: frozenset(value) for name, value in overrides.items()})

