"""Replies without signing in: a text from a phone, an email to a Reply-To address, filed into their conversation.

- A text (any but STOP/START, which handlers_webhooks applies as before) goes into the conversation whose
  latest message went to that phone by SMS; on a shared phone its author is any of the participants who share
  it. Twilio's MessageSid makes a replayed webhook file nothing.
- An email reply is posted by SendGrid's Inbound Parse to a URL whose last segment is a secret (checked here);
  its Reply-To token (HMAC-signed, with expiry) names the conversation and the participant. A forged, expired
  or unknown token files nothing and is logged; the provider is answered with an empty success all the same.
  The quoted history is removed; the Message-ID makes a repeated post file nothing.
Each filed reply is then delivered to the other participants like any message (handlers_conversations).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from datetime import date

from services.notify.domain import conversations as rules
from services.notify.domain import email_replies
from services.notify.domain.conversation_records import ReplySettings
from services.notify.handlers_conversations import NewId, Ports, deliver_message, new_message, others_in, random_id
from shared.contracts import conversations as contract

log = logging.getLogger(__name__)


def file_text_reply(*, phone: str, text: str, message_sid: str | None, ports: Ports,
                    new_id: NewId = random_id) -> bool:
    """A text from a phone, into the conversation whose latest message went to it; whether it was filed."""
    latest = ports.conversations.latest_sms_to(phone)
    if latest is None or not text.strip():
        log.info("a text from a phone no conversation message went to was not filed")
        return False
    conversation_id, recipient = latest
    conversation = ports.conversations.conversation(conversation_id)
    author = rules.attribute_text(ports.conversations.sharers(conversation_id, phone), recipient)
    message = new_message(conversation_id, author.author_id, author.possible_author_ids, contract.VIA_SMS,
                          text.strip(), (), ports.clock(), new_id,
                          source_ref=f"twilio:{message_sid}" if message_sid else None)
    if not ports.conversations.add_message(message):
        log.info("text %s was filed already", message_sid)
        return False
    deliver_message(conversation, message, rules.message_recipients(others_in(conversation, set()), author), ports)
    return True


def receive_email_reply(request: dict, *, ports: Ports, new_id: NewId = random_id) -> dict:
    settings = ports.replies
    if not settings.url_secret or not settings.token_secret or not hmac.compare_digest(
            request["url_secret"].encode(), settings.url_secret.encode()):
        log.warning("refused an inbound email post: its URL's secret is not the configured one")
        return {"accepted": False, "outcome": contract.IGNORED}
    route = _route(email_replies.recipients_of(request["to"], request["envelope"]), settings,
                   ports.clock().date())
    conversation = ports.conversations.conversation(route.conversation_id) if route else None
    author = next((p.person_id for p in conversation.participants if p.position == route.position), None) \
        if conversation else None
    text = email_replies.new_text(request["text"], request["html"])
    if author is None or not text:
        log.warning("an inbound email was not filed: %s", "it has no new text" if author else
                    "no valid reply address (forged, expired, or an unknown conversation)")
        return {"accepted": True, "outcome": contract.IGNORED}
    source = email_replies.message_id(request["headers"]) or hashlib.sha256(
        f"{request['to']}\n{request['sender']}\n{request['text']}".encode()).hexdigest()
    message = new_message(conversation.id, author, (), contract.VIA_EMAIL, text, (), ports.clock(), new_id,
                          source_ref=f"email:{source}"[:255])
    if not ports.conversations.add_message(message):
        return {"accepted": True, "outcome": contract.IGNORED}
    deliver_message(conversation, message, others_in(conversation, {author}), ports)
    return {"accepted": True, "outcome": contract.FILED}


def _route(addresses: Sequence[str], settings: ReplySettings, today: date) -> rules.ReplyRoute | None:
    for token in rules.tokens_in(addresses, settings.email_domain):
        try:
            return rules.read_reply_token(settings.token_secret, token, today=today)
        except rules.BadReplyToken as bad:
            log.warning("an inbound email's reply token was refused: %s", bad)
    return None
