"""A read declared `without_worker` is answered over the real broker without a nameko worker, and keeps what the
worker gave it: the call id stack, the request id, the caller's context, only the dependencies it asks for made,
every provider's hooks, the error its caller gets, the bound of max_workers, a stop that answers the reads in
hand first, a container killed by an error that escapes a read (shared/reads_without_worker.py)."""
from __future__ import annotations

import eventlet
import pytest
from eventlet.event import Event
from marshmallow import Schema, fields
from nameko.containers import ServiceContainer
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ServiceRpcProxy

from shared import reads_without_worker
from shared.contracts.base import ServiceContract
from shared.contracts.errors import NotFound
from shared.logs import REQUEST_ID
from shared.messaging import rpc_endpoint
from shared.reads_without_worker import ReadsInHand
from shared.request_tracing import REQUEST_ID_CONTEXT_KEY, RequestTracing
from shared.rpc_replies import Rpc


class Asked(Schema):
    what = fields.String(load_default="look")


class Seen(Schema):
    request_id = fields.String(allow_none=True)
    call_id_stack = fields.List(fields.String())
    note = fields.String(allow_none=True)
    used = fields.String(allow_none=True)


contract = ServiceContract("worker_less")
look = contract.rpc("look", request=Asked, response=Seen, read=True)
look_by_worker = contract.rpc("look_by_worker", request=Asked, response=Seen, read=True)
change = contract.rpc("change", request=Asked, response=Seen)

events: list[str] = []
gate: dict[str, Event] = {}  # "release": what a slow read waits for, made anew for each test


class Recorded(DependencyProvider):
    """A dependency that says when it is made, and when each of its hooks and its stop run."""

    def __init__(self, label: str) -> None:
        self.label = label

    def get_dependency(self, worker_ctx):
        events.append(f"{self.label}.made")
        return self.label

    def worker_setup(self, worker_ctx):
        events.append(f"{self.label}.setup")

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        events.append(f"{self.label}.result:{'error' if exc_info else 'ok'}")

    def worker_teardown(self, worker_ctx):
        events.append(f"{self.label}.teardown")

    def stop(self):
        events.append(f"{self.label}.stopped")


class Made(DependencyProvider):
    """A dependency with no hooks, that says when it is made."""

    def get_dependency(self, worker_ctx):
        events.append("unused.made")
        return "unused"


def seen(service, request) -> dict:
    if request["what"] == "missing":
        raise NotFound("no such person")
    if request["what"] == "broken":
        raise ValueError("a bug")
    if request["what"] == "slow":
        events.append("read.began")
        gate["release"].wait()
        events.append("read.answered")
    worker_ctx = service.used_ctx  # the context the read's dependencies were made for
    return {"request_id": REQUEST_ID.get(), "call_id_stack": worker_ctx.call_id_stack,
            "note": worker_ctx.data.get("note"), "used": service.used}


class ContextSeen(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx


class WorkerLess:
    name = contract.name
    tracing = RequestTracing()
    used = Recorded("used")
    unused = Made()
    used_ctx = ContextSeen()

    @rpc_endpoint(look, without_worker=True)
    def look(self, request):
        return seen(self, request)

    @rpc_endpoint(look_by_worker)
    def look_by_worker(self, request):
        return seen(self, request)

    @rpc_endpoint(change)
    def change(self, request):
        return seen(self, request)


@pytest.fixture
def started(container_factory, rabbit_config):
    events.clear()
    gate["release"] = Event()
    container = container_factory(WorkerLess, rabbit_config)
    container.start()
    return container


@pytest.fixture
def workers_spawned(started, monkeypatch):
    spawned: list[str] = []
    original = ServiceContainer.spawn_worker

    def counting(self, entrypoint, *args, **kwargs):
        spawned.append(entrypoint.method_name)
        return original(self, entrypoint, *args, **kwargs)

    monkeypatch.setattr(ServiceContainer, "spawn_worker", counting)
    return spawned


def test_a_read_without_worker_spawns_none_and_a_write_and_a_read_by_worker_still_do(started, rabbit_config,
                                                                                      workers_spawned):
    with ServiceRpcProxy(contract.name, rabbit_config, timeout=10) as proxy:
        assert proxy.look({})["used"] == "used"
        assert proxy.look_by_worker({})["used"] == "used"
        assert proxy.change({})["used"] == "used"

    assert workers_spawned == ["look_by_worker", "change"]


def test_a_read_sees_its_callers_request_id_context_and_a_call_id_stack_of_its_own(started, rabbit_config):
    with ServiceRpcProxy(contract.name, rabbit_config, timeout=10,
                         context_data={REQUEST_ID_CONTEXT_KEY: "req-1", "note": "the caller's",
                                       "call_id_stack": ["gateway.search_people.abc"]}) as proxy:
        first, second = proxy.look({}), proxy.look({})

    assert first["request_id"] == second["request_id"] == "req-1"
    assert first["note"] == "the caller's"
    assert first["call_id_stack"][0] == "gateway.search_people.abc"
    assert first["call_id_stack"][-1].startswith("worker_less.look.")
    assert first["call_id_stack"][-1] != second["call_id_stack"][-1]
    assert REQUEST_ID.get() is None  # set only in the read's own green thread


def test_a_read_with_no_request_id_gets_one_of_its_own(started, rabbit_config):
    with ServiceRpcProxy(contract.name, rabbit_config, timeout=10) as proxy:
        first, second = proxy.look({}), proxy.look({})

    assert first["request_id"] and second["request_id"] and first["request_id"] != second["request_id"]


def test_a_read_makes_only_the_dependencies_it_asks_for_and_runs_every_providers_hooks(started, rabbit_config):
    with ServiceRpcProxy(contract.name, rabbit_config, timeout=10) as proxy:
        proxy.look({})
        answered = list(events)
        proxy.look_by_worker({})

    assert answered == ["used.setup", "used.made", "used.result:ok", "used.teardown"]
    assert "unused.made" in events[len(answered):]  # a worker makes them all


@pytest.mark.parametrize("what", ["missing", "broken", "unknown field"])
def test_a_reads_error_reaches_its_caller_as_a_workers_does(started, rabbit_config, what):
    request = {"what": what} if what != "unknown field" else {"whom": "x"}
    refused = {}
    with ServiceRpcProxy(contract.name, rabbit_config, timeout=10) as proxy:
        for method in ("look", "look_by_worker"):
            with pytest.raises(Exception) as error:
                getattr(proxy, method)(request)
            # The one difference allowed: an invalid request's message names its method.
            refused[method] = (type(error.value).__name__, getattr(error.value, "exc_type", None),
                               str(error.value).replace(method, "<method>"))
        assert proxy.look({})["used"] == "used"  # and the service answers the next one

    assert refused["look"] == refused["look_by_worker"]
    assert events.count("used.result:error") == 2


def test_a_stopping_service_answers_the_read_in_hand_before_its_dependencies_stop(started, rabbit_config):
    with ServiceRpcProxy(contract.name, rabbit_config, timeout=10) as proxy:
        reply = proxy.look.call_async({"what": "slow"})
        with eventlet.Timeout(10):
            while "read.began" not in events:
                eventlet.sleep(0.01)
        stopping = eventlet.spawn(started.stop)
        eventlet.sleep(0.3)
        gate["release"].send()
        answer = reply.result()
        stopping.wait()

    assert answer["used"] == "used"
    assert events.index("read.answered") < events.index("used.stopped")


def a_read_kills_the_container(started, rabbit_config) -> None:
    """Ask for a read and wait until the error it meets kills the container."""
    with ServiceRpcProxy(contract.name, rabbit_config, timeout=2) as proxy:
        proxy.look.call_async({})
        with pytest.raises(RuntimeError), eventlet.Timeout(10):
            started.wait()


def test_an_error_that_escapes_a_read_kills_the_container_as_a_workers_does(started, rabbit_config, monkeypatch):
    def escaping(*args, **kwargs):
        raise RuntimeError("lost")

    monkeypatch.setattr(reads_without_worker, "answer_read", escaping)
    a_read_kills_the_container(started, rabbit_config)


def test_a_reads_hooks_tear_down_even_when_its_reply_cannot_be_sent(started, rabbit_config, monkeypatch):
    # As nameko's worker does: the session closed and the request id reset, even as the error kills the container.
    def unsendable(self, message, worker_ctx, result, exc_info):
        raise RuntimeError("the reply could not go out")

    monkeypatch.setattr(Rpc, "handle_result", unsendable)
    a_read_kills_the_container(started, rabbit_config)

    assert events[:2] == ["used.setup", "used.made"]
    assert "used.teardown" in events
    assert not any(event.startswith("used.result") for event in events)


def test_at_most_max_workers_reads_are_in_hand_and_the_next_waits_its_turn(monkeypatch):
    class Container:
        max_workers = 2
        service_cls = WorkerLess
        dependencies = ()

    reads = ReadsInHand()
    reads.container = Container()
    reads.setup()
    gates = [Event() for _ in range(3)]
    in_hand: list[int] = []

    def answering(_reads, number, *args):
        in_hand.append(number)
        gates[number].wait()

    monkeypatch.setattr(reads_without_worker, "answer_read", answering)
    third = eventlet.spawn(lambda: [reads.answer(number, None, None, None, None) for number in range(3)])
    eventlet.sleep(0.1)
    assert in_hand == [0, 1]  # the third waits, as the consumer waits for a free worker
    gates[0].send()
    eventlet.sleep(0.1)
    assert in_hand == [0, 1, 2]
    gates[1].send(), gates[2].send()
    third.wait()
    reads.wait_for_those_in_hand()
