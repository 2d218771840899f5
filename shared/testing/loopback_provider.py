"""What the loopback rostering providers (classlink_fake.py, clever_fake.py) share: an HTTP server on 127.0.0.1 in
a thread of the test, the requests it served, and the scripting tests use to make it misbehave.

A provider answers `answer(method, target, headers, body) -> Answer`; before serving its roster it asks
`scripted(collection, query)`, which records the request and answers what a test queued with `then(...)`
(429, 500, HTML, garbage JSON, 401), after running the hooks `on_request(...)` registered (to change the
roster mid-run) when nothing was queued.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(status: int, document, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(document).encode(), {"Content-Type": "application/json", **(headers or {})})


# A provider's API: (method, target, headers, body) -> the answer.
Serve = Callable[[str, str, dict[str, str], bytes], "Answer"]


class LoopbackProvider:
    def __init__(self, serve: Serve) -> None:
        """`serve(method, target, headers, body)`: the provider's own API (its `answer`)."""
        self.requests: list[tuple[str, dict[str, str]]] = []  # (collection, query) of every authorised request
        self._scripted: list[tuple[str, Answer]] = []
        self._hooks: list[tuple[str, Callable[[dict[str, str]], None]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(serve))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- scripting ---------------------------------------------------------------------------

    def then(self, collection: str, *answers: Answer) -> None:
        """The next requests for `collection` get these answers, in order, instead of the roster."""
        with self._lock:
            self._scripted += [(collection, answer) for answer in answers]

    def on_request(self, collection: str, hook: Callable[[dict[str, str]], None]) -> None:
        """Run `hook(query)` before each request for `collection` is served."""
        self._hooks.append((collection, hook))

    # --- serving -----------------------------------------------------------------------------

    def scripted(self, collection: str, query: dict[str, str]) -> Answer | None:
        """Record an authorised request; the answer a test queued for it, else None (its hooks run first)."""
        with self._lock:
            self.requests.append((collection, query))
            queued = next((i for i, (name, _) in enumerate(self._scripted) if name == collection), None)
            if queued is not None:
                return self._scripted.pop(queued)[1]
        for name, hook in self._hooks:
            if name == collection:
                hook(query)
        return None


def _handler_for(serve: Serve) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The headers and the body go out as two writes: with Nagle on, the body waits for the client's delayed
        # ACK of the headers, about 40 ms a page on a kept-alive connection.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            self._serve(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _serve(self, body: bytes) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = serve(self.command, self.path, headers, body)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args) -> None:
            pass

    return Handler
