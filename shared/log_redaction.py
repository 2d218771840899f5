"""What never reaches a log line: secrets, tokens and passwords, and people's full email addresses and phone numbers.

Applied to every formatted line (message and traceback alike), so a careless `log.info("%s", payload)` cannot leak
what the payload holds. An email keeps its first character and its domain, a phone its last four digits: enough for
support to tell two people apart, not enough to contact anyone.
"""
from __future__ import annotations

import re

EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b")
PHONE = re.compile(r"\+\d{4,11}(\d{4})\b")
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# key=value or "key": "value" for keys that hold secrets, in query strings, form bodies, JSON and reprs alike.
SECRET_VALUE = re.compile(
    r"""(?P<key>\b[\w-]*(?:password|passwd|secret|token|api_key|apikey|auth_key|authorization|signature)[\w-]*)"""
    r"""(?P<sep>["']?\s*[:=]\s*["']?)(?P<value>[^\s"',&}]+)""", re.IGNORECASE)
# URLs that carry a password: scheme://user:password@host
URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(?=@)", re.IGNORECASE)

REDACTED = "[redacted]"


def redact(text: str) -> str:
    text = URL_PASSWORD.sub(rf"\g<head>{REDACTED}", text)
    text = JWT.sub(REDACTED, text)
    text = BEARER.sub(rf"\1 {REDACTED}", text)
    text = SECRET_VALUE.sub(rf"\g<key>\g<sep>{REDACTED}", text)
    text = EMAIL.sub(r"\1***@\2", text)
    return PHONE.sub(r"+***\1", text)
