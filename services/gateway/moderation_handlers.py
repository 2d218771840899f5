"""Content moderation: a participant flags a message; administrators and Content Moderators list the flagged
messages in their reach, hide or restore them. notify judges the caller (from the token) on every call."""
from __future__ import annotations

from services.gateway.api import ApiCall, Backends


def flag_message(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.flag_message({**call.body, "viewer": call.principal, "conversation_id": call.path["id"],
                                         "message_id": call.path["message_id"]})


def list_flagged_messages(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.list_flagged_messages({"viewer": call.principal, **call.query})


def hide_message(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.hide_message({**call.body, "viewer": call.principal, "message_id": call.path["id"]})


def restore_message(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.restore_message({**call.body, "viewer": call.principal, "message_id": call.path["id"]})
