"""Examples for the OpenAPI document, made from the same marshmallow schemas the endpoints use.

A field's `metadata={"example": ...}` wins; otherwise its type, its validators (the first allowed choice, a
range's minimum) and a few well-known names (ids, emails, phones, people's names) give a plausible value.
A request example holds the fields a caller must send; a response example every field the answer has.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

EXAMPLE_ID = "3f2c9a1e5b7d4c6e8a0b1c2d3e4f5a6b"
EXAMPLE_MOMENT = "2026-09-01T08:00:00+00:00"
# Examples by field name, for names whose meaning the type alone does not say.
BY_NAME: dict[str, Any] = {
    "id": EXAMPLE_ID, "email": "dana.reyes@example.org", "login": "dana.reyes@example.org",
    "mobile_phone": "+15555550101", "home_phone": "+15555550199", "phone": "+15555550101",
    "address": "dana.reyes@example.org", "given_name": "Dana", "family_name": "Reyes", "display_name": "Dana Reyes",
    "name": "Lincoln Elementary", "password": "correct horse battery staple", "token": "eyJhbGciOiJIUzI1NiJ9.e30.sig",
    "subject": "Early dismissal on Friday", "body": "School closes at noon on Friday.", "grade": "03",
    "job_title": "Principal", "reason": "The mailbox was fixed.", "query": "rey", "language": "en",
    "value": "dana.reyes@example.org", "kind": "guardian", "permission": "users_manager", "code": "123456",
}
# Nested schemas deeper than this are left out of an example (they only repeat).
MAX_DEPTH = 4


def example_of(schema: type[Schema] | Schema, *, request: bool, depth: int = 0) -> dict:
    instance = schema() if isinstance(schema, type) else schema
    example = {}
    for name, field in instance.fields.items():
        if (request and (field.dump_only or not field.required)) or (not request and field.load_only):
            continue
        example[field.data_key or name] = field_example(field, name, request=request, depth=depth)
    return example


def field_example(field: fields.Field, name: str, *, request: bool, depth: int = 0) -> Any:
    if "example" in field.metadata:
        return field.metadata["example"]
    chosen = _from_validators(field)
    if chosen is not None:
        return chosen
    if isinstance(field, fields.Nested):
        if depth >= MAX_DEPTH:
            return [] if field.many else None
        nested = example_of(field.schema, request=request, depth=depth + 1)
        return [nested] if field.many else nested
    if isinstance(field, fields.List):
        return [field_example(field.inner, _singular(name), request=request, depth=depth)]
    if isinstance(field, fields.Dict):
        return {}
    if isinstance(field, fields.Boolean):
        return False
    if isinstance(field, (fields.Integer, fields.Float)):
        return 1
    if isinstance(field, fields.DateTime):
        return EXAMPLE_MOMENT
    if isinstance(field, fields.Date):
        return EXAMPLE_MOMENT[:10]
    if isinstance(field, fields.Email):
        return BY_NAME["email"]
    if isinstance(field, fields.String):
        return BY_NAME.get(name, EXAMPLE_ID if name.endswith("_id") else name.replace("_", " "))
    return None


def _from_validators(field: fields.Field) -> Any:
    for validator in field.validators:
        if isinstance(validator, validate.OneOf) and validator.choices:
            return list(validator.choices)[0]
        if isinstance(validator, validate.Range) and validator.min is not None and validator.min > 1:
            return validator.min
    return None


def _singular(name: str) -> str:
    """`student_ids` -> `student_id`, so a list's items get the example of one."""
    return name[:-1] if name.endswith("s") else name
