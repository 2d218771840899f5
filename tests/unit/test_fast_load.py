"""The fast load path (shared/contracts/fast_load.py) answers exactly what marshmallow answers, for every
schema in every contract: the same loaded payload, or the same refusal with the same fields and reasons."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, missing, validate

from shared.contracts import CONTRACTS, identity
from shared.contracts.base import Event, RpcMethod, schema_instance, _load, _plain_loader
from shared.contracts.errors import InvalidRequest
from shared.contracts.fast_load import compile_loader, dumps_as_loaded


def _schemas() -> list[type[Schema]]:
    found: dict[str, type[Schema]] = {}
    for contract in CONTRACTS.values():
        for method in contract.rpcs.values():
            found[f"{method.service}.{method.name}.request"] = method.request
            found[f"{method.service}.{method.name}.response"] = method.response
        for event in contract.events.values():
            found[f"{event.service}.{event.name}"] = event.payload
    return [found[name] for name in sorted(found)]


SCHEMAS = _schemas()
ODD = st.sampled_from(["", "true", "0", "no", 0, 1, 2, 1.5, True, False, b"bytes", (), ("a",), {}, [], ["x"]])


def _value(field: fields.Field, depth: int, odd: bool) -> st.SearchStrategy:
    """The values a field expects (choices included), or missing or None; with `odd`, sometimes anything."""
    choices = next((v.choices for v in field.validators if isinstance(v, validate.OneOf)), None)
    kind = type(field)
    if choices is not None:
        plain = st.sampled_from(list(choices))
    elif kind is fields.String:
        plain = st.text(max_size=5)
    elif kind is fields.Integer:
        plain = st.integers(-3, 300)
    elif kind is fields.Boolean:
        plain = st.booleans()
    elif kind is fields.List:
        plain = st.lists(_value(field.inner, depth, odd), max_size=3)
    elif kind is fields.Nested and depth < 3:
        plain = _payload(field.schema, depth + 1, odd)
    elif kind is fields.Float:
        plain = st.floats(allow_nan=False)
    elif kind is fields.Dict:
        values = st.integers() if field.value_field is None else _value(field.value_field, depth + 1, odd)
        plain = st.dictionaries(st.text(max_size=3), values, max_size=3)
    elif isinstance(field, fields.DateTime):
        # A moment is dumped from a datetime (naive ones too: SQLite hands those back) and loaded from its text.
        moments = st.datetimes(timezones=st.one_of(st.none(), st.just(timezone.utc)))
        plain = st.one_of(moments, moments.map(datetime.isoformat))
    else:
        plain = st.none()
    if not odd:
        return plain if field.required and not field.allow_none else st.one_of(plain, plain, plain, st.none())
    return st.one_of(plain, plain, plain, st.none(), ODD)


def _payload(schema: Schema, depth: int, odd: bool) -> st.SearchStrategy:
    entries = {name: _value(field, depth, odd) if not odd and field.required
               else st.one_of(_value(field, depth, odd), st.just(missing))
               for name, field in schema.load_fields.items()}
    extra = st.dictionaries(st.sampled_from(["unknown", "other"]), st.integers(), max_size=1)

    def build(values, more):
        return {**{k: v for k, v in values.items() if v is not missing}, **more}

    return st.builds(build, st.fixed_dictionaries(entries), st.one_of(st.just({}), st.just({}), extra)
                     if odd else st.just({}))


def _typed(value):
    """`value` with every leaf's type beside it: 1 == True in Python, and a loaded value must be a bool."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_typed(item) for item in value])
    return (type(value).__name__, value)


def _marshmallow(schema: type[Schema], payload):
    try:
        return "loaded", _typed(schema_instance(schema).load(payload))
    except ValidationError as error:
        return "refused", error.normalized_messages()


def _ours(schema: type[Schema], payload):
    try:
        return "loaded", _typed(_load(schema, payload, "test"))
    except InvalidRequest as error:
        return "refused", error.fields


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: f"{schema.__module__}.{schema.__name__}")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_loads_exactly_as_marshmallow(schema, data):
    payload = data.draw(_payload(schema_instance(schema), 0, data.draw(st.booleans())))
    assert _ours(schema, payload) == _marshmallow(schema, payload)


def _gateway_schemas() -> list[type[Schema]]:
    """The gateway's query and body schemas: contract schemas, some with fields excluded (the viewer)."""
    from services.gateway.routes import ROUTES

    found = {schema.__name__: schema for route in ROUTES for schema in (route.query, route.body) if schema}
    return [found[name] for name in sorted(found)]


@pytest.mark.parametrize("schema", _gateway_schemas(), ids=lambda schema: schema.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_the_gateways_schemas_load_exactly_as_marshmallow(schema, data):
    payload = data.draw(_payload(schema_instance(schema), 0, data.draw(st.booleans())))
    if data.draw(st.booleans()) and schema_instance(schema).exclude:
        payload[sorted(schema_instance(schema).exclude)[0]] = {}  # an excluded field sent anyway
    assert _ours(schema, payload) == _marshmallow(schema, payload)


def test_a_search_query_takes_the_fast_path():
    from services.gateway.schemas import PeopleQuery

    assert _plain_loader(PeopleQuery) is not None
    assert _load(PeopleQuery, {"query": "oka"}, "query") == schema_instance(PeopleQuery).load({"query": "oka"})


def test_the_import_pages_and_their_events_take_the_fast_path():
    from shared.contracts import directory

    for schema in (identity.UpsertAccountsRequest, identity.AccountsUpserted, directory.UpsertPeopleRequest,
                   directory.PeopleUpserted, directory.UpsertEnrollmentsRequest,
                   directory.UpsertGuardianLinksRequest):
        assert _plain_loader(schema) is not None, schema.__name__
    assert dumps_as_loaded(schema_instance(identity.AccountsUpserted))


def _account(**changes) -> dict:
    return {"person_id": "p1", "given_name": "Ann", "family_name": "Lee", "email": "ann@example.org",
            "roles": [{"role": "guardian"}], **changes}


def test_a_plain_row_is_loaded_with_its_defaults():
    request = {"district_id": "d1", "accounts": [_account()]}
    loaded = _load(identity.UpsertAccountsRequest, request, "test")
    assert _plain_loader(identity.UpsertAccountsRequest)(request) == loaded  # the fast path took it
    assert loaded == {"district_id": "d1", "region": "US", "update_contact_details_of_active_users": True,
                      "accounts": [{
        "person_id": "p1", "given_name": "Ann", "family_name": "Lee", "email": "ann@example.org",
        "mobile_phone": None, "home_phone": None, "roles": [{"role": "guardian", "school_ids": []}],
        "managed_by_sync": True, "enabled": True, "invalid_fields": []}]}


def test_a_value_marshmallow_coerces_is_still_coerced():
    loaded = _load(identity.UpsertAccountsRequest,
                   {"district_id": "d1", "accounts": [_account(enabled="false", roles=({"role": "guardian"},))]},
                   "test")
    assert loaded["accounts"][0]["enabled"] is False
    assert loaded["accounts"][0]["roles"] == [{"role": "guardian", "school_ids": []}]


def test_a_malformed_request_is_refused_with_the_field_and_the_reason():
    method = identity.upsert_accounts
    bad = {"district_id": "d1", "accounts": [_account(), _account(person_id="p2", roles=[{"role": "pope"}])]}
    with pytest.raises(InvalidRequest) as refused:
        method.load_request(bad)
    assert refused.value.fields == {"accounts": {1: {"roles": {0: {"role": ["Must be one of: district_admin, "
                                                                          "school_admin, teacher, guardian, "
                                                                          "student."]}}}}}
    with pytest.raises(InvalidRequest) as refused_before_sending:
        method.dump_request(bad)
    assert refused_before_sending.value.fields == refused.value.fields


def test_a_request_is_sent_as_the_caller_wrote_it():
    request = {"district_id": "d1", "accounts": [_account()]}
    assert identity.upsert_accounts.dump_request(request) is request
    login = {"login": "ann@example.org", "password": "secret"}
    assert identity.login.dump_request(login) == login  # the load-only password still goes


def test_an_event_is_validated_before_it_is_published():
    with pytest.raises(InvalidRequest) as refused:
        identity.ACCOUNTS_UPSERTED.dump({"accounts": [{**_account(), "status": "asleep"}]})
    assert refused.value.fields == {"accounts": {0: {"status": ["Must be one of: invitee, active, disabled."]}}}


def test_a_plain_event_goes_out_as_marshmallow_would_dump_it():
    payload = {"accounts": [{**_account(), "district_id": None, "mobile_phone": None, "status": "invitee"}]}
    schema = schema_instance(identity.AccountsUpserted)
    assert identity.ACCOUNTS_UPSERTED.dump(payload) == schema.dump(schema.load(payload))


def test_an_event_with_datetimes_is_still_dumped():
    from datetime import datetime, timezone

    joined = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    dumped = identity.USER_JOINED.dump({"person_id": "p1", "joined_at": joined})
    assert dumped == {"person_id": "p1", "joined_at": "2025-01-02T03:04:05+00:00"}


class _Hooked(Schema):
    name = fields.String()

    from marshmallow import post_load as _post_load

    @_post_load
    def shout(self, data, **kwargs):
        return {"name": data["name"].upper()}


class _Dated(Schema):
    when = fields.DateTime()


class _Keyed(Schema):
    name = fields.String(data_key="Name")


@pytest.mark.parametrize("schema", [_Hooked, _Dated, _Keyed])
def test_schemas_the_fast_path_cannot_reproduce_are_left_to_marshmallow(schema):
    assert compile_loader(schema()) is None


def test_a_hooked_schema_still_runs_its_hooks():
    assert Event("t", "hooked", _Hooked).load({"name": "ann"}) == {"name": "ANN"}
    assert RpcMethod("t", "hooked", _Hooked, _Hooked).load_request({"name": "ann"}) == {"name": "ANN"}
