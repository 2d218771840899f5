"""The embedded default: the same service, its migrations and its SQL, on a SQLite file."""
from __future__ import annotations

import pytest
from directory_district import PEOPLE, SEES

from shared.contracts.errors import NotFound
from shared.migrations import upgrade


@pytest.fixture
def directory_config(rabbit_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    upgrade("directory", url)
    return {**rabbit_config, "DATABASES": {"directory": url}, "max_workers": 10}


@pytest.mark.parametrize("viewer", sorted(SEES))
def test_on_sqlite_a_search_returns_exactly_the_people_the_viewer_may_see(directory_rpc, district, viewer):
    page = directory_rpc.search_people({"viewer": district.viewer(viewer), "per_page": 200})
    assert {district.source_of(item["id"]) for item in page["items"]} == SEES[viewer]


def test_on_sqlite_a_repeated_page_is_unchanged_and_filters_work(directory_rpc, district):
    response = directory_rpc.upsert_people({"district_id": district.id, "people": PEOPLE})
    assert {result["outcome"] for result in response["results"]} == {"unchanged"}
    page = directory_rpc.search_people({"viewer": district.viewer("north_admin"), "query": "OKA", "kind": "guardian",
                                        "per_page": 1, "page": 2})
    assert (page["total"], [item["given_name"] for item in page["items"]]) == (2, ["Gus"])


def test_on_sqlite_profiles_hide_what_the_viewer_may_not_see(directory_rpc, district):
    profile = directory_rpc.get_student_profile({"viewer": district.viewer("tess"), "person_id": district.ids["ana"]})
    assert [room["title"] for room in profile["classrooms"]] == ["Math 3"]
    with pytest.raises(NotFound):
        directory_rpc.get_student_profile({"viewer": district.viewer("tess"), "person_id": district.ids["cal"]})
