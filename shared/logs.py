"""Structured logs: one JSON object per line when LOG_FORMAT=json, readable lines otherwise."""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextvars import ContextVar

# The request a log line was written for (the gateway's X-Request-Id); set per request, per green thread.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


# Fields a log call may add with `extra=` that become keys of the JSON line (e.g. the gateway's access log).
STRUCTURED_FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    converter = time.gmtime  # timestamps in UTC, written with their zone

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for name in STRUCTURED_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    if os.environ.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), handlers=[handler], force=True)
