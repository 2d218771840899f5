"""The signed-in person's app inbox and push devices: notify answers, always for the caller (from the
token), never for anyone the path or body names."""
from __future__ import annotations

from services.gateway.api import ApiCall, Backends


def show_my_inbox(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.get_inbox({**call.query, "viewer": call.principal})


def open_my_inbox_item(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.open_inbox_item({**call.query, "viewer": call.principal,
                                            "communication_id": call.path["id"]})


def mark_my_inbox_read(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.mark_inbox_read({**call.body, "viewer": call.principal})


def list_my_devices(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.list_devices({"viewer": call.principal})


def register_my_device(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.register_device({**call.body, "viewer": call.principal})


def remove_my_device(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.remove_device({"viewer": call.principal, "device_id": call.path["id"]})
