"""Structured logs: one JSON object per line when LOG_FORMAT=json, readable lines otherwise.

Every line names the service that wrote it and, when it was written for a request, the request's id (the
gateway's X-Request-Id, carried through every RPC and event: shared/request_tracing.py). Every line is redacted
(shared/log_redaction.py).
"""
from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar

from shared.log_redaction import redact
from shared.settings import value

# The request a log line was written for (the gateway's X-Request-Id); set per request, per green thread.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


# Fields a log call may add with `extra=` that become keys of the JSON line (e.g. the gateway's access log).
STRUCTURED_FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    converter = time.gmtime  # timestamps in UTC, written with their zone

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for name in STRUCTURED_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry)


class ReadableFormatter(logging.Formatter):
    """For a terminal: time, level, service, request id when there is one, logger and message; redacted too."""

    def __init__(self, service: str | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.prefix = f"[{service}] " if service else ""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        line = self.prefix + super().format(record)
        return redact(f"{line} (request {request_id})" if request_id else line)


def configure_logging(service: str | None = None) -> None:
    """`service`: what each line names as its writer (the process's services, e.g. "notify" or "notify-worker")."""
    handler = logging.StreamHandler(sys.stdout)
    if value("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(ReadableFormatter(service))
    logging.basicConfig(level=value("LOG_LEVEL"), handlers=[handler], force=True)
    # pika narrates every connection it opens and closes at INFO, a dozen lines a publish; its warnings stay.
    logging.getLogger("pika").setLevel(logging.WARNING)
