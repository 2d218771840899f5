"""The sandbox's HTTP side: stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive, Nagle off.

A thread per connection suits the load it sees (a few keep-alive clients);
without `disable_nagle_algorithm` every keep-alive answer would stall ~40 ms
(PLATFORM-NOTES "Nagle stall"). Responses are buffered and leave in one write.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from services.sandbox import control, fcm_api, sendgrid_api, twilio_api
from services.sandbox.deepl_api import TranslatorBehaviour
from services.sandbox.config import SandboxConfig
from services.sandbox.dispatcher import SendGridEventBatcher, WebhookDispatcher
from services.sandbox.state import ApiAnswer, Sandbox, json_answer

log = logging.getLogger("sandbox")

TWILIO_RESOURCE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Messages|Calls)\.json$")
MAX_BODY_BYTES = 32 * 1024 * 1024  # a 1,000-recipient mail send is well under a megabyte


class SandboxApp:
    """Routes a parsed request to the API it imitates and posts the webhooks it leaves behind."""

    def __init__(self, config: SandboxConfig) -> None:
        self.sandbox = Sandbox(config)
        self.translator = TranslatorBehaviour()
        self.fcm = fcm_api.FcmSandbox(self.sandbox.log, config.fcm_service_account_json)
        self.dispatcher = WebhookDispatcher(config.webhook_workers)
        self.batcher = SendGridEventBatcher(self.dispatcher, self.sandbox.signing_key,
                                            lambda: self.sandbox.sendgrid_events_url, config.event_flush_seconds)

    def start(self) -> None:
        self.dispatcher.start()
        self.batcher.start()

    def stop(self) -> None:
        self.batcher.stop()
        self.dispatcher.stop()

    def handle(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
               body: bytes) -> ApiAnswer:
        sandbox = self.sandbox
        if method == "POST" and (match := TWILIO_RESOURCE.match(path)):
            endpoint = "twilio_" + match["resource"].lower()
            sandbox.log.count_request(endpoint)
            refused = twilio_api.check_auth(sandbox, match["account"], headers.get("Authorization"))
            if refused:
                return refused
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            _answer_late(sandbox)
            create = twilio_api.create_message if match["resource"] == "Messages" else twilio_api.create_call
            return create(sandbox, form)
        if method == "POST" and path == "/v3/mail/send":
            sandbox.log.count_request("sendgrid_mail_send")
            _answer_late(sandbox)
            return sendgrid_api.check_auth(sandbox, headers.get("Authorization")) or \
                sendgrid_api.mail_send(sandbox, body)
        if match := sendgrid_api.SUPPRESSION_PATH.match(path):
            sandbox.log.count_request("sendgrid_suppression")
            return sendgrid_api.check_auth(sandbox, headers.get("Authorization")) or \
                sendgrid_api.suppression(sandbox, method, match)
        if method == "POST" and path == "/v2/translate":
            sandbox.log.count_request("deepl_translate")
            return self.translator.translate(sandbox, headers.get("Authorization"), body)
        if method == "POST" and path == fcm_api.TOKEN_PATH:
            return self.fcm.issue_token(body)
        if method == "POST" and (match := fcm_api.SEND_PATH.match(path)):
            return self.fcm.send(match["project"], headers.get("Authorization"), body)
        return self._control(method, path, query, body)

    def _control(self, method: str, path: str, query: Mapping[str, str], body: bytes) -> ApiAnswer:
        sandbox = self.sandbox
        routes = {
            ("GET", "/sandbox/health"): lambda: json_answer(200, {"status": "ok"}),
            ("GET", "/sandbox/messages"): lambda: control.list_messages(sandbox, query),
            ("GET", "/sandbox/messages/count"): lambda: control.count_messages(sandbox, query),
            ("DELETE", "/sandbox/messages"): lambda: control.clear_messages(sandbox),
            ("GET", "/sandbox/rules"): lambda: control.list_rules(sandbox),
            ("POST", "/sandbox/rules"): lambda: control.add_rule(sandbox, body),
            ("POST", "/sandbox/inbound-sms"): lambda: control.inbound_sms(sandbox, body),
            ("POST", "/sandbox/inbound-email"): lambda: control.inbound_email(sandbox, body),
            ("POST", "/sandbox/config"): lambda: control.configure(sandbox, body),
            ("GET", "/sandbox/latency"): lambda: control.provider_latency(sandbox),
            ("POST", "/sandbox/latency"): lambda: control.set_provider_latency(sandbox, body),
            ("POST", "/sandbox/reset"): self._reset,
            ("GET", "/sandbox/stats"): lambda: control.stats(sandbox, self._webhook_stats),
            ("GET", "/sandbox/sendgrid/public-key"): lambda: control.public_key(sandbox),
            ("GET", "/sandbox/translator"): self.translator.describe,
            ("POST", "/sandbox/translator"): lambda: self.translator.configure(body),
            ("GET", "/sandbox/pushes"): lambda: self.fcm.pushes(query),
            ("POST", "/sandbox/push/tokens"): lambda: self.fcm.set_fate(body),
        }
        route = routes.get((method, path))
        if route is not None:
            return route()
        if any(known_path == path for _, known_path in routes):
            return json_answer(405, {"error": f"{method} is not allowed on {path}"})
        return json_answer(404, {"error": f"no such endpoint: {method} {path}"})

    def _reset(self) -> ApiAnswer:
        """Webhooks not yet posted belong to the forgotten past too (a test's leftovers)."""
        self.batcher.discard_pending()
        self.dispatcher.discard_pending()
        self.translator.reset()
        self.fcm.reset()
        return control.reset(self.sandbox)

    def _webhook_stats(self) -> dict:
        return {**self.dispatcher.stats(), "sendgrid_events_discarded": self.batcher.discarded}

    def after_answer(self, answer: ApiAnswer) -> None:
        for callback in answer.callbacks:
            self.dispatcher.submit(callback)
        if answer.events:
            self.batcher.add(answer.events)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # headers and body go out in one send(), flushed after each request
    timeout = 120  # an idle keep-alive connection gives its thread back after this
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = self._content_length()
        if isinstance(length, ApiAnswer):
            # The unread body would be taken for the next request: close after answering.
            self._write(replace(length, headers={**length.headers, "Connection": "close"}))
            return
        body = self.rfile.read(length) if length else b""
        path, _, query_string = self.path.partition("?")
        app = self.server.app
        answer = app.handle(method, path, dict(parse_qsl(query_string)), self.headers, body)
        self._write(answer)
        app.after_answer(answer)

    def _content_length(self) -> int | ApiAnswer:
        """The body's length, or the refusal: the SDKs always send Content-Length, never chunks."""
        if self.headers.get("Transfer-Encoding"):
            return json_answer(411, {"error": "send the body with a Content-Length"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return json_answer(400, {"error": "Content-Length must be a whole number"})
        if length > MAX_BODY_BYTES:
            return json_answer(413, {"error": f"bodies over {MAX_BODY_BYTES} bytes are refused"})
        return length

    def _write(self, answer: ApiAnswer) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if answer.body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.app.sandbox.config.verbose:
            log.info("%s %s", self.address_string(), format % args)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, app: SandboxApp, address: tuple[str, int]) -> None:
        self.app = app
        super().__init__(address, SandboxRequestHandler)

    def process_request(self, request, client_address) -> None:
        # One call per accepted TCP connection: stats show whether clients keep theirs alive.
        self.app.sandbox.count_connection()
        super().process_request(request, client_address)


class SandboxServer:
    """The whole sandbox in this process: `serve_forever()` in a main, or `start()` in a thread."""

    def __init__(self, config: SandboxConfig) -> None:
        self.app = SandboxApp(config)
        self.httpd = SandboxHTTPServer(self.app, (config.host, config.port))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self.app.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.app.stop()
            self.httpd.server_close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        if self._thread is not None:
            self._thread.join(5)


def _answer_late(sandbox: Sandbox) -> None:
    if sandbox.provider_latency_seconds:
        time.sleep(sandbox.provider_latency_seconds)
