from datetime import datetime, timezone
from types import SimpleNamespace

from services.directory.adapters.audit_repository import AuditEntry
from services.directory.handlers_audit import record_permission_change, record_sync_settings_change

CHANGED_AT = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)


class RecordingAudit:
    def __init__(self):
        self.recorded: dict[str, AuditEntry] = {}

    def record_once(self, entry_id: str, entry: AuditEntry) -> bool:
        new = entry_id not in self.recorded
        self.recorded.setdefault(entry_id, entry)
        return new


def change(**overrides) -> dict:
    return {"change_id": "c1", "person_id": "teacher-1", "district_id": "district-1",
            "previous_permissions": [], "permissions": ["users_manager"], "changed_by": "admin-1",
            "changed_at": CHANGED_AT, **overrides}


def test_a_permission_change_is_an_audit_entry_of_its_district_with_before_and_after():
    store = SimpleNamespace(audit=RecordingAudit())

    assert record_permission_change(change(), store=store) is True
    assert record_permission_change(change(), store=store) is False

    assert store.audit.recorded == {"c1": AuditEntry(
        "district-1", "admin-1", "set_staff_permissions", "person", "teacher-1", {"permissions": []},
        {"permissions": ["users_manager"]}, CHANGED_AT)}


def test_an_account_of_no_district_has_no_audit_log_to_go_to():
    store = SimpleNamespace(audit=RecordingAudit())

    assert record_permission_change(change(district_id=None), store=store) is False
    assert store.audit.recorded == {}


def test_a_sync_settings_change_is_an_audit_entry_of_its_district_recorded_once():
    store = SimpleNamespace(audit=RecordingAudit())
    payload = {"change_id": "s1", "district_id": "district-1", "changed_by": "admin-1", "changed_at": CHANGED_AT,
               "before": {"daily_sync": False}, "after": {"daily_sync": True, "secrets_given": ["client_secret"]}}

    assert record_sync_settings_change(payload, store=store) is True
    assert record_sync_settings_change(payload, store=store) is False

    assert store.audit.recorded == {"s1": AuditEntry(
        "district-1", "admin-1", "change_sync_settings", "district", "district-1", {"daily_sync": False},
        {"daily_sync": True, "secrets_given": ["client_secret"]}, CHANGED_AT)}
