"""Prometheus metrics (prometheus_client) from every process, on an HTTP port of the process's own.

Where: METRICS_ADDRESS (host:port, e.g. 0.0.0.0:9100 in a container); else, under `make run`, the PORT its
supervisor gives the process (the Procfile's convention for "the port this process may listen on", which nothing else here uses);
neither: no exporter. Each process exports its own series; Prometheus adds the process (pod, job) labels.

Queue depth and consumers come from RabbitMQ's own exporter (the rabbitmq_prometheus plugin), not from here.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from shared.settings import value

log = logging.getLogger(__name__)

ADDRESS_VARIABLE = "METRICS_ADDRESS"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

RPC_SECONDS = Histogram(
    "school_rpc_seconds", "Time a service took to answer an RPC, by method and outcome (ok or the error code)",
    ["service", "method", "outcome"], buckets=LATENCY_BUCKETS)
EVENTS_HANDLED = Counter(
    "school_events_handled_total", "Events a service handled, by event and outcome (ok, invalid, error, repeat)",
    ["service", "event", "outcome"])
OUTBOX_PUBLISHED = Counter(
    "school_outbox_published_total", "Events a service's outbox relay published with the broker's confirm",
    ["service"])
OUTBOX_PENDING = Gauge(
    "school_outbox_pending", "Events a service committed that its relay has not published yet", ["service"])
PROVIDER_CALL_SECONDS = Histogram(
    "school_provider_call_seconds", "Time one call to a provider (a batch of messages) took, by channel and "
    "whether the provider answered", ["channel", "answered"], buckets=LATENCY_BUCKETS)
PROVIDER_RECEIPTS = Counter(
    "school_provider_receipts_total", "What providers answered per message, by channel and outcome "
    "(accepted, hard_bounce, transient, ...)", ["channel", "outcome"])
SYNC_RUN_SECONDS = Histogram(
    "school_sync_run_seconds", "How long a roster run took from start to its end, by how it ended",
    ["state"], buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600))
SYNC_ROWS = Counter(
    "school_sync_rows_total", "Rows roster runs sent to the owning services, by entity and what became of them "
    "(created, updated, unchanged, skipped, failed)", ["entity", "result"])
OLDEST_QUEUED_SECONDS = Gauge(
    "school_oldest_queued_delivery_seconds", "How long the delivery queued longest has waited, by channel (0: none "
    "waits); measured by notify every minute", ["channel"])
WEBHOOK_LAG_SECONDS = Histogram(
    "school_webhook_lag_seconds", "From a provider's event (its own timestamp: SendGrid's events) to notify "
    "applying it", ["provider"], buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600))
DEPENDENCY_FAILURES = Counter(
    "school_dependency_failures_total", "Work a process could not do because something it depends on failed, by "
    "dependency and the failure's name (database_unreachable, database_read_only, database_busy, ...)",
    ["service", "dependency", "failure"])
HTTP_SECONDS = Histogram(
    "school_http_request_seconds", "Time the gateway took to answer a request, by route and status",
    ["route", "status"], buckets=LATENCY_BUCKETS)


class MetricsAddressError(ValueError):
    pass


def metrics_address(environ: Mapping[str, str] | None = None) -> tuple[str, int] | None:
    """(host, port) to serve /metrics on, or None; a malformed METRICS_ADDRESS stops the process at start."""
    configured = value(ADDRESS_VARIABLE, environ)
    if not configured:
        runner_port = value("PORT", environ) or ""
        return ("127.0.0.1", int(runner_port)) if runner_port.isdigit() else None
    host, _, port = configured.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise MetricsAddressError(f"{ADDRESS_VARIABLE} must be host:port (e.g. 0.0.0.0:9100), not {configured!r}")
    return host or "0.0.0.0", int(port)


def serve_metrics(process: str, environ: Mapping[str, str] | None = None) -> tuple[str, int] | None:
    """Starts the exporter for this process when an address is configured; a port already taken is logged, and
    the process runs on without metrics rather than not at all."""
    address = metrics_address(environ)
    if address is None:
        return None
    host, port = address
    try:
        start_http_server(port, addr=host)
    except OSError as taken:
        log.warning("%s: no metrics exporter on %s:%s (%s)", process, host, port, taken)
        return None
    log.info("%s: metrics on http://%s:%s/metrics", process, host, port)
    return address
