"""Use cases behind the communication endpoints: preferences, district default, announcements, delivery
reports, unreachable contacts and Reset Status. notify answers them; the gateway decides who may ask.

The caller always comes from the token (`sender`, `viewer`, `changed_by`, `reset_by`), never from the body.
"""
from __future__ import annotations

from collections.abc import Mapping

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.access import require
from services.gateway.domain.communications import (
    announcement_action, district_of, is_self, require_credential_kind, school_in_scope,
)
from services.gateway.lists import as_list
from shared.contracts.permissions import MANAGE_OTHERS_PREFERENCES, has_role
from shared.contracts import identity
from shared.contracts.errors import NotFound


def show_preference(call: ApiCall, backends: Backends) -> dict:
    person_id = _person_whose_preference(call, backends)
    preferences = backends.notify.get_preferences({"person_ids": [person_id]})["preferences"]
    preference = next((row for row in preferences if row["person_id"] == person_id), None)
    if preference is None:
        raise NotFound("notify does not know this person yet.")
    return preference


def set_preference(call: ApiCall, backends: Backends) -> dict:
    person_id = _person_whose_preference(call, backends)
    return backends.notify.set_preference({"person_id": person_id, "preference": call.body["preference"],
                                           "changed_by": call.principal["person_id"]})


def _person_whose_preference(call: ApiCall, backends: Backends) -> str:
    """Your own preference is yours; someone else's needs the permission and a person you can see."""
    person_id = call.path["id"]
    if is_self(call.principal, person_id):
        return person_id
    require(call.principal, MANAGE_OTHERS_PREFERENCES)
    # Directory decides whether the caller may see this person at all (NotFound when not).
    backends.directory.get_person_profile({"viewer": call.principal, "person_id": person_id})
    return person_id


def show_district_settings(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.get_district_settings({"district_id": district_of(call.principal)})


def set_district_default(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.set_district_default({
        "district_id": district_of(call.principal),
        "default_preference": call.body["default_preference"],
        "changed_by": call.principal["person_id"],
    })


def send_announcement(call: ApiCall, backends: Backends) -> dict:
    # The permission depends on the audience, so it is checked here rather than on the route.
    require(call.principal, announcement_action(call.body["audience"]))
    return backends.notify.send_announcement({**call.body, "sender": call.principal})


def preview_announcement(call: ApiCall, backends: Backends) -> dict:
    # The send's body and the send's permission: a preview tells only what the caller could send.
    require(call.principal, announcement_action(call.body["audience"]))
    return backends.notify.preview_announcement({**call.body, "sender": call.principal})


def show_delivery_report(call: ApiCall, backends: Backends) -> dict:
    return as_list(backends.notify.get_delivery_report(
        {**call.query, "viewer": call.principal, "communication_id": call.path["id"]}), "lines")


def list_unreachable_contacts(call: ApiCall, backends: Backends) -> dict:
    school_id = call.path["id"]
    if not school_in_scope(call.principal, school_id, _district_school_ids(call.principal, backends)):
        raise NotFound("No such school among yours.")
    return as_list(backends.notify.list_unreachable_contacts(
        {**call.query, "viewer": call.principal, "school_id": school_id}), "contacts")


def _district_school_ids(principal: Mapping, backends: Backends) -> list[str]:
    # Only a district administrator's reach depends on the district's schools; spare directory the others.
    if not has_role(principal, identity.DISTRICT_ADMIN) or principal.get("district_id") is None:
        return []
    schools = backends.directory.get_schools({"district_id": principal["district_id"]})["schools"]
    return [school["id"] for school in schools]


def reset_credential_status(call: ApiCall, backends: Backends) -> dict:
    person_id, kind = call.path["id"], call.path["kind"]
    require_credential_kind(kind)
    backends.directory.get_person_profile({"viewer": call.principal, "person_id": person_id})
    return backends.notify.reset_credential_status({
        "person_id": person_id, "kind": kind, "reset_by": call.principal["person_id"],
        "reason": call.body.get("reason"),
    })
