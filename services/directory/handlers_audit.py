"""Reading the audit log (district administrators), keeping in it the permission changes identity announces,
moderation decisions and sync settings changes, and what a district's sync owns (set by rostering)."""
from __future__ import annotations

from collections.abc import Mapping

from shared.contracts.errors import PermissionDenied
from shared.contracts.permissions import READ_AUDIT_LOG

from services.directory.adapters.audit_repository import AuditEntry
from services.directory.adapters.store import DirectoryStore
from services.directory.domain import manual as rules
from services.directory.domain.sync_lock import SyncOwnership
from services.directory.handlers import existing_district
from services.directory.handlers_manual import Clock

# The audit log's action for a change of a staff member's custom permissions (made in identity).
PERMISSIONS_CHANGED = "set_staff_permissions"


def get_audit_log(request: Mapping, *, store: DirectoryStore) -> dict:
    viewer = request["viewer"]
    rules.require_action(viewer, READ_AUDIT_LOG)
    if viewer.get("district_id") is None:
        raise PermissionDenied("Only a district's administrators read its audit log.")
    page, per_page = request["page"], request["per_page"]
    entries, total = store.audit.page(viewer["district_id"], subject_id=request["subject_id"],
                                      actor_id=request["actor_id"], offset=(page - 1) * per_page, limit=per_page)
    return {"items": entries, "total": total, "page": page, "per_page": per_page}


def record_permission_change(payload: Mapping, *, store: DirectoryStore) -> bool:
    """identity.STAFF_PERMISSIONS_CHANGED into the district's one audit log, beside the directory's own changes,
    so its administrators read who changed whose permissions where they read everything else."""
    if payload["district_id"] is None:
        return False
    entry = AuditEntry(payload["district_id"], payload["changed_by"], PERMISSIONS_CHANGED, "person",
                       payload["person_id"], {"permissions": payload["previous_permissions"]},
                       {"permissions": payload["permissions"]}, payload["changed_at"])
    return store.audit.record_once(payload["change_id"], entry)


def record_moderation_decision(payload: Mapping, *, store: DirectoryStore) -> bool:
    """notify.CONTENT_MODERATED (a message flagged, hidden or restored) into the district's audit log: the
    message is the subject; before and after say whether it was shown, after also why."""
    entry = AuditEntry(payload["district_id"], payload["actor_id"], payload["action"], "message",
                       payload["message_id"], {"hidden": payload["hidden_before"]},
                       {"hidden": payload["hidden_after"], "reason": payload["reason"],
                        "conversation_id": payload["conversation_id"]}, payload["at"])
    return store.audit.record_once(payload["decision_id"], entry)


# The audit log's action for a change of a district's sync settings (made in rostering).
SYNC_SETTINGS_CHANGED = "change_sync_settings"


def record_sync_settings_change(payload: Mapping, *, store: DirectoryStore) -> bool:
    """rostering.DISTRICT_SYNC_SETTINGS_CHANGED into the district's audit log: the district is the subject;
    before and after hold only what changed (a secret only as whether it is set, or that one was given)."""
    entry = AuditEntry(payload["district_id"], payload["changed_by"], SYNC_SETTINGS_CHANGED, "district",
                       payload["district_id"], payload["before"], payload["after"], payload["changed_at"])
    return store.audit.record_once(payload["change_id"], entry)


def set_district_sync(request: Mapping, *, store: DirectoryStore, clock: Clock) -> dict:
    district_id = existing_district(store.people, request["district_id"])
    ownership = SyncOwnership(source=request["source"], manages_guardians=request["manages_guardians"],
                              updates_contact_details_of_active_users=request[
                                  "updates_contact_details_of_active_users"])
    store.manual.set_sync_ownership(district_id, ownership, clock())
    stored = store.people.sync_ownership(district_id)
    return {"district_id": district_id, "source": stored.source, "manages_guardians": stored.manages_guardians,
            "updates_contact_details_of_active_users": stored.updates_contact_details_of_active_users}
