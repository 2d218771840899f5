"""Conversations: start one, write in one, read them; and the email replies SendGrid's Inbound Parse posts.

notify decides who may take part (with directory's scope); the caller always comes from the token.
"""
from __future__ import annotations

import io

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header

from services.gateway.api import ApiCall, Backends
from shared.contracts.conversations import EmailReplyRequest
from shared.contracts.errors import PermissionDenied

API = "/api/v1"
# The Inbound Parse fields notify reads; the rest (attachments, spam scores, charsets) are not kept.
INBOUND_FIELDS = tuple(field.data_key or name for name, field in EmailReplyRequest().fields.items()
                       if name != "url_secret")
MAX_INBOUND_FORM_BYTES = 1024 * 1024


def conversation_url(answer: dict) -> str:
    return f"{API}/conversations/{answer['conversation_id']}"


def start_conversation(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.start_conversation({**call.body, "sender": call.principal})


def post_message(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.post_conversation_message({**call.body, "sender": call.principal,
                                                      "conversation_id": call.path["id"]})


def preview_conversation(call: ApiCall, backends: Backends) -> dict:
    # The start's body and checks: a preview tells only what the caller could send.
    return backends.notify.preview_conversation({**call.body, "sender": call.principal})


def preview_message(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.preview_conversation_message({**call.body, "sender": call.principal,
                                                         "conversation_id": call.path["id"]})


def list_my_teachers(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.list_teachers_of({"viewer": call.principal})


def show_conversation(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.get_conversation({"viewer": call.principal, "conversation_id": call.path["id"]})


def list_conversations(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.list_conversations({"viewer": call.principal, **call.query})


def receive_email_reply(call: ApiCall, backends: Backends) -> dict:
    form = inbound_form(call.raw.headers.get("Content-Type", ""), call.raw.body)
    answer = backends.notify.receive_email_reply({
        "url_secret": call.path["url_secret"], **{name: form.get(name, "") for name in INBOUND_FIELDS}})
    if not answer["accepted"]:
        raise PermissionDenied("This inbound address is not ours.")
    return answer


def inbound_form(content_type: str, body: bytes) -> MultiDict:
    """Inbound Parse's multipart form as text fields; empty when it is none (notify then files nothing, but
    still judges the URL's secret, so a stranger learns nothing from the body's shape)."""
    media_type, options = parse_options_header(content_type)
    if media_type != "multipart/form-data" or not options.get("boundary"):
        return MultiDict()
    parser = MultiPartParser(max_form_memory_size=MAX_INBOUND_FORM_BYTES)
    try:
        form, _files = parser.parse(io.BytesIO(body), options["boundary"].encode("latin-1"), len(body))
    except (ValueError, RequestEntityTooLarge):
        return MultiDict()
    return form
