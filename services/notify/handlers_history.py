"""A person's communication history for their user profile: notify judges the viewer it is handed, because
only notify knows who sent each communication and who takes part in each conversation."""
from __future__ import annotations

from typing import Protocol

from services.notify.domain.communication_history import (
    HistoryDelivery, HistoryEntry, HistoryFilter, history_items, history_view,
)


class HistoryStore(Protocol):
    def history_page(self, wanted: HistoryFilter, *, page: int, per_page: int) -> tuple[list[HistoryEntry], int]: ...

    def deliveries_to(self, person_id: str, communication_ids: list[str]) -> list[HistoryDelivery]: ...


def get_communication_history(request: dict, *, history: HistoryStore) -> dict:
    view = history_view(request["viewer"], request["person_id"])
    page, per_page = request["page"], request["per_page"]
    entries, total = history.history_page(view.filter, page=page, per_page=per_page)
    deliveries = history.deliveries_to(request["person_id"], [entry.communication_id for entry in entries]) \
        if view.show_delivery_status and entries else []
    return {"items": history_items(entries, deliveries, show_delivery_status=view.show_delivery_status),
            "total": total, "page": page, "per_page": per_page, "scope": view.scope}
