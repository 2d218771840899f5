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


# The words SECRET_VALUE's key must hold, in lower case.
SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "auth_key", "authorization",
                "signature")


def redact(text: str) -> str:
    """Every line a process logs passes here (the gateway's access line per request): a pattern whose literal is
    not in the line cannot match, so its search is skipped. Case-blind matching folds a few non-ASCII letters
    into ASCII ones (the Kelvin sign into k), so a line with any non-ASCII character is searched by every one."""
    if not text.isascii():
        return _redact_all(text)
    lower = text.lower()  # what no replacement below adds to: each keeps the words it matched or writes none
    if "://" in text:
        text = URL_PASSWORD.sub(rf"\g<head>{REDACTED}", text)
    if "eyJ" in text:
        text = JWT.sub(REDACTED, text)
    if "bearer" in lower or "basic" in lower:
        text = BEARER.sub(rf"\1 {REDACTED}", text)
    if any(word in lower for word in SECRET_WORDS):
        text = SECRET_VALUE.sub(rf"\g<key>\g<sep>{REDACTED}", text)
    if "@" in text:
        text = EMAIL.sub(r"\1***@\2", text)
    return PHONE.sub(r"+***\1", text) if "+" in text else text


def _redact_all(text: str) -> str:
    text = URL_PASSWORD.sub(rf"\g<head>{REDACTED}", text)
    text = JWT.sub(REDACTED, text)
    text = BEARER.sub(rf"\1 {REDACTED}", text)
    text = SECRET_VALUE.sub(rf"\g<key>\g<sep>{REDACTED}", text)
    text = EMAIL.sub(r"\1***@\2", text)
    return PHONE.sub(r"+***\1", text)
