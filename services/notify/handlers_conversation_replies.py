"""Replies without signing in: a text from a phone, an email to a Reply-To address, filed into their conversation.

- A text (any but STOP/START, which handlers_webhooks applies as before) goes into the conversation whose
  latest message went to that phone by SMS; on a shared phone its author is any of the participants who share
  it. Twilio's MessageSid makes a replayed webhook file nothing. Texts are filed in batches
  (domain.inbound_texts has the rules), stored inbound webhooks as handlers_webhooks hands them over.
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
from services.notify.domain import email_replies, inbound_texts
from services.notify.domain.conversation_records import ReplySettings
from services.notify.domain.inbound_texts import InboundText
from services.notify.handlers_conversations import (
    NewId,
    Ports,
    deliver_message,
    deliver_messages,
    new_message,
    others_in,
    random_id,
)
from shared.contracts import conversations as contract

log = logging.getLogger(__name__)


def file_text_replies(texts: Sequence[InboundText], *, ports: Ports, new_id: NewId = random_id) -> int:
    """Texts from phones, each into the conversation whose latest message went to it; how many were filed.

    One statement per kind for the whole batch (the conversations the phones last heard from, their sharers,
    the conversations, the messages); then the filed messages are delivered on to the other participants
    (deliver_messages: one read of the people, one publish of the jobs).
    """
    latest = ports.conversations.latest_sms_to_each({text.phone for text in texts})
    sharers = ports.conversations.sharers_of_each(inbound_texts.routed_pairs(texts, latest))
    to_file = inbound_texts.replies_to_file(texts, latest=latest, sharers=sharers, now=ports.clock())
    if len(to_file) < len(texts):
        log.info("%d of %d texts were not filed: empty, repeated, or from a phone no conversation message "
                 "went to", len(texts) - len(to_file), len(texts))
    stored = ports.conversations.conversations_by_id({reply.conversation_id for reply in to_file})
    messages = [(reply, new_message(reply.conversation_id, reply.author.author_id, reply.author.possible_author_ids,
                                    contract.VIA_SMS, reply.text, (), reply.created_at, new_id,
                                    source_ref=reply.source_ref))
                for reply in to_file if reply.conversation_id in stored]
    filed = ports.conversations.add_messages([message for _, message in messages])
    for reply, message in messages:
        if message.id not in filed:
            log.info("text %s was filed already", reply.source_ref)
    deliver_messages([(stored[reply.conversation_id], message,
                       rules.message_recipients(others_in(stored[reply.conversation_id], set()), reply.author))
                      for reply, message in messages if message.id in filed], ports)
    return len(filed)


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
