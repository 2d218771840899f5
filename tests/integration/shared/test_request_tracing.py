"""A request id given to the first service reaches every service its work calls or notifies, over real RPC and
events on the broker, and is the REQUEST_ID each of those workers logs with; work nobody asked for gets its own."""
from __future__ import annotations

import eventlet
from marshmallow import Schema, fields
from nameko.standalone.rpc import ServiceRpcProxy

from shared.contracts.base import ServiceContract
from shared.logs import REQUEST_ID
from shared.messaging import EventPublisher, ServiceRpc, handles, rpc_endpoint
from shared.request_tracing import REQUEST_ID_CONTEXT_KEY, RequestTracing


class Nothing(Schema):
    pass


class Seen(Schema):
    request_id = fields.String(allow_none=True)


front = ServiceContract("tracing_front")
back = ServiceContract("tracing_back")
front_call = front.rpc("call_back", request=Nothing, response=Seen)
back_answer = back.rpc("answer", request=Nothing, response=Seen)
back_done = back.event("answered", Seen)
seen_by_listener: list[str | None] = []


class Front:
    name = front.name
    tracing = RequestTracing()
    back_rpc = ServiceRpc(back)

    @rpc_endpoint(front_call)
    def call_back(self, request):
        return self.back_rpc.answer()


class Back:
    name = back.name
    tracing = RequestTracing()
    publish = EventPublisher(back)

    @rpc_endpoint(back_answer)
    def answer(self, request):
        self.publish(back_done, {"request_id": REQUEST_ID.get()})
        return {"request_id": REQUEST_ID.get()}


class Listener:
    name = "tracing_listener"
    tracing = RequestTracing()

    @handles(back_done)
    def on_answered(self, payload):
        seen_by_listener.append(REQUEST_ID.get())


def wait_for_listener(count: int) -> None:
    with eventlet.Timeout(10):
        while len(seen_by_listener) < count:
            eventlet.sleep(0.05)


def test_the_callers_request_id_travels_through_rpc_and_events(container_factory, rabbit_config):
    seen_by_listener.clear()
    for service in (Front, Back, Listener):
        container_factory(service, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config,
                         context_data={REQUEST_ID_CONTEXT_KEY: "req-from-the-gateway"}) as proxy:
        answer = proxy.call_back({})

    assert answer == {"request_id": "req-from-the-gateway"}
    wait_for_listener(1)
    assert seen_by_listener == ["req-from-the-gateway"]


def test_work_nobody_asked_for_gets_an_id_of_its_own_each_time(container_factory, rabbit_config):
    seen_by_listener.clear()
    for service in (Front, Back, Listener):
        container_factory(service, rabbit_config).start()

    with ServiceRpcProxy(front.name, rabbit_config) as proxy:
        first, second = proxy.call_back({}), proxy.call_back({})

    assert first["request_id"] and second["request_id"] and first["request_id"] != second["request_id"]
    wait_for_listener(2)
    assert sorted(seen_by_listener) == sorted([first["request_id"], second["request_id"]])
