"""A change of a district's sync settings, made in rostering, is kept in the district's one audit log."""
from __future__ import annotations

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from shared.contracts import rostering

pytestmark = pytest.mark.postgres


def announce_change(directory_container, directory_config, payload: dict) -> None:
    with entrypoint_waiter(directory_container, "on_sync_settings_changed") as handled:
        event_dispatcher(directory_config)(rostering.NAME, rostering.DISTRICT_SYNC_SETTINGS_CHANGED.name,
                                           rostering.DISTRICT_SYNC_SETTINGS_CHANGED.dump(payload))
    handled.get()  # re-raises whatever the handler raised


def test_a_settings_change_reads_in_the_audit_log_once_however_often_it_is_announced(
        directory_rpc, district, directory_container, directory_config):
    change = {"change_id": "s" * 32, "district_id": district.id, "changed_by": "admin-person",
              "changed_at": "2026-12-05T06:30:00+00:00", "before": {"source": "oneroster_csv", "connection": {}},
              "after": {"source": "classlink", "connection": {"tenant_id": "1234", "client_secret_set": True},
                        "secrets_given": ["client_secret"]}}

    announce_change(directory_container, directory_config, change)
    announce_change(directory_container, directory_config, change)

    page = directory_rpc.get_audit_log({"viewer": district.viewer("district_admin"), "subject_id": district.id})
    [entry] = page["items"]
    assert (entry["id"], entry["actor_id"], entry["action"], entry["subject_type"]) == (
        "s" * 32, "admin-person", "change_sync_settings", "district")
    assert entry["before"] == change["before"] and entry["after"] == change["after"]
