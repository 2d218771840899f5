"""Searching the directory: filters, pagination, and the viewer's scope applied in SQL."""
from __future__ import annotations

import pytest
from directory_district import SEES, make_person_input
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import update

from services.directory.adapters.tables import people
from shared.contracts import identity
from shared.contracts.errors import NotFound
from shared.db import make_engine

pytestmark = pytest.mark.postgres


def search(rpc, district, viewer="district_admin", **filters) -> dict:
    return rpc.search_people({"viewer": district.viewer(viewer), "per_page": 200, **filters})


def sources(district, page) -> list[str]:
    return [district.source_of(item["id"]) for item in page["items"]]


@pytest.mark.parametrize("viewer", sorted(SEES))
def test_a_search_returns_exactly_the_people_the_viewer_may_see(directory_rpc, district, viewer):
    page = search(directory_rpc, district, viewer)
    assert set(sources(district, page)) == SEES[viewer]
    assert page["total"] == len(SEES[viewer])


@pytest.mark.parametrize("viewer", sorted(SEES))
def test_search_and_profiles_agree_on_who_is_visible(directory_rpc, district, viewer):
    found = set(sources(district, search(directory_rpc, district, viewer)))
    for person in sorted(SEES["district_admin"]):
        request = {"viewer": district.viewer(viewer), "person_id": district.ids[person]}
        try:
            directory_rpc.get_person_profile(request)
            opened = True
        except NotFound:
            opened = False
        assert opened is (person in found), person


def test_people_are_ordered_by_family_name_then_given_name(directory_rpc, district):
    page = search(directory_rpc, district)
    names = [(item["family_name"], item["given_name"]) for item in page["items"]]
    assert names == [("Adams", "Eve"), ("Ito", "Tess"), ("Lopez", "Ana"), ("Lopez", "Cal"), ("Lopez", "Gina"),
                     ("Moreau", "Pat"), ("Nguyen", "Dot"), ("Okafor", "Ben"), ("Okafor", "Dana"),
                     ("Okafor", "Gus"), ("Reyes", "Sam")]


def test_pages_split_the_ordered_list_and_report_the_total(directory_rpc, district):
    pages = [search(directory_rpc, district, page=number, per_page=4) for number in (1, 2, 3)]
    assert [sources(district, page) for page in pages] == [
        ["eve", "tess", "ana", "cal"], ["gina", "pat", "dot", "ben"], ["dana", "gus", "sam"]]
    assert {(page["total"], page["per_page"]) for page in pages} == {(11, 4)}
    assert [page["page"] for page in pages] == [1, 2, 3]


@pytest.mark.parametrize("query,expected", [
    ("lopez", {"ana", "cal", "gina"}),
    ("LOP", {"ana", "cal", "gina"}),
    ("ana", {"ana", "dana"}),
    ("ana lop", {"ana"}),
    ("kaf", {"ben", "dana", "gus"}),
    ("%", set()),
])
def test_a_query_matches_given_or_family_names_case_insensitively(directory_rpc, district, query, expected):
    assert set(sources(district, search(directory_rpc, district, query=query))) == expected


@pytest.mark.parametrize("kind,expected", [
    ("student", {"ana", "ben", "eve", "cal", "dot"}),
    ("staff", {"dana", "tess", "pat", "sam"}),
    ("guardian", {"gina", "gus", "dana"}),
])
def test_the_kind_filter_keeps_people_holding_that_kind(directory_rpc, district, kind, expected):
    assert set(sources(district, search(directory_rpc, district, kind=kind))) == expected


def test_the_school_filter_keeps_its_people_and_the_guardians_of_its_students(directory_rpc, district):
    page = search(directory_rpc, district, school_id=district.ids["sch-south"])
    assert set(sources(district, page)) == {"cal", "dot", "dana", "sam", "gina"}


def test_the_classroom_filter_keeps_its_members_and_the_guardians_of_its_students(directory_rpc, district):
    page = search(directory_rpc, district, classroom_id=district.ids["cls-math"])
    assert set(sources(district, page)) == {"ana", "tess", "gina"}
    students = search(directory_rpc, district, classroom_id=district.ids["cls-art"], kind="student")
    assert set(sources(district, students)) == {"ben", "eve"}


def test_filters_combine_with_the_viewer_scope(directory_rpc, district):
    page = search(directory_rpc, district, "north_admin", kind="guardian", query="okafor")
    assert set(sources(district, page)) == {"gus", "dana"}
    # Tess sees no one at South; Gina shows because she is the guardian of Tess's student Ana and of Cal at South.
    south = search(directory_rpc, district, "tess", school_id=district.ids["sch-south"])
    assert sources(district, south) == ["gina"]


def test_the_student_account_status_filter_follows_enabling_and_joining(
        directory_rpc, district, directory_container, directory_config):
    admin = district.viewer("district_admin")
    directory_rpc.enable_student_accounts({"viewer": admin, "student_ids": [district.ids["ana"],
                                                                            district.ids["ben"]]})
    joined = identity.USER_JOINED.dump({"person_id": district.ids["ben"], "joined_at": "2026-11-23T10:00:00+00:00"})
    with entrypoint_waiter(directory_container, "on_user_joined"):
        event_dispatcher(directory_config)(identity.NAME, identity.USER_JOINED.name, joined)

    assert sources(district, search(directory_rpc, district, student_account_status="active")) == ["ben"]
    assert set(sources(district, search(directory_rpc, district, student_account_status="not_enabled"))) == {
        "eve", "cal", "dot"}
    assert sources(district, search(directory_rpc, district, student_account_status="enabled")) == ["ana"]
    assert sources(district, search(directory_rpc, district, student_account_status="invited")) == []
    statuses = {district.source_of(item["id"]): item["student_account_status"]
                for item in search(directory_rpc, district)["items"]}
    assert statuses["ana"] == "enabled" and statuses["ben"] == "active" and statuses["eve"] == "not_enabled"
    assert statuses["tess"] is None


def test_archived_people_show_only_when_asked_for(directory_rpc, district, directory_config):
    # No archive RPC exists yet: archive one row the way a later use case would.
    engine = make_engine(directory_config["DATABASES"]["directory"])
    with engine.begin() as connection:
        connection.execute(update(people).where(people.c.id == district.ids["dot"]).values(archived=True))
    engine.dispose()

    assert "dot" not in sources(district, search(directory_rpc, district))
    with_archived = search(directory_rpc, district, include_archived=True)
    archived = {district.source_of(item["id"]) for item in with_archived["items"] if item["archived"]}
    assert archived == {"dot"}
    assert with_archived["total"] == 11


def test_a_summary_carries_kinds_grade_title_and_only_visible_schools(directory_rpc, district):
    dana = make_person_input("dana", "Dana", "Okafor", ["staff", "guardian"], ["sch-south", "sch-north"],
                             job_title="Librarian")
    directory_rpc.upsert_people({"district_id": district.id, "people": [dana]})
    page = search(directory_rpc, district, "north_admin", query="dana")
    [item] = page["items"]
    assert item["kinds"] == ["staff", "guardian"]
    assert item["job_title"] == "Librarian" and item["grade"] is None
    assert item["school_ids"] == [district.ids["sch-north"]]
    assert item["student_account_status"] is None and item["archived"] is False



def test_a_district_wide_name_search_pages_its_matches_in_name_order_with_an_exact_total(directory_rpc, district):
    pages = [search(directory_rpc, district, query="okafor", page=number, per_page=2) for number in (1, 2, 3)]
    assert [sources(district, page) for page in pages] == [["ben", "dana"], ["gus"], []]
    assert {(page["total"], page["total_exact"]) for page in pages} == {(3, True)}
    nobody = search(directory_rpc, district, query="zzz")
    assert (nobody["items"], nobody["total"], nobody["total_exact"]) == ([], 0, True)


def test_more_name_matches_than_are_counted_still_page_in_name_order(directory_rpc, district, monkeypatch):
    from services.directory.adapters import search_sql

    monkeypatch.setattr(search_sql, "TOTAL_COUNT_LIMIT", 2)
    first, second = (search(directory_rpc, district, query="lopez", page=number, per_page=2) for number in (1, 2))
    assert [sources(district, first), sources(district, second)] == [["ana", "cal"], ["gina"]]
    assert {(page["total"], page["total_exact"]) for page in (first, second)} == {(2, False)}


def test_a_scoped_search_over_the_count_limit_still_pages_in_name_order(directory_rpc, district, monkeypatch):
    from services.directory.adapters import search_sql

    everyone = sources(district, search(directory_rpc, district, "north_admin"))
    monkeypatch.setattr(search_sql, "TOTAL_COUNT_LIMIT", 5)
    pages = [search(directory_rpc, district, "north_admin", page=number, per_page=3) for number in (1, 2, 3)]
    assert [person for page in pages for person in sources(district, page)] == everyone
    assert {(page["total"], page["total_exact"]) for page in pages} == {(5, False)}
    monkeypatch.setattr(search_sql, "TOTAL_COUNT_LIMIT", 8)
    exact = search(directory_rpc, district, "north_admin", page=3, per_page=3)
    assert (sources(district, exact), exact["total"], exact["total_exact"]) == (everyone[6:], 8, True)
