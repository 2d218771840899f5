"""X-Request-Id: the caller's id for a request, kept when it is a sane token, made up when absent.

Echoed on every answer and written on the gateway's log lines, so a frontend's report and the logs meet.
An id that is not a short token (spaces, control characters, 200 characters) is replaced, never echoed:
a header the gateway repeats must not let a caller write into answers or logs.
"""
from __future__ import annotations

import re
import uuid

HEADER = "X-Request-Id"
MAX_LENGTH = 128
_ACCEPTED = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:+=/-]{{0,{MAX_LENGTH - 1}}}")


def request_id(sent: str | None) -> str:
    """The id the caller sent when it is acceptable, else a new one."""
    if sent is not None and _ACCEPTED.fullmatch(sent):
        return sent
    return uuid.uuid4().hex
