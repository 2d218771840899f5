from marshmallow import Schema, fields

from services.gateway.schemas import Me
from shared.testing.responses import all_keys, undeclared_keys


class Person(Schema):
    name = fields.String()
    address = fields.String(data_key="home")


class Page(Schema):
    items = fields.List(fields.Nested(Person))
    owner = fields.Nested(Person, allow_none=True)


def test_keys_a_schema_does_not_declare_are_found_at_every_depth_by_their_wire_names():
    body = {"items": [{"name": "a", "home": "x"}, {"name": "b", "password_hash": "$argon2id$"}],
            "owner": {"name": "c", "token_hash": "h"}, "total": 2}

    assert undeclared_keys(Page, body) == {"items.password_hash", "owner.token_hash", "total"}
    assert undeclared_keys(Page, {"items": [], "owner": None}) == set()


def test_me_declares_no_room_for_a_password_hash():
    body = {"principal": {"person_id": "p", "password_hash": "x"}, "account": None, "effective_permissions": []}

    assert undeclared_keys(Me, body) == {"principal.password_hash"}
    assert "password_hash" in all_keys(body)
