"""Enabling student accounts in bulk, and learning that a user joined."""
from __future__ import annotations

import pytest
from directory_district import EventRecorder
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from shared.contracts import directory, identity
from shared.contracts.errors import NotFound

pytestmark = pytest.mark.postgres


def enable(rpc, district, viewer: str, *people: str) -> dict[str, str]:
    ids = [district.ids.get(person, person) for person in people]
    response = rpc.enable_student_accounts({"viewer": district.viewer(viewer), "student_ids": ids})
    names = {directory_id: source for source, directory_id in district.ids.items()}
    return {names.get(result["key"], result["key"]): result["outcome"] for result in response["results"]}


def status(rpc, district, student: str) -> str:
    profile = rpc.get_student_profile({"viewer": district.viewer("district_admin"), "person_id": district.ids[student]})
    return profile["student_account_status"]


def test_enabling_reports_each_student_and_publishes_what_it_enabled(directory_rpc, district, recorder):
    with entrypoint_waiter(recorder, "on_people_upserted"):
        outcomes = enable(directory_rpc, district, "north_admin", "ana", "cal", "tess", "no-such-person")

    assert outcomes == {"ana": "enabled", "cal": "forbidden", "tess": "not_a_student",
                        "no-such-person": "not_found"}
    assert [event for event, _ in EventRecorder.received] == [
        directory.STUDENT_ACCOUNTS_ENABLED.name, directory.PEOPLE_UPSERTED.name]
    (_, enabled), (_, upserted) = EventRecorder.received
    assert enabled == {"person_ids": [district.ids["ana"]], "enabled_by": "someone-outside-the-directory"}
    [change] = upserted["people"]
    assert change["person_id"] == district.ids["ana"] and change["student_account_enabled"] is True
    # Enabling sends nothing: the student is enabled, not Invited, until an invitation goes out.
    assert status(directory_rpc, district, "ana") == "enabled"
    assert status(directory_rpc, district, "cal") == "not_enabled"


def test_enabling_again_reports_already_enabled_and_publishes_nothing(directory_rpc, district, recorder):
    enable(directory_rpc, district, "district_admin", "ana")
    assert enable(directory_rpc, district, "district_admin", "ana", "ana") == {"ana": "already_enabled"}

    # Events arrive in order: an event from the repeat would come before this one.
    with entrypoint_waiter(recorder, "on_student_accounts_enabled"):
        enable(directory_rpc, district, "district_admin", "ben")
    enabled = [payload["person_ids"] for event, payload in EventRecorder.received
               if event == directory.STUDENT_ACCOUNTS_ENABLED.name]
    assert enabled[-2:] == [[district.ids["ana"]], [district.ids["ben"]]]


def test_a_teacher_may_enable_only_the_students_of_their_classes(directory_rpc, district):
    assert enable(directory_rpc, district, "tess", "ana", "ben") == {"ana": "enabled", "ben": "forbidden"}


def test_a_user_joining_makes_an_enabled_student_active(directory_rpc, district, directory_container,
                                                        directory_config):
    enable(directory_rpc, district, "district_admin", "ana")
    payload = identity.USER_JOINED.dump({"person_id": district.ids["ana"], "joined_at": "2026-11-23T09:30:00+00:00"})
    with entrypoint_waiter(directory_container, "on_user_joined"):
        event_dispatcher(directory_config)(identity.NAME, identity.USER_JOINED.name, payload)
    assert status(directory_rpc, district, "ana") == "active"


def test_an_invitation_makes_an_enabled_student_invited_and_a_join_makes_them_active(
        directory_rpc, district, directory_container, directory_config):
    enable(directory_rpc, district, "district_admin", "ana", "ben")
    issued = identity.JOIN_TOKENS_ISSUED.dump({"person_ids": [district.ids["ana"], district.ids["gus"]],
                                               "issued_at": "2026-11-23T09:00:00+00:00"})
    with entrypoint_waiter(directory_container, "on_join_tokens_issued"):
        event_dispatcher(directory_config)(identity.NAME, identity.JOIN_TOKENS_ISSUED.name, issued)

    assert (status(directory_rpc, district, "ana"), status(directory_rpc, district, "ben")) == ("invited", "enabled")
    joined = identity.USER_JOINED.dump({"person_id": district.ids["ana"], "joined_at": "2026-11-23T09:30:00+00:00"})
    with entrypoint_waiter(directory_container, "on_user_joined"):
        event_dispatcher(directory_config)(identity.NAME, identity.USER_JOINED.name, joined)
    assert status(directory_rpc, district, "ana") == "active"
    invited = directory_rpc.search_people({"viewer": district.viewer("district_admin"),
                                           "student_account_status": "enabled"})
    assert [item["id"] for item in invited["items"]] == [district.ids["ben"]]


def test_the_district_is_read_by_id_and_an_unknown_one_is_not_found(directory_rpc, district):
    found = directory_rpc.get_district({"district_id": district.id})
    assert found["id"] == district.id and found["name"]
    with pytest.raises(NotFound) as missing:
        directory_rpc.get_district({"district_id": "f" * 32})
    assert missing.value.fields == {"district_id": ["no district with this id"]}


def test_a_join_of_someone_the_directory_does_not_know_is_ignored(directory_rpc, district, directory_container,
                                                                  directory_config):
    payload = identity.USER_JOINED.dump({"person_id": "f" * 32, "joined_at": "2026-11-23T09:30:00+00:00"})
    with entrypoint_waiter(directory_container, "on_user_joined") as result:
        event_dispatcher(directory_config)(identity.NAME, identity.USER_JOINED.name, payload)
    result.get()  # re-raises whatever the handler raised
    statuses = directory_rpc.search_people({"viewer": district.viewer("district_admin"), "kind": "student"})
    assert {item["student_account_status"] for item in statuses["items"]} == {"not_enabled"}


def test_a_roster_sync_enables_its_districts_students_and_tells_identity_who_did(directory_rpc, district, recorder):
    other = directory_rpc.upsert_district({"source_id": "oak-hills", "name": "Oak Hills USD"})
    ids = [district.ids["ana"], district.ids["tess"], "no-such-person"]
    with entrypoint_waiter(recorder, "on_people_upserted"):
        response = directory_rpc.enable_synced_student_accounts(
            {"district_id": district.id, "student_ids": ids, "enabled_by": "sync:run-1"})
    assert [result["outcome"] for result in response["results"]] == ["enabled", "not_a_student", "not_found"]
    enabled = [payload for event, payload in EventRecorder.received if event == directory.STUDENT_ACCOUNTS_ENABLED.name]
    assert enabled == [{"person_ids": [district.ids["ana"]], "enabled_by": "sync:run-1"}]
    assert status(directory_rpc, district, "ana") == "enabled"

    elsewhere = directory_rpc.enable_synced_student_accounts(
        {"district_id": other["id"], "student_ids": [district.ids["ben"]], "enabled_by": "sync:run-2"})
    assert elsewhere["results"][0]["outcome"] == "not_found"  # another district's sync reaches no one here
    assert status(directory_rpc, district, "ben") == "not_enabled"


def test_a_sync_naming_an_unknown_district_is_refused(directory_rpc, district):
    with pytest.raises(NotFound):
        directory_rpc.enable_synced_student_accounts(
            {"district_id": "no-such-district", "student_ids": [district.ids["ana"]], "enabled_by": "sync:run-1"})
