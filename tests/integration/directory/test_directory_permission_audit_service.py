"""A change of staff permissions, made in identity, is kept in the district's one audit log."""
from __future__ import annotations

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from shared.contracts import identity

pytestmark = pytest.mark.postgres


def announce_change(directory_container, directory_config, payload: dict) -> None:
    with entrypoint_waiter(directory_container, "on_staff_permissions_changed") as handled:
        event_dispatcher(directory_config)(identity.NAME, identity.STAFF_PERMISSIONS_CHANGED.name,
                                           identity.STAFF_PERMISSIONS_CHANGED.dump(payload))
    handled.get()  # re-raises whatever the handler raised


def test_a_permission_change_reads_in_the_audit_log_once_however_often_it_is_announced(
        directory_rpc, district, directory_container, directory_config):
    teacher = district.ids["tess"]
    change = {"change_id": "c" * 32, "person_id": teacher, "district_id": district.id,
              "previous_permissions": ["content_moderator"], "permissions": ["users_manager"],
              "changed_by": "admin-person", "changed_at": "2026-11-23T09:30:00+00:00"}

    announce_change(directory_container, directory_config, change)
    announce_change(directory_container, directory_config, change)

    page = directory_rpc.get_audit_log({"viewer": district.viewer("district_admin"), "subject_id": teacher})
    [entry] = page["items"]
    assert (entry["id"], entry["actor_id"], entry["action"], entry["before"], entry["after"]) == (
        "c" * 32, "admin-person", "set_staff_permissions", {"permissions": ["content_moderator"]},
        {"permissions": ["users_manager"]})
    assert entry["at"].startswith("2026-11-23T09:30:00")
