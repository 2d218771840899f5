"""What a district's sync locks against changes by hand, and the message that says why."""
from __future__ import annotations

from services.directory.domain.sync_lock import (
    NO_SYNC,
    SyncOwnership,
    contact_details_lock,
    guardian_lock,
    record_lock,
)

CLEVER = SyncOwnership(source="Clever", manages_guardians=True, updates_contact_details_of_active_users=False)


def test_a_district_without_a_sync_locks_nothing():
    assert record_lock(NO_SYNC, managed_by_sync=True, kinds={"student"}) is None
    assert guardian_lock(NO_SYNC, managed_by_sync=True) is None
    assert contact_details_lock(NO_SYNC, managed_by_sync=True, joined=False) is None


def test_records_the_sync_manages_are_locked_and_the_message_names_the_source():
    reason = record_lock(CLEVER, managed_by_sync=True, kinds={"student"})
    assert reason is not None and "Clever sync" in reason
    assert record_lock(CLEVER, managed_by_sync=False, kinds={"student"}) is None


def test_guardians_are_editable_by_hand_only_when_the_sync_does_not_manage_them():
    reason = guardian_lock(CLEVER, managed_by_sync=True)
    assert reason is not None and "allow sync to manage guardians" in reason
    assert guardian_lock(SyncOwnership(source="Clever", manages_guardians=False), managed_by_sync=True) is None
    assert record_lock(SyncOwnership(source="Clever", manages_guardians=False), managed_by_sync=True,
                       kinds={"guardian"}) is None


def test_contact_details_of_joined_users_are_theirs_unless_the_sync_may_update_them():
    assert contact_details_lock(CLEVER, managed_by_sync=True, joined=True) is None
    assert contact_details_lock(CLEVER, managed_by_sync=True, joined=False) is not None
    updating = SyncOwnership(source="Clever", updates_contact_details_of_active_users=True)
    reason = contact_details_lock(updating, managed_by_sync=True, joined=True)
    assert reason is not None and "allow the sync to update contact details of active users" in reason
