"""Content moderation as the API shows it: notify's schemas without the viewer (the caller, from the token) and
the ids the path names."""
from __future__ import annotations

from services.gateway.lists import list_of
from shared.contracts import moderation


class FlagBody(moderation.FlagMessageRequest):
    class Meta:
        exclude = ("viewer", "conversation_id", "message_id")


class FlaggedQuery(moderation.ListFlaggedRequest):
    class Meta:
        exclude = ("viewer",)


class ModerationBody(moderation.ModerateMessageRequest):
    class Meta:
        exclude = ("viewer", "message_id")


FlaggedMessageList = list_of(moderation.FlaggedMessage, "FlaggedMessageList")
