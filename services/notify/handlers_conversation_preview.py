"""The preview of a conversation message's draft: whom it would reach and how, writing and sending nothing.

The same checks as the send (handlers_conversations.checked_start for a new conversation; a participant for a
message in one), the message rows (M1-M4) over the same facts, and the text as the message would go, through
handlers_preview.audience_preview, which previews announcements too.
"""
from __future__ import annotations

from collections.abc import Sequence

from services.notify.domain import conversations as rules
from services.notify.handlers_conversations import Ports, checked_start, message_rows, others_in, participating
from services.notify.handlers_preview import AudienceFacts, audience_preview


def preview_conversation(request: dict, *, ports: Ports, audience: AudienceFacts) -> dict:
    """Starting a conversation, previewed: the body and errors of start_conversation."""
    start = checked_start(request, ports)
    sender_id = request["sender"]["person_id"]
    known = start.candidates.recipients.get(sender_id)
    writer = rules.display_name(known.given_name if known else None, start.candidates.family_names.get(sender_id))
    return _preview(request, writer, start.district_id, start.wanted, ports, audience)


def preview_conversation_message(request: dict, *, ports: Ports, audience: AudienceFacts) -> dict:
    """A message in a conversation, previewed: the body and errors of post_conversation_message."""
    sender_id = request["sender"]["person_id"]
    conversation = participating(ports, request["sender"], request["conversation_id"])
    writer = next(rules.display_name(p.given_name, p.family_name) for p in conversation.participants
                  if p.person_id == sender_id)
    return _preview(request, writer, conversation.district_id, others_in(conversation, {sender_id}), ports,
                    audience)


def _preview(request: dict, writer: str, district_id: str, person_ids: Sequence[str], ports: Ports,
             audience: AudienceFacts) -> dict:
    """The message signed by `writer`, as deliver_message signs it (the projection's given and family name)."""
    return audience_preview(person_ids, message_rows(ports, district_id), sender_id=request["sender"]["person_id"],
                            subject=rules.message_subject(writer),
                            body=rules.message_body(writer, request["text"], request["attachments"]),
                            audience=audience, translator=ports.translator, cache=ports.translations,
                            clock=ports.clock)
