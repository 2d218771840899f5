"""shared/http_headers.py reads every header block to the same message as http.client's own parse_headers."""
from __future__ import annotations

import http.client
import io
import itertools

import pytest

from shared.http_headers import parse_headers

_stock = http.client.parse_headers


def _described(message) -> tuple:
    return (type(message), message.items(), message.get_payload(), [type(d) for d in message.defects],
            message.get_unixfrom(), message.get_all("x-twilio-signature"), message.get("content-length"),
            message.as_string())


def _both(block: bytes):
    try:
        ours = ("read", _described(parse_headers(io.BytesIO(block))))
    except (http.client.HTTPException, http.client.LineTooLong) as error:
        ours = ("refused", type(error), str(error))
    try:
        theirs = ("read", _described(_stock(io.BytesIO(block))))
    except (http.client.HTTPException, http.client.LineTooLong) as error:
        theirs = ("refused", type(error), str(error))
    return ours, theirs


BLOCKS = [
    b"Host: 127.0.0.1:8080\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
    b"X-Twilio-Signature: abc+/=\r\nUser-Agent: TwilioProxy/1.1\r\nContent-Length: 212\r\n\r\nbody follows",
    b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n",
    b"A: 1\nB:2\n\n",
    b"A:\t  spaced \t\r\nB:\r\n\r\n",
    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nset-cookie: c=3\r\n\r\n",
    b"X-Long: first\r\n  folded second\r\n\r\n",
    b"\tstarts folded\r\nA: 1\r\n\r\n",
    b"From someone@example.org Mon Jan  1 00:00:00 2024\r\nA: 1\r\n\r\n",
    b"no colon here\r\nA: 1\r\n\r\n",
    b": empty name\r\nA: 1\r\n\r\n",
    b"Bad Name: has a space\r\n\r\n",
    b"A: carriage\rreturn\r\n\r\n",
    b"A: caf\xe9 \xff\r\n\r\n",
    b"A: 1\r\nB: 2",
    b"A: 1\r\n",
    b"",
    b"\r\n",
    b"A: " + b"x" * 70000 + b"\r\n\r\n",
    b"".join(b"H%d: v\r\n" % n for n in range(101)) + b"\r\n",
    b"".join(b"H%d: v\r\n" % n for n in range(100)) + b"\r\n",
]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: repr(block[:40]))
def test_a_header_block_reads_as_the_stdlib_reads_it(block):
    ours, theirs = _both(block)

    assert ours == theirs


@pytest.mark.parametrize("line", [
    b"".join(parts) for parts in itertools.product(
        [b"X-A", b"x", b"", b"X A", b"\x7f", b"\xe9"], [b":", b""], [b"", b" ", b"\t"], [b"v", b"", b" v ", b"\x00v"],
        [b"\r\n", b"\n", b"\r"])])
def test_any_single_line_reads_as_the_stdlib_reads_it(line):
    ours, theirs = _both(line + b"Next: 1\r\n\r\n")

    assert ours == theirs


def test_the_rest_of_the_stream_is_left_unread():
    stream = io.BytesIO(b"A: 1\r\n\r\nthe body")

    parse_headers(stream)

    assert stream.read() == b"the body"


def test_installed_it_reads_a_real_request_and_its_answer(monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from shared import http_headers

    monkeypatch.setattr(http.client, "parse_headers", http.client.parse_headers)  # put back after the test
    http_headers.install()
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            seen["headers"] = self.headers.items()
            seen["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(201)
            self.send_header("Content-Length", "2")
            self.send_header("X-Answer", "yes")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        connection = http.client.HTTPConnection(*server.server_address, timeout=5)
        for _ in range(2):  # the same keep-alive connection
            connection.request("POST", "/x", body=b"a=1", headers={"X-Twilio-Signature": "s+/="})
            response = connection.getresponse()
            assert (response.status, response.headers["X-Answer"], response.read()) == (201, "yes", b"ok")
        assert ("X-Twilio-Signature", "s+/=") in seen["headers"] and seen["body"] == b"a=1"
        assert http.client.parse_headers is http_headers.parse_headers
    finally:
        server.shutdown()
        server.server_close()
