"""Every route of the table has its authorization expectations declared (shared/testing/authorization.py), so
a new route cannot reach the end-to-end matrix, or production, without someone deciding who may call it."""
from services.gateway.routes import ROUTES
from shared.testing.authorization import COLUMNS, EXPECTED, RELATIONS


def test_every_route_has_declared_expectations_and_no_expectation_outlives_its_route():
    assert set(EXPECTED) == {route.name for route in ROUTES}


def test_public_routes_are_exactly_those_the_table_marks_public():
    assert {name for name, access in EXPECTED.items() if access.public} == {
        route.name for route in ROUTES if route.public}


def test_expectations_name_only_known_roles_and_relations():
    for access in EXPECTED.values():
        assert {column for column, _ in access.allowed} <= set(COLUMNS)
        assert {relation for _, relation in access.allowed} <= set(RELATIONS)
