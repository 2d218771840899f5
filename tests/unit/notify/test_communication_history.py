from datetime import datetime, timezone

import pytest

from services.notify.domain.communication_history import (
    HistoryDelivery, HistoryEntry, HistoryFilter, history_items, history_view,
)
from services.notify.domain.delivery import Communication
from shared.contracts.errors import PermissionDenied
from shared.contracts.identity import ENGAGEMENT_VISIBILITY, GUARDIAN, SCHOOL_ADMIN, TEACHER, USERS_MANAGER
from shared.testing.principals import make_principal

AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def staff(role: str = TEACHER, *permissions: str, **overrides) -> dict:
    return make_principal(person_id="viewer-1", roles=[{"role": role, "school_ids": ["school-1"]}],
                          permissions=list(permissions), **overrides)


def test_engagement_visibility_filters_on_the_district_only_and_shows_status():
    view = history_view(staff(TEACHER, ENGAGEMENT_VISIBILITY), "ivy")

    assert view.filter == HistoryFilter("ivy", "district-1") and view.scope == "everything"
    assert view.show_delivery_status is True


def test_a_plain_teacher_is_limited_to_what_they_took_part_in_without_status():
    view = history_view(staff(), "ivy")

    assert view.filter == HistoryFilter("ivy", "district-1", took_part_id="viewer-1")
    assert (view.scope, view.show_delivery_status) == ("took_part", False)


def test_users_manager_sees_status_of_what_they_took_part_in():
    view = history_view(staff(TEACHER, USERS_MANAGER), "ivy")

    assert (view.scope, view.show_delivery_status) == ("took_part", True)


def test_ones_own_history_is_every_district_and_with_status():
    view = history_view(make_principal(person_id="ivy", roles=[{"role": GUARDIAN, "school_ids": []}]), "ivy")

    assert view.filter == HistoryFilter("ivy", None) and view.show_delivery_status is True


@pytest.mark.parametrize("viewer", [
    make_principal(person_id="gus", roles=[{"role": GUARDIAN, "school_ids": []}]),
    staff(SCHOOL_ADMIN, district_id=None),
    staff(status="disabled"),
])
def test_families_staff_without_a_district_and_disabled_viewers_are_refused(viewer):
    with pytest.raises(PermissionDenied):
        history_view(viewer, "ivy")


def test_items_carry_their_own_deliveries_only_when_status_is_shown():
    entries = [HistoryEntry("c-2", Communication.MESSAGE, "conv-1", None, "Hello  there\nIvy", False, "omar", AT),
               HistoryEntry("c-1", Communication.ANNOUNCEMENT, None, "Notice", "Body", True, "tess", AT)]
    deliveries = [HistoryDelivery("c-1", "email", "ivy@example.org", "failed", "hard bounce", AT)]

    shown = history_items(entries, deliveries, show_delivery_status=True)
    hidden = history_items(entries, deliveries, show_delivery_status=False)

    assert shown[0]["deliveries"] == [] and shown[0]["preview"] == "Hello there Ivy"
    assert shown[1]["deliveries"] == [{"channel": "email", "address": "ivy@example.org", "status": "failed",
                                       "reason": "hard bounce", "updated_at": AT}]
    assert all("deliveries" not in item for item in hidden)
    assert [item["kind"] for item in hidden] == ["message", "announcement"]
