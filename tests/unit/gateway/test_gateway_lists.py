"""The one list shape: a page of rows with its total, and a `next` link that is this request at the next page."""
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.lists import as_list, list_of, page_of, with_next_link
from shared.contracts import directory


def request_for(path: str, query: str = "") -> Request:
    return Request(EnvironBuilder(path=path, query_string=query).get_environ())


def test_next_is_the_same_request_at_the_following_page_keeping_every_filter():
    page = {"items": [1, 2], "total": 5, "page": 1, "per_page": 2}

    answered = with_next_link(page, request_for("/api/v1/directory/people", "query=rey&kind=staff&per_page=2"))

    assert answered["next"] == "/api/v1/directory/people?query=rey&kind=staff&per_page=2&page=2"


def test_the_last_page_has_no_next():
    assert with_next_link({"items": [5], "total": 5, "page": 3, "per_page": 2},
                          request_for("/api/v1/schools", "page=3&per_page=2"))["next"] is None


def test_a_filter_with_characters_that_need_escaping_stays_the_same_filter():
    answered = with_next_link({"items": [], "total": 3, "page": 1, "per_page": 1},
                              request_for("/api/v1/directory/people", "query=o%27brien+%26+co"))

    assert answered["next"] == "/api/v1/directory/people?query=o%27brien+%26+co&page=2"


@given(total=st.integers(0, 500), per_page=st.integers(1, 50), page=st.integers(1, 30))
def test_walking_next_links_visits_each_row_once(total, per_page, page):
    rows = list(range(total))
    seen, query = [], {"page": 1, "per_page": per_page}
    while True:
        answered = with_next_link(page_of(rows, query), request_for("/x", f"per_page={per_page}&page={query['page']}"))
        seen += answered["items"]
        if answered["next"] is None:
            break
        query = {"page": query["page"] + 1, "per_page": per_page}
    assert seen == rows
    assert page_of(rows, {"page": page, "per_page": per_page})["total"] == total


def test_a_services_rows_become_the_items_and_its_other_fields_stay():
    assert as_list({"school_id": "s-1", "contacts": [1], "total": 1, "page": 1, "per_page": 100}, "contacts") == {
        "school_id": "s-1", "items": [1], "total": 1, "page": 1, "per_page": 100}


def test_a_list_schema_has_the_shape_and_its_items_schema():
    schema = list_of(directory.School, "SchoolPage")()

    assert set(schema.fields) == {"items", "total", "page", "per_page", "next"}
    assert schema.validate({"items": [{"id": "s-1", "name": "Lincoln"}], "total": 1, "page": 1, "per_page": 25,
                            "next": None}) == {}
