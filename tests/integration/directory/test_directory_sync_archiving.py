"""What a sync no longer lists is archived by source id, never deleted, and comes back when it reappears."""
from __future__ import annotations

import pytest
from directory_district import CLASSROOMS, ENROLLMENTS, LINKS, PEOPLE, EventRecorder
from nameko.testing.services import entrypoint_waiter

from shared.contracts import directory

pytestmark = pytest.mark.postgres


def archive_synced(rpc, district, entity: str, *keys, dry_run: bool = False) -> dict[str, dict]:
    request = {"district_id": district.id, "entity": entity, "dry_run": dry_run}
    if entity == "guardian_links":
        request["links"] = [{"guardian_source_id": g, "student_source_id": s} for g, s in keys]
    else:
        request["source_ids"] = list(keys)
    return {result["key"]: result for result in rpc.archive_synced_records(request)["results"]}


def audience(rpc, district, **target) -> set[str]:
    page = rpc.resolve_audience({"viewer": district.viewer("district_admin"), "audience": target})
    return {district.source_of(pid) for pid in page["person_ids"]}


def test_a_dry_run_says_what_would_be_archived_with_names_kinds_and_schools_and_changes_nothing(
        directory_rpc, district):
    before = directory_rpc.get_district_counts({"district_id": district.id})
    answers = archive_synced(directory_rpc, district, "people", "ben", "nobody", dry_run=True)

    assert answers["ben"] == {"key": "ben", "id": district.ids["ben"], "outcome": "done", "name": "Ben Okafor",
                              "kinds": ["student"], "school_ids": [district.ids["sch-north"]]}
    assert answers["nobody"]["outcome"] == "not_found"
    assert directory_rpc.get_district_counts({"district_id": district.id}) == before
    assert before == {"people": 11, "people_by_kind": {"student": 5, "staff": 4, "guardian": 3},
                      "classrooms": 3, "enrollments": 5, "guardian_links": 4}


def test_archived_people_enrollments_links_and_classrooms_leave_audiences_and_counts(directory_rpc, district):
    assert archive_synced(directory_rpc, district, "people", "eve")["eve"]["outcome"] == "done"
    assert archive_synced(directory_rpc, district, "people", "eve")["eve"]["outcome"] == "already"
    archive_synced(directory_rpc, district, "enrollments", "enr-ana-math")
    archive_synced(directory_rpc, district, "guardian_links", ("dana", "ben"))
    archive_synced(directory_rpc, district, "classrooms", "cls-bio")

    assert audience(directory_rpc, district, classroom_id=district.ids["cls-art"]) == {"ben", "gus"}
    assert audience(directory_rpc, district, classroom_id=district.ids["cls-math"]) == set()
    assert audience(directory_rpc, district, classroom_id=district.ids["cls-bio"]) == set()
    # Gina is still reached through Ana, who belongs to North whatever her classes.
    assert audience(directory_rpc, district, school_id=district.ids["sch-north"]) == {"ana", "ben", "gina", "gus"}
    assert directory_rpc.get_district_counts({"district_id": district.id}) == {
        "people": 10, "people_by_kind": {"student": 4, "staff": 4, "guardian": 3},
        "classrooms": 2, "enrollments": 4, "guardian_links": 3}


def test_people_archived_by_sync_are_announced_archived_as_they_are_now_in_one_event_per_page(
        directory_rpc, district, recorder):
    with entrypoint_waiter(recorder, "on_people_upserted"):
        archive_synced(directory_rpc, district, "people", "ben", "eve")

    [(event, payload)] = EventRecorder.received
    assert event == directory.PEOPLE_UPSERTED.name
    announced = {district.source_of(change["person_id"]): change for change in payload["people"]}
    assert set(announced) == {"ben", "eve"}
    assert all(change["archived"] for change in announced.values())
    assert announced["ben"]["school_ids"] == [district.ids["sch-north"]]
    # Their guardians, reached only through them, are rebuilt in the same page: Gus leaves North's audience.
    assert "gus" not in audience(directory_rpc, district, school_id=district.ids["sch-north"], include_staff=True)


def test_what_reappears_in_the_sync_is_current_again(directory_rpc, district):
    archive_synced(directory_rpc, district, "people", "eve")
    archive_synced(directory_rpc, district, "enrollments", "enr-eve-art")
    archive_synced(directory_rpc, district, "guardian_links", ("gus", "ben"))
    archive_synced(directory_rpc, district, "classrooms", "cls-art")

    eve = next(person for person in PEOPLE if person["source_id"] == "eve")
    assert directory_rpc.upsert_people({"district_id": district.id, "people": [eve]})["results"][0]["outcome"] \
        == "updated"
    enrollment = next(row for row in ENROLLMENTS if row["source_id"] == "enr-eve-art")
    directory_rpc.upsert_enrollments({"district_id": district.id, "enrollments": [enrollment]})
    directory_rpc.upsert_guardian_links({"district_id": district.id, "links": [LINKS[2]]})
    art = next(row for row in CLASSROOMS if row["source_id"] == "cls-art")
    kept = directory_rpc.upsert_classrooms({"district_id": district.id, "classrooms": [art],
                                            "unarchive_reappearing": False})["results"][0]
    assert kept["outcome"] == "skipped"
    assert "unarchive classrooms that reappear" in kept["problems"][0]["reason"]
    assert audience(directory_rpc, district, classroom_id=district.ids["cls-art"]) == set()

    directory_rpc.upsert_classrooms({"district_id": district.id, "classrooms": [art]})
    assert audience(directory_rpc, district, classroom_id=district.ids["cls-art"]) == {"ben", "eve", "gus", "dana"}
