"""The sandbox's email reply: an Inbound Parse multipart post to the configured (secret) URL, read back as the
gateway reads it."""
from __future__ import annotations

import json

from services.gateway.conversation_handlers import inbound_form
from services.sandbox import control
from services.sandbox.config import SandboxConfig
from services.sandbox.state import Sandbox

INBOUND_URL = "http://127.0.0.1:9999/webhooks/sendgrid/inbound/secret"


def reply(sandbox: Sandbox, **payload):
    return control.inbound_email(sandbox, json.dumps(payload).encode())


def test_an_email_reply_is_posted_as_an_inbound_parse_form_the_gateway_reads_back():
    answer = reply(Sandbox(SandboxConfig(sendgrid_inbound_url=INBOUND_URL)), **{
        "from": "Dana <dana@example.org>", "to": "reply-abc@replies.localhost", "text": "Yes.\n> quoted",
        "message_id": "<m1@example.org>"})

    assert answer.status == 200
    [callback] = answer.callbacks
    assert (callback.kind, callback.url, callback.retry_on_error_status) == ("sendgrid_inbound", INBOUND_URL, True)
    form = inbound_form(callback.headers["Content-Type"], callback.body)
    assert (form["from"], form["to"], form["text"]) == ("Dana <dana@example.org>", "reply-abc@replies.localhost",
                                                        "Yes.\n> quoted")
    assert json.loads(form["envelope"])["to"] == ["reply-abc@replies.localhost"]
    assert "Message-ID: <m1@example.org>" in form["headers"]


def test_without_an_inbound_url_nothing_is_posted_and_a_reply_without_text_is_refused():
    sandbox = Sandbox(SandboxConfig())
    assert reply(sandbox, **{"from": "a@example.org", "to": "b@example.org", "text": "Hi"}).callbacks == []
    assert reply(sandbox, **{"from": "a@example.org", "to": "b@example.org"}).status == 400


def test_the_gateway_reads_anything_but_a_multipart_form_as_empty():
    assert not inbound_form("application/json", b'{"to": "x"}')
    assert not inbound_form("multipart/form-data; boundary=x", b"not a multipart body")
