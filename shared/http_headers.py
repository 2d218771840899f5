"""HTTP headers read without the email package, to the same result, for the plain header blocks most requests send.

`http.client.parse_headers` (what `http.server` and eventlet's WSGI server read each request's headers with, and
what http.client and urllib3 read each response's with) hands the header block to `email.parser`, whose generic
feed parser costs ~25 microseconds for a few headers. An SMS sent meets it six times on this platform (the
provider's request and answer, two status callbacks and their answers), more than anything else per message.

`parse_headers` here reads the lines exactly as the stdlib does (its own `_read_headers`: the same line and count
limits, the same errors) and, when every line is a plain `Name: value` line (a name of printable ASCII without
a colon, no folded continuation, no stray carriage return), builds the message as the email parser would build
it under the compat32 policy http.client uses: each header set raw, the value with leading blanks and the line
ending cut, an empty body. Anything else goes to the email parser itself, so it keeps deciding every unusual
header block (obsolete folding, a malformed line, a unix From line). tests/unit/test_http_headers.py holds the
two alike.

`install()` makes it http.client's `parse_headers`, in the processes whose entry points call it.
"""
from __future__ import annotations

import http.client
import re

_PLAIN_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r?\n")
_stock_parse_headers = http.client.parse_headers
_read_headers = getattr(http.client, "_read_headers", None)


def parse_headers(fp, _class=http.client.HTTPMessage):
    if _read_headers is None:  # a Python whose http.client reads differently: leave it to the stdlib
        return _stock_parse_headers(fp, _class)
    lines = _read_headers(fp)
    header_lines = lines[:-1] if lines and lines[-1] in (b"\r\n", b"\n", b"") else lines
    message = _class()
    for line in header_lines:
        if not _PLAIN_LINE.fullmatch(line):
            return _email_parsed(lines, _class)
        name, _, value = line.decode("iso-8859-1").partition(":")
        message.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
    message.set_payload("")
    return message


def _email_parsed(lines: list[bytes], message_class):
    import email.parser

    return email.parser.Parser(_class=message_class).parsestr(b"".join(lines).decode("iso-8859-1"))


def install() -> None:
    """Every later `http.client.parse_headers(...)` in this process (http.server, eventlet.wsgi, http.client and
    urllib3 responses) goes through `parse_headers`."""
    http.client.parse_headers = parse_headers
