import pytest
from werkzeug.datastructures import MultiDict

from services.gateway.parsing import json_body, load, query_values
from services.gateway.schemas import EnableStudentAccountsBody, PeopleQuery, SetPermissionsBody
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest


def refusal(schema, data) -> dict:
    with pytest.raises(InvalidRequest) as refused:
        load(schema, data, "query")
    return refused.value.fields


def test_search_filters_are_typed_and_defaulted():
    query = load(PeopleQuery, query_values(MultiDict({"query": "rey", "page": "2", "include_archived": "true"})),
                 "query")

    assert query == {"query": "rey", "kind": None, "school_id": None, "classroom_id": None,
                     "student_account_status": None, "include_archived": True, "page": 2, "per_page": 25}


def test_an_empty_query_value_means_the_filter_is_not_set():
    assert query_values(MultiDict({"kind": "", "query": "rey"})) == {"query": "rey"}


def test_an_unknown_kind_is_refused_naming_kind():
    assert refusal(PeopleQuery, {"kind": "alien"}) == {"kind": ["Must be one of: student, staff, guardian."]}


def test_a_page_size_over_the_limit_is_refused_naming_per_page():
    assert list(refusal(PeopleQuery, {"per_page": "500", "page": "0"})) == ["page", "per_page"]


def test_a_page_that_is_not_a_number_is_refused_naming_page():
    assert refusal(PeopleQuery, {"page": "two"}) == {"page": ["Not a valid integer."]}


def test_an_unknown_query_parameter_is_refused_by_name():
    assert refusal(PeopleQuery, {"sort": "name"}) == {"sort": ["Unknown field."]}


def test_the_viewer_cannot_be_chosen_by_the_caller():
    assert refusal(PeopleQuery, {"viewer": "someone-else"}) == {"viewer": ["Unknown field."]}


def test_the_refusal_says_which_part_of_the_request_was_wrong():
    with pytest.raises(InvalidRequest, match="request body has invalid fields"):
        load(EnableStudentAccountsBody, {}, "body")


def test_enabling_accounts_needs_at_least_one_student():
    assert refusal(EnableStudentAccountsBody, {"student_ids": []}) == {
        "student_ids": ["Length must be between 1 and 5000."]}


def test_an_unknown_staff_permission_is_refused_at_its_position():
    fields = refusal(SetPermissionsBody, {"permissions": [identity.USERS_MANAGER, "superuser"]})

    assert list(fields) == ["permissions"] and list(fields["permissions"]) == [1]


def test_the_permissions_body_cannot_name_who_made_the_change():
    assert refusal(SetPermissionsBody, {"permissions": [], "changed_by": "x"}) == {"changed_by": ["Unknown field."]}


def test_a_body_that_is_not_json_is_refused_naming_body():
    with pytest.raises(InvalidRequest) as refused:
        json_body(b'{"student_ids": [')

    assert list(refused.value.fields) == ["body"]
    assert "line 1 column 18" in refused.value.fields["body"][0]


def test_a_body_that_is_not_utf8_is_refused_naming_body():
    with pytest.raises(InvalidRequest) as refused:
        json_body(b'{"login": "\xff"}')

    assert list(refused.value.fields) == ["body"]


def test_an_empty_body_reads_as_an_empty_object_so_each_missing_field_is_named():
    assert json_body(b"  ") == {}
    assert refusal(identity.LoginRequest, json_body(b"")) == {
        "login": ["Missing data for required field."], "password": ["Missing data for required field."]}


def test_a_body_that_is_not_an_object_is_refused():
    assert refusal(EnableStudentAccountsBody, json_body(b"[1, 2]")) == {"_schema": ["Invalid input type."]}
