"""The fast dump path (shared/contracts/fast_load.compile_dumper) answers exactly what marshmallow's dump answers,
for every schema in every contract, or leaves the dump to marshmallow."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, post_dump

from shared.contracts import directory, rostering
from shared.contracts.base import RpcMethod, _dump_plainly, _plain_dumper, schema_instance
from shared.contracts.fast_load import compile_dumper
from tests.unit.test_fast_load import SCHEMAS, _payload, _typed


def _marshmallow(schema: type[Schema], data):
    try:
        return "dumped", _typed(schema_instance(schema).dump(data))
    except Exception as error:  # noqa: BLE001 - what marshmallow does with odd values is the reference
        return "raised", type(error)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: f"{schema.__module__}.{schema.__name__}")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_dumps_exactly_as_marshmallow_or_leaves_it_to_marshmallow(schema, data):
    payload = data.draw(_payload(schema_instance(schema), 0, data.draw(st.booleans())))
    dumped = _dump_plainly(schema, payload)
    if dumped is not None:
        assert ("dumped", _typed(dumped)) == _marshmallow(schema, payload)
    method = RpcMethod("t", "m", schema, schema)
    try:
        ours = "dumped", _typed(method.dump_response(payload))
    except Exception as error:  # noqa: BLE001
        ours = "raised", type(error)
    assert ours == _marshmallow(schema, payload)


def _summary(**changes) -> dict:
    return {"id": "p1", "given_name": "Ann", "family_name": "Lee", "kinds": ["student"], "grade": "3",
            "job_title": None, "school_ids": ["s1"], "student_account_status": "invited", "archived": False,
            **changes}


def test_a_search_page_takes_the_fast_path_and_leaves_unknown_keys_out():
    page = {"items": [_summary(district_id="d1"), _summary(id="p2", kinds=["staff", "guardian"])],
            "total": 2, "total_exact": True, "page": 1, "per_page": 25, "extra": "x"}
    dumped = _dump_plainly(directory.PeoplePage, page)
    assert dumped == schema_instance(directory.PeoplePage).dump(page)
    assert "extra" not in dumped and "district_id" not in dumped["items"][0]
    assert list(dumped) == list(schema_instance(directory.PeoplePage).dump_fields)


@pytest.mark.parametrize("odd", [
    {"total": True},  # marshmallow dumps 1
    {"total": "2"},  # marshmallow dumps 2
    {"items": ({"id": "p1"},)},  # a tuple
    {"total_exact": 1},  # marshmallow dumps True
])
def test_a_value_marshmallow_would_convert_is_dumped_by_marshmallow(odd):
    page = {"items": [_summary()], "total": 1, "total_exact": True, "page": 1, "per_page": 25, **odd}
    assert _dump_plainly(directory.PeoplePage, page) is None
    assert _typed(directory.search_people.dump_response(page)) == _typed(
        schema_instance(directory.PeoplePage).dump(page))


def test_a_missing_key_is_left_out_as_marshmallow_leaves_it_out():
    page = {"items": [_summary()], "total": 1, "page": 1, "per_page": 25}  # no total_exact
    assert _dump_plainly(directory.PeoplePage, page) == schema_instance(directory.PeoplePage).dump(page)
    assert "total_exact" not in _dump_plainly(directory.PeoplePage, page)


def test_a_missing_key_named_as_a_dicts_attribute_is_dumped_by_marshmallow():
    # marshmallow finds dict.items for a missing "items": what it makes of that is its own answer.
    page = {"total": 1, "total_exact": True, "page": 1, "per_page": 25}
    assert _dump_plainly(directory.PeoplePage, page) is None


class _PostDumped(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data, **kwargs):
        return {"name": data["name"].upper()}


class _Defaulted(Schema):
    name = fields.String(dump_default="x")


class _Attributed(Schema):
    name = fields.String(attribute="other")


@pytest.mark.parametrize("schema", [_PostDumped, _Defaulted, _Attributed])
def test_schemas_the_fast_dump_cannot_reproduce_are_left_to_marshmallow(schema):
    assert compile_dumper(schema()) is None
    assert _plain_dumper(schema) is None


def test_a_hooked_response_still_runs_its_hooks():
    assert RpcMethod("t", "hooked", _PostDumped, _PostDumped).dump_response({"name": "ann"}) == {"name": "ANN"}


def test_a_sync_run_with_its_row_problems_takes_the_fast_path():
    # The bench and an administrator's page poll a running import: thousands of row problems each time.
    started = datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc)
    counts = {"created": 3, "updated": 0, "unchanged": 1, "skipped": 0, "failed": 1}
    # A problem names a source record only when there is one (RowProblem.as_row): no source_id key otherwise.
    problem = {"file": "users.csv", "line": 4, "column": "sms", "value": "(123)", "reason": "invalid phone number"}
    run = {"run_id": "364ab5aa4c4f", "short_id": "364ab5aa", "state": "running", "source": "district.zip",
           "district_id": "d1", "started_at": started, "finished_at": None, "counts": {"people": counts},
           "errors": [problem, {**problem, "source_id": "u4"}], "warnings": [], "message": None, "diff": None, "decided_by": None,
           "decided_at": None, "progress": {"phase": "applying", "stage": "people", "rows_read": 10,
                                            "pages_applied": 1, "pages_total": 4,
                                            "applying_since": started.replace(tzinfo=None), "eta_seconds": 2.5}}
    dumped = _dump_plainly(rostering.SyncRun, run)
    assert dumped is not None
    assert _typed(dumped) == _typed(schema_instance(rostering.SyncRun).dump(run))
    assert dumped["progress"]["applying_since"] == "2026-12-06T05:00:00+00:00"
