"""Thin seams between the contracts and nameko.

Services never name another service or event with a bare string: they declare
entrypoints with `rpc_endpoint(contract_method)` and `handles(contract_event)`,
call others through `ServiceRpc(contract)` and publish through their outbox
(`Outbox(contract)`, shared/outbox.py; `EventPublisher(contract)` publishes at
once, for a stand-in without a database). Every payload is validated against its
schema on the way in and dumped through it on the way out.
"""
from __future__ import annotations

import functools
import logging
import time
from contextlib import contextmanager

from nameko.constants import NON_PERSISTENT
from nameko.events import EventDispatcher, event_handler
from nameko.rpc import MethodProxy, RpcProxy
from nameko.standalone.rpc import ClusterRpcProxy

from shared import amqp_producers, fast_json
from shared.callers import credential_context
from shared.contracts.base import Event, RpcMethod, ServiceContract, event_id_of
from shared.contracts.callers import PLATFORM_SERVICE_CONTEXT_KEY
from shared.contracts.errors import ALL_ERRORS, InvalidRequest, PlatformError, register_with_nameko
from shared.metrics import EVENTS_HANDLED, RPC_SECONDS
from shared.platform_identity import PlatformIdentity
from shared.request_tracing import carry_request_id
from shared.rpc_replies import Rpc

register_with_nameko()
amqp_producers.install()
fast_json.install_kombu_reader()  # JSON messages read through orjson where it reads what kombu reads

log = logging.getLogger(__name__)

DEFAULT_RPC_TIMEOUT = 120
# The attribute every service declares its shared.callers.CallerVerification as.
CALLERS_ATTRIBUTE = "callers"
# The attribute a consuming service declares its shared.outbox.ProcessedEvents as.
PROCESSED_EVENTS_ATTRIBUTE = "processed_events"
# The attribute a publishing service declares its shared.outbox.Outbox as.
PUBLISH_ATTRIBUTE = "publish"


def _flush_events(service) -> None:
    """The handler returned: what it published goes out before its answer (shared.outbox.OutboxPublisher)."""
    flush = getattr(getattr(service, PUBLISH_ATTRIBUTE, None), "flush", None)
    if callable(flush):
        flush()


def rpc_endpoint(method: RpcMethod, *, without_worker: bool = False):
    """Declare a nameko RPC entrypoint that implements `method` of a contract. A `read` method's reply is
    transient and need not wait for the broker's confirm (shared/rpc_replies.py says why that is safe);
    `without_worker`: a read answered without a nameko worker (shared/reads_without_worker.py)."""

    def decorate(fn):
        if fn.__name__ != method.name:
            raise TypeError(f"{fn.__name__} implements {method.service}.{method.name}: names must match")

        @functools.wraps(fn)
        def entry(self, request=None):
            started, outcome = time.perf_counter(), "error"
            try:
                loaded = method.load_request(request)
                # Who may call it (shared/callers.py): the service's `callers`; absent only from test stand-ins,
                # and tests/unit/test_contracts.py holds every real service to declaring it.
                callers = getattr(self, CALLERS_ATTRIBUTE, None)
                if callers is not None:
                    callers.admit(method, loaded)
                answer = method.dump_response(fn(self, loaded))
                _flush_events(self)
                outcome = "ok"
                return answer
            except PlatformError as refused:
                outcome = refused.code
                raise
            finally:
                RPC_SECONDS.labels(method.service, method.name, outcome).observe(time.perf_counter() - started)

        entry.contract_method = method
        return Rpc.decorator(expected_exceptions=ALL_ERRORS, read=method.read, without_worker=without_worker)(entry)

    return decorate


def handles(event: Event, **handler_options):
    """Declare a nameko event handler for a contract event; the method receives the loaded payload.

    Events arrive at least once (shared/outbox.py): a service that declares `processed_events` handles
    each event id once; a repeat is acknowledged and changes nothing."""

    def decorate(fn):
        @functools.wraps(fn)
        def entry(self, payload):
            def count(outcome: str) -> None:
                EVENTS_HANDLED.labels(getattr(self, "name", "?"), f"{event.service}.{event.name}", outcome).inc()

            try:
                loaded = event.load(payload)
            except InvalidRequest as invalid:
                # A payload that breaks its schema will never load: requeueing it would loop
                # forever, so it is dropped loudly (with the reasons) instead.
                log.error("dropping invalid %s.%s payload: %s", event.service, event.name, invalid.fields)
                count("invalid")
                return None
            event_id = event_id_of(payload)
            processed = getattr(self, PROCESSED_EVENTS_ATTRIBUTE, None) if event_id else None
            if processed is not None and processed.already(event_id):
                count("repeat")
                return None
            try:
                result = fn(self, loaded)
            except Exception:
                count("error")
                raise
            _flush_events(self)
            if processed is not None:
                processed.remember(event_id, f"{event.service}.{event.name}")
            count("ok")
            return result

        entry.contract_event = event
        return event_handler(event.service, event.name, **handler_options)(entry)

    return decorate


class _CheckedProxy:
    """Exposes only the methods a contract declares, validating each request; `before_call()` runs before
    each call (a platform service puts its own token in the context there)."""

    def __init__(self, contract: ServiceContract, proxy, before_call=lambda: None):
        self._contract = contract
        self._proxy = proxy
        self._before_call = before_call

    def __getattr__(self, name):
        method = self._contract.rpcs.get(name)
        if method is None:
            raise AttributeError(f"{self._contract.name} declares no RPC method {name!r}")
        remote = getattr(self._proxy, name)
        if method.read and isinstance(remote, MethodProxy):
            # nameko builds a MethodProxy, and its Publisher, afresh for every lookup: only this call's request
            # goes out transient (shared/rpc_replies.py says why a read's messages need not be persistent). A
            # test's stand-in for a service, with no broker behind it, has no publisher to set.
            remote.publisher.delivery_mode = NON_PERSISTENT

        def call(payload: dict | None = None, **fields):
            request = method.dump_request(payload if payload is not None else fields)
            self._before_call()
            return remote(request)

        def call_async(payload: dict | None = None, **fields):
            request = method.dump_request(payload if payload is not None else fields)
            self._before_call()
            return remote.call_async(request)

        call.call_async = call_async
        return call


class ServiceRpc(RpcProxy):
    """An RPC proxy to another service, limited to what its contract declares; every call carries the calling
    service's platform token when the service declares a PlatformIdentity (shared/platform_identity.py)."""

    def __init__(self, contract: ServiceContract, **options):
        super().__init__(contract.name, **options)
        self.contract = contract

    def setup(self) -> None:
        super().setup()
        self.platform = next((dependency for dependency in self.container.dependencies
                              if isinstance(dependency, PlatformIdentity)), None)

    def get_dependency(self, worker_ctx):
        def before_call() -> None:
            carry_request_id(worker_ctx)
            if self.platform is not None:
                self.platform.present(worker_ctx)

        return _CheckedProxy(self.contract, self.service_proxy(worker_ctx), before_call)

    def service_proxy(self, worker_ctx):
        """The nameko proxy the contract's calls go through (the gateway's publishes its reads' requests on a
        kept channel: services/gateway/read_requests.py)."""
        return super().get_dependency(worker_ctx)


class EventPublisher(EventDispatcher):
    """Publishes only the events the owning service's contract declares, at once and without an event id (the
    platform's services publish through shared.outbox.Outbox instead)."""

    def __init__(self, contract: ServiceContract, **options):
        super().__init__(**options)
        self.contract = contract

    def get_dependency(self, worker_ctx):
        dispatch = super().get_dependency(worker_ctx)
        contract = self.contract

        def publish(event: Event, payload: dict) -> None:
            if contract.events.get(event.name) is not event:
                raise ValueError(f"{contract.name} does not publish {event.service}.{event.name}")
            dispatch(event.name, event.dump(payload))

        return publish


@contextmanager
def cluster_rpc(amqp_uri: str, timeout: float = DEFAULT_RPC_TIMEOUT, credential: str | None = None,
                platform_token: str | None = None):
    """RPC from plain scripts (CLI, tests): `with cluster_rpc(uri) as rpc: rpc(directory.contract).get_schools()`.

    `credential`: an assertion or service token identity issued (shared/contracts/callers.py), sent with
    every call of the block; `platform_token`: a platform service's own token (tests that stand in for one)."""
    context = {**credential_context(credential),
               **({PLATFORM_SERVICE_CONTEXT_KEY: platform_token} if platform_token else {})}
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout, context_data=context) as proxy:
        yield lambda contract: _CheckedProxy(contract, getattr(proxy, contract.name))
