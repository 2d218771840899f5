"""Each person's own app inbox and push devices. The person is always the viewer (the signed-in caller):
nobody lists, opens or marks anyone else's items, or registers a device for anyone else. Items are shown in
the viewer's language (the translation stored when each was sent; domain.inbox.shown), the original on request."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.notify.adapters.devices_repository import Device
from services.notify.domain.delivery import Communication
from services.notify.domain.inbox import InboxFilter, InboxItem, inbox_filter, opened, summary
from services.notify.domain.push import MAX_DEVICES_PER_PERSON
from shared.contracts.errors import Conflict, NotFound

Clock = Callable[[], datetime]


class InboxStore(Protocol):
    def inbox_page(self, person_id: str, wanted: InboxFilter, *, page: int,
                   per_page: int) -> tuple[list[InboxItem], int, int]: ...

    def open_item(self, person_id: str, communication_id: str, *, now: datetime) -> InboxItem | None: ...

    def mark_all_read(self, person_id: str, *, now: datetime, kind: Communication | None = None) -> int: ...


class DeviceStore(Protocol):
    def register(self, person_id: str, token: str, platform: str, *, now: datetime, keep: int) -> Device: ...

    def devices_of(self, person_id: str) -> list[Device]: ...

    def remove(self, person_id: str, device_id: str) -> bool: ...


def get_inbox(request: dict, *, inbox: InboxStore) -> dict:
    page, per_page = request["page"], request["per_page"]
    items, total, unread = inbox.inbox_page(request["viewer"]["person_id"], inbox_filter(request), page=page,
                                            per_page=per_page)
    original = bool(request.get("original"))
    return {"items": [summary(item, original=original) for item in items], "total": total, "unread_count": unread,
            "page": page, "per_page": per_page}


def open_inbox_item(request: dict, *, inbox: InboxStore, clock: Clock) -> dict:
    item = inbox.open_item(request["viewer"]["person_id"], request["communication_id"], now=clock())
    if item is None:
        raise NotFound("No such item in your inbox.", fields={"communication_id": ["not in your inbox"]})
    return opened(item, original=bool(request.get("original")))


def mark_inbox_read(request: dict, *, inbox: InboxStore, clock: Clock) -> dict:
    person_id = request["viewer"]["person_id"]
    kind = Communication(request["kind"]) if request.get("kind") else None
    marked = inbox.mark_all_read(person_id, now=clock(), kind=kind)
    _, _, unread = inbox.inbox_page(person_id, InboxFilter(unread_only=True), page=1, per_page=1)
    return {"marked": marked, "unread_count": unread}


def register_device(request: dict, *, devices: DeviceStore, push_configured: bool, clock: Clock) -> dict:
    # Without FCM no worker takes push jobs (each consumes only the channels it has a provider for), so a device
    # registered now would leave every push to it queued for good.
    if not push_configured:
        raise Conflict("Push notifications are not set up on this platform, so no device can be registered; "
                       "messages still reach the app's inbox.", fields={"token": ["push (FCM) is not configured"]})
    device = devices.register(request["viewer"]["person_id"], request["token"], request["platform"],
                              now=clock(), keep=MAX_DEVICES_PER_PERSON)
    return _device(device)


def list_devices(request: dict, *, devices: DeviceStore) -> dict:
    return {"devices": [_device(device) for device in devices.devices_of(request["viewer"]["person_id"])]}


def remove_device(request: dict, *, devices: DeviceStore) -> dict:
    person_id = request["viewer"]["person_id"]
    if not devices.remove(person_id, request["device_id"]):
        raise NotFound("No such device of yours.", fields={"device_id": ["not one of your devices"]})
    return {"devices": [_device(device) for device in devices.devices_of(person_id)]}


def _device(device: Device) -> dict:
    return {"device_id": device.id, "platform": device.platform, "registered_at": device.created_at,
            "last_seen_at": device.last_seen_at}
