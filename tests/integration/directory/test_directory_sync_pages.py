"""Applying pages of synced rows through the running directory service."""
from __future__ import annotations

import pytest
from directory_district import CLASSROOMS, ENROLLMENTS, LINKS, PEOPLE, SCHOOLS, EventRecorder, make_person_input
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, select

from services.directory.adapters.tables import guardian_links

from shared.contracts.errors import InvalidRequest, NotFound

pytestmark = pytest.mark.postgres


def outcomes(response) -> dict[str, str]:
    return {result["key"]: result["outcome"] for result in response["results"]}


def test_upserting_a_district_twice_keeps_one_district_and_renames_it(directory_rpc):
    first = directory_rpc.upsert_district({"source_id": "mv", "name": "Maple Valley"})
    again = directory_rpc.upsert_district({"source_id": "mv", "name": "Maple Valley USD"})
    assert again == {"id": first["id"], "source_id": "mv", "name": "Maple Valley USD"}


def test_a_seeded_district_lists_its_schools_by_name(directory_rpc, district):
    schools = directory_rpc.get_schools({"district_id": district.id})["schools"]
    assert schools == [{"id": district.ids["sch-north"], "name": "North Elementary"},
                       {"id": district.ids["sch-south"], "name": "South High"}]
    other = directory_rpc.upsert_district({"source_id": "other", "name": "Other"})
    directory_rpc.upsert_schools({"district_id": other["id"], "schools": [{"source_id": "x", "name": "Alpha"}]})
    assert [s["name"] for s in directory_rpc.get_schools({})["schools"]] == [
        "Alpha", "North Elementary", "South High"]


def test_applying_the_same_pages_again_changes_nothing_and_publishes_nothing(directory_rpc, district, recorder):
    for method, field, rows in (("upsert_schools", "schools", SCHOOLS),
                                ("upsert_classrooms", "classrooms", CLASSROOMS),
                                ("upsert_people", "people", PEOPLE),
                                ("upsert_enrollments", "enrollments", ENROLLMENTS),
                                ("upsert_guardian_links", "links", LINKS)):
        response = getattr(directory_rpc, method)({"district_id": district.id, field: rows})
        assert set(outcomes(response).values()) == {"unchanged"}, method
        assert all(result["id"] for result in response["results"])

    # Events arrive in order: if the re-upsert had published, it would come before this one.
    renamed = make_person_input("sam", "Samuel", "Reyes", ["staff"], ["sch-south"], job_title="Counselor")
    with entrypoint_waiter(recorder, "on_people_upserted"):
        response = directory_rpc.upsert_people({"district_id": district.id, "people": [renamed]})
    assert outcomes(response) == {"sam": "updated"}
    [(_, payload)] = EventRecorder.received
    assert [change["given_name"] for change in payload["people"]] == ["Samuel"]


def test_people_upserted_carries_only_the_people_that_changed(directory_rpc, district, recorder):
    page = [
        make_person_input("sam", "Sam", "Reyes", ["staff", "guardian"], ["sch-south"], job_title="Counselor"),
        make_person_input("pat", "Pat", "Moreau", ["staff"], ["sch-north"], job_title="Principal"),
        make_person_input("new", "Nia", "Ward", ["student"], ["sch-north", "sch-south"], grade="05"),
    ]
    with entrypoint_waiter(recorder, "on_people_upserted"):
        response = directory_rpc.upsert_people({"district_id": district.id, "people": page})

    assert outcomes(response) == {"sam": "updated", "pat": "unchanged", "new": "created"}
    [(event, payload)] = EventRecorder.received
    changes = {change["person_id"]: change for change in payload["people"]}
    new_id = response["results"][2]["id"]
    assert set(changes) == {district.ids["sam"], new_id}
    assert changes[district.ids["sam"]]["kinds"] == ["staff", "guardian"]
    assert changes[new_id] == {
        "person_id": new_id, "district_id": district.id, "given_name": "Nia", "family_name": "Ward",
        "kinds": ["student"], "school_ids": sorted([district.ids["sch-north"], district.ids["sch-south"]]),
        "student_account_enabled": False, "archived": False,
    }


def test_a_person_moving_schools_is_updated_and_found_under_the_new_school(directory_rpc, district):
    moved = make_person_input("eve", "Eve", "Adams", ["student"], ["sch-south"], grade="04", identifier="1003")
    response = directory_rpc.upsert_people({"district_id": district.id, "people": [moved]})
    assert outcomes(response) == {"eve": "updated"}
    viewer = district.viewer("district_admin")
    page = directory_rpc.search_people({"viewer": viewer, "school_id": district.ids["sch-south"], "kind": "student"})
    assert "Eve" in [item["given_name"] for item in page["items"]]


def test_rows_naming_unknown_source_ids_fail_alone_and_the_rest_of_the_page_applies(directory_rpc, district):
    classrooms = directory_rpc.upsert_classrooms({"district_id": district.id, "classrooms": [
        {"source_id": "cls-lost", "school_source_id": "sch-nowhere", "title": "Lost"},
        {"source_id": "cls-music", "school_source_id": "sch-north", "title": "Music"},
    ]})
    assert outcomes(classrooms) == {"cls-lost": "failed", "cls-music": "created"}
    assert classrooms["results"][0]["problems"] == [
        {"field": "school_source_id", "reason": "no school with source id 'sch-nowhere' in this district"}]

    people = directory_rpc.upsert_people({"district_id": district.id, "people": [
        make_person_input("ghost", "Gil", "Host", ["staff"], ["sch-north", "sch-gone"])]})
    assert outcomes(people) == {"ghost": "failed"}
    assert people["results"][0]["problems"][0]["field"] == "school_source_ids"

    enrollments = directory_rpc.upsert_enrollments({"district_id": district.id, "enrollments": [
        {"source_id": "e1", "classroom_source_id": "cls-music", "person_source_id": "nobody", "role": "student"},
        {"source_id": "e2", "classroom_source_id": "cls-gone", "person_source_id": "ana", "role": "student"},
        {"source_id": "e3", "classroom_source_id": "cls-music", "person_source_id": "pat", "role": "student"},
        {"source_id": "e4", "classroom_source_id": "cls-music", "person_source_id": "ana", "role": "student"},
    ]})
    assert outcomes(enrollments) == {"e1": "failed", "e2": "failed", "e3": "failed", "e4": "created"}
    assert [r["problems"][0]["field"] for r in enrollments["results"][:3]] == [
        "person_source_id", "classroom_source_id", "person_source_id"]

    links = directory_rpc.upsert_guardian_links({"district_id": district.id, "links": [
        {"guardian_source_id": "gina", "student_source_id": "ana"},
        {"guardian_source_id": "gina", "student_source_id": "eve"},
        {"guardian_source_id": "nobody", "student_source_id": "eve"},
        {"guardian_source_id": "gus", "student_source_id": "pat"},
    ]})
    assert outcomes(links) == {"gina:ana": "unchanged", "gina:eve": "created", "nobody:eve": "failed",
                               "gus:pat": "failed"}
    assert links["results"][3]["problems"] == [{"field": "student_source_id", "reason": "is not a student"}]


def test_a_link_keeps_the_relationship_a_source_gives_until_another_source_gives_one(directory_rpc, district,
                                                                                      directory_config):
    def relationship() -> str | None:
        engine = create_engine(directory_config["DATABASES"]["directory"])
        with engine.connect() as connection:
            found = connection.execute(select(guardian_links.c.relationship).where(
                guardian_links.c.guardian_id == district.ids["gina"],
                guardian_links.c.student_id == district.ids["ana"])).scalar_one()
        engine.dispose()
        return found

    link = {"guardian_source_id": "gina", "student_source_id": "ana"}
    said = directory_rpc.upsert_guardian_links({"district_id": district.id,
                                                "links": [{**link, "relationship": "aunt"}]})
    assert outcomes(said) == {"gina:ana": "updated"} and relationship() == "aunt"
    silent = directory_rpc.upsert_guardian_links({"district_id": district.id, "links": [link]})
    assert outcomes(silent) == {"gina:ana": "unchanged"} and relationship() == "aunt"


def test_an_enrollment_can_move_to_another_classroom(directory_rpc, district):
    moved = {**ENROLLMENTS[0], "classroom_source_id": "cls-art"}
    response = directory_rpc.upsert_enrollments({"district_id": district.id, "enrollments": [moved]})
    assert outcomes(response) == {"enr-ana-math": "updated"}
    profile = directory_rpc.get_student_profile({"viewer": district.viewer("district_admin"),
                                                 "person_id": district.ids["ana"]})
    assert [room["title"] for room in profile["classrooms"]] == ["Art 4"]


def test_upserting_into_an_unknown_district_is_not_found(directory_rpc):
    with pytest.raises(NotFound) as error:
        directory_rpc.upsert_schools({"district_id": "missing", "schools": SCHOOLS})
    assert error.value.fields == {"district_id": ["no district with this id"]}


def test_a_page_with_an_invalid_row_is_refused_with_the_field_named(directory_rpc, district):
    with pytest.raises(InvalidRequest) as error:
        directory_rpc.upsert_people({"district_id": district.id, "people": [
            make_person_input("x", "X", "Y", ["teacher"], [])]})
    assert "people" in error.value.fields
