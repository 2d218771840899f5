"""Principals (what identity.authenticate answers) for tests of permission rules and scoped services."""
from __future__ import annotations


def make_principal(**overrides) -> dict:
    """A signed-in person of district-1 with no roles and no permissions unless told."""
    principal = {
        "person_id": "person-1",
        "district_id": "district-1",
        "display_name": "Dana Rivera",
        "status": "active",
        "roles": [],
        "permissions": [],
        "language": "en",
    }
    principal.update(overrides)
    return principal
