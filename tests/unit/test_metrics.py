"""Metrics: where each process serves them, and what an RPC, an event and a gateway request record."""
from __future__ import annotations

import pytest
from marshmallow import Schema, fields
from prometheus_client import REGISTRY

from shared.contracts.base import ServiceContract
from shared.contracts.errors import NotFound
from shared.messaging import handles, rpc_endpoint
from shared.metrics import MetricsAddressError, metrics_address


def test_the_address_comes_from_metrics_address_then_the_procfile_port_else_none():
    assert metrics_address({"METRICS_ADDRESS": "0.0.0.0:9100", "PORT": "5000"}) == ("0.0.0.0", 9100)
    assert metrics_address({"METRICS_ADDRESS": ":9100"}) == ("0.0.0.0", 9100)
    assert metrics_address({"PORT": "5100"}) == ("127.0.0.1", 5100)
    assert metrics_address({}) is None


@pytest.mark.parametrize("wrong", ["9100x", "host:", "host:70000", "host:0"])
def test_a_malformed_address_is_refused_with_the_variable_named(wrong):
    with pytest.raises(MetricsAddressError, match="METRICS_ADDRESS"):
        metrics_address({"METRICS_ADDRESS": wrong})


class Lookup(Schema):
    key = fields.String(required=True)


contract = ServiceContract("metered")
find = contract.rpc("find", request=Lookup, response=Lookup)
found = contract.event("found", Lookup)


class Metered:
    name = "metered"

    @rpc_endpoint(find)
    def find(self, request):
        if request["key"] == "missing":
            raise NotFound("no such key")
        return request

    @handles(found)
    def on_found(self, payload):
        return payload


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_rpc_is_timed_by_method_and_outcome():
    ok_before = sample("school_rpc_seconds_count", service="metered", method="find", outcome="ok")
    missing_before = sample("school_rpc_seconds_count", service="metered", method="find", outcome="not_found")

    Metered().find({"key": "a"})
    with pytest.raises(NotFound):
        Metered().find({"key": "missing"})

    assert sample("school_rpc_seconds_count", service="metered", method="find", outcome="ok") == ok_before + 1
    assert sample("school_rpc_seconds_count", service="metered", method="find",
                  outcome="not_found") == missing_before + 1


def test_each_event_is_counted_by_outcome_invalid_payloads_too():
    labels = {"service": "metered", "event": "metered.found.v1"}
    ok_before = sample("school_events_handled_total", **labels, outcome="ok")
    invalid_before = sample("school_events_handled_total", **labels, outcome="invalid")

    Metered().on_found({"key": "a"})
    Metered().on_found({"nothing": "useful"})

    assert sample("school_events_handled_total", **labels, outcome="ok") == ok_before + 1
    assert sample("school_events_handled_total", **labels, outcome="invalid") == invalid_before + 1
