"""A contract's `read` method travels transient both ways over the real broker, and a write stays persistent
both ways (shared/rpc_replies.py says why); a read to a service nobody runs is still refused at once."""
from __future__ import annotations

from unittest import mock

import pytest
from kombu.messaging import Producer
from marshmallow import Schema, fields
from nameko.constants import NON_PERSISTENT, PERSISTENT
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ServiceRpcProxy

from shared.contracts.base import ServiceContract
from shared.messaging import ServiceRpc, rpc_endpoint


class Nothing(Schema):
    pass


class Asked(Schema):
    asked = fields.String()


front = ServiceContract("read_front")
back = ServiceContract("read_back")
nobody = ServiceContract("read_nobody")
ask_read = front.rpc("ask_read", request=Nothing, response=Asked)
ask_write = front.rpc("ask_write", request=Nothing, response=Asked)
ask_nobody = front.rpc("ask_nobody", request=Nothing, response=Asked)
back_read = back.rpc("look", request=Nothing, response=Asked, read=True)
back_write = back.rpc("change", request=Nothing, response=Asked)
nobody_read = nobody.rpc("look", request=Nothing, response=Asked, read=True)


class Front:
    name = front.name
    back_rpc = ServiceRpc(back)
    nobody_rpc = ServiceRpc(nobody)

    @rpc_endpoint(ask_read)
    def ask_read(self, request):
        return self.back_rpc.look()

    @rpc_endpoint(ask_write)
    def ask_write(self, request):
        return self.back_rpc.change()

    @rpc_endpoint(ask_nobody)
    def ask_nobody(self, request):
        return self.nobody_rpc.look()


class Back:
    name = back.name

    @rpc_endpoint(back_read)
    def look(self, request):
        return {"asked": "look"}

    @rpc_endpoint(back_write)
    def change(self, request):
        return {"asked": "change"}


@pytest.fixture
def published():
    """(routing key, delivery mode, body) of every message this process publishes, in order."""
    sent: list[tuple[str, int, object]] = []
    original = Producer.publish

    def recording(self, body, routing_key=None, delivery_mode=None, *args, **kwargs):
        sent.append((routing_key, delivery_mode, body))
        return original(self, body, routing_key, delivery_mode, *args, **kwargs)

    with mock.patch.object(Producer, "publish", recording):
        yield sent


def _between_front_and_back(sent: list[tuple[str, int, object]]) -> list[tuple[str, int]]:
    """Front's request to back and back's reply to front: what follows the request to read_back."""
    start = next(index for index, (key, _, _) in enumerate(sent) if key.startswith(f"{back.name}."))
    request, reply = sent[start], sent[start + 1]
    return [(request[0], request[1]), (reply[1], reply[2])]


@pytest.mark.parametrize(("ask", "method", "mode"), [("ask_read", "look", NON_PERSISTENT),
                                                   ("ask_write", "change", PERSISTENT)])
def test_a_read_goes_and_comes_back_transient_and_a_write_persistent(container_factory, rabbit_config, published,
                                                                     ask, method, mode):
    for service in (Front, Back):
        container_factory(service, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config) as proxy:
        assert getattr(proxy, ask)({}) == {"asked": method}

    assert _between_front_and_back(published) == [
        (f"read_back.{method}", mode), (mode, {"result": {"asked": method}, "error": None})]


def test_a_read_of_a_service_nobody_runs_is_refused_at_once(container_factory, rabbit_config):
    container_factory(Front, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config, timeout=10) as proxy, pytest.raises(Exception) as refused:
        proxy.ask_nobody({})

    assert refused.value.exc_type == UnknownService.__name__
