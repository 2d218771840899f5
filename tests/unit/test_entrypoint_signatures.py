"""An entrypoint checks a call's arguments against its method once read, as nameko's getcallargs would."""
from __future__ import annotations

import functools
import inspect
from types import SimpleNamespace

import pytest
from nameko.exceptions import IncorrectSignature

from shared.entrypoint_signatures import KeptSignature


def _wrapped(fn):
    @functools.wraps(fn)
    def entry(self, request=None):
        return fn(self, request)

    return entry


class _Service:
    def plain(self, request, **path_values):
        pass

    @_wrapped
    def wrapped(self, request):
        pass

    def two(self, a, b=1):
        pass


def _entrypoint(name: str) -> KeptSignature:
    entrypoint = KeptSignature()
    entrypoint.container = SimpleNamespace(service_cls=_Service)
    entrypoint.method_name = name
    return entrypoint


def _nameko(name, args, kwargs):
    try:
        inspect.getcallargs(getattr(_Service, name), None, *args, **kwargs)
    except TypeError:
        return "refused"
    return "accepted"


def _ours(name, args, kwargs):
    try:
        _entrypoint(name).check_signature(args, kwargs)
    except IncorrectSignature:
        return "refused"
    return "accepted"


@pytest.mark.parametrize("name, args, kwargs", [
    ("plain", ("r",), {}), ("plain", ("r",), {"person_id": "p1"}), ("plain", (), {}), ("plain", ("r", "x"), {}),
    ("wrapped", (), {}), ("wrapped", ("r",), {}), ("wrapped", ("r", "x"), {}), ("wrapped", (), {"other": 1}),
    ("two", (1,), {}), ("two", (1, 2), {}), ("two", (), {"b": 2}), ("two", (1,), {"a": 1}),
])
def test_a_call_is_accepted_or_refused_as_nameko_would(name, args, kwargs):
    assert _ours(name, args, kwargs) == _nameko(name, args, kwargs)


def test_the_signature_is_read_once():
    entrypoint = _entrypoint("plain")
    entrypoint.check_signature(("r",), {})
    kept = entrypoint._kept_signature
    entrypoint.check_signature(("r",), {"person_id": "p1"})
    assert entrypoint._kept_signature is kept
