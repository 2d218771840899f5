"""No mass assignment: every body the route table takes refuses fields it does not declare, at every depth,
so nobody slips a role, a district, permissions or a `changed_by` into a request."""
from __future__ import annotations

import pytest
from marshmallow import RAISE, Schema, fields

from services.gateway.parsing import load
from services.gateway.routes import ROUTES
from shared.contracts.errors import InvalidRequest

BODY_ROUTES = [route for route in ROUTES if route.body is not None]
# What a caller might try to set on themselves or on someone else through any body.
SMUGGLED = {"role": "district_admin", "roles": [{"role": "district_admin"}], "district_id": "district-2",
            "permissions": ["permissions_admin"], "changed_by": "someone-else", "viewer": {"person_id": "x"},
            "password_hash": "$argon2id$", "status": "active"}


def nested_schemas(schema: Schema, path: str = "body"):
    """`schema` and every schema nested in it (lists of them included), each with where it sits."""
    yield path, schema
    for name, field in schema.load_fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            # A Nested field's own `unknown` overrides its schema's when loading.
            assert inner.unknown in (None, RAISE), f"{path}.{name} loads with unknown={inner.unknown}"
            yield from nested_schemas(inner.schema, f"{path}.{name}")


def test_the_route_table_has_bodies_to_check():
    assert len(BODY_ROUTES) >= 10


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda route: route.name)
def test_every_body_schema_and_each_schema_inside_it_refuses_unknown_fields(route):
    lenient = [path for path, schema in nested_schemas(route.body()) if schema.unknown != RAISE]

    assert lenient == []


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda route: route.name)
def test_a_smuggled_role_district_or_permission_is_refused_naming_the_field(route):
    declared = set(route.body().load_fields)

    with pytest.raises(InvalidRequest) as refused:
        load(route.body, SMUGGLED, "body")

    for name in set(SMUGGLED) - declared:
        assert refused.value.fields.get(name) == ["Unknown field."], name
