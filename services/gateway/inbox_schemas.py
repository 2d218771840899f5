"""The signed-in person's own inbox and push devices, as the API shows them: notify's schemas without the
viewer (always the caller, from the token)."""
from __future__ import annotations

from marshmallow import fields

from services.gateway.lists import list_of
from shared.contracts import notify_inbox as inbox


class InboxQuery(inbox.InboxRequest):
    class Meta:
        exclude = ("viewer",)


InboxList = list_of(inbox.InboxItem, "InboxList", unread_count=fields.Integer(required=True, metadata={
    "description": "your unread items of every kind, whatever the filters", "example": 2}))


class OpenItemQuery(inbox.OpenInboxItemRequest):
    class Meta:
        exclude = ("viewer", "communication_id")


class MarkReadBody(inbox.MarkInboxReadRequest):
    class Meta:
        exclude = ("viewer",)


class DeviceBody(inbox.RegisterDeviceRequest):
    class Meta:
        exclude = ("viewer",)
