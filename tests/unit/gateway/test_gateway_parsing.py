import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from services.gateway.parsing import MAX_DEPTH, MAX_INTEGER, checked_path, json_body, load, query_values, refuse_unusable
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


# --- the guards every route gets before its schema: nothing a request carries turns into a 500 ---

def refused_fields(call) -> dict:
    with pytest.raises(InvalidRequest) as refused:
        call()
    return refused.value.fields


def test_json_nested_a_thousand_deep_is_refused_naming_body():
    deep = b"[" * 1000 + b"]" * 1000

    assert list(refused_fields(lambda: load(EnableStudentAccountsBody, json_body(deep), "body"))) == ["body"]


def test_json_nested_just_past_the_limit_is_refused_at_the_field_that_goes_too_deep():
    nested: object = "x"
    for _ in range(MAX_DEPTH + 1):
        nested = [nested]

    fields = refused_fields(lambda: load(EnableStudentAccountsBody, {"student_ids": nested}, "body"))

    assert list(fields)[0].startswith("student_ids.0.0") and "deeper than" in list(fields.values())[0][0]


@pytest.mark.parametrize("text", ["rey\x00", "\ud800", "a\udfffb"])
def test_a_nul_or_a_lone_surrogate_in_a_query_value_is_refused_naming_the_parameter(text):
    assert list(refused_fields(lambda: load(PeopleQuery, {"query": text}, "query"))) == ["query"]


def test_a_lone_surrogate_decoded_from_a_json_escape_is_refused_naming_the_field():
    body = json_body(b'{"login": "dana@example.org", "password": "\\ud800secret"}')

    assert refused_fields(lambda: load(identity.LoginRequest, body, "body")) == {
        "password": ["Text may not contain NUL characters or lone surrogates."]}


def test_a_nul_deep_in_a_body_is_refused_at_its_dotted_path():
    body = {"student_ids": ["s-1", "s-\x00"]}

    assert list(refused_fields(lambda: load(EnableStudentAccountsBody, body, "body"))) == ["student_ids.1"]


def test_a_nul_in_a_field_name_is_refused_with_the_name_escaped():
    fields = refused_fields(lambda: load(EnableStudentAccountsBody, {"student\x00ids": []}, "body"))

    assert list(fields) == ["student\\u0000ids"]


def test_a_nul_in_a_path_value_is_refused_naming_it():
    assert list(refused_fields(lambda: checked_path({"id": "person-1\x00"}))) == ["id"]
    assert checked_path({"id": "person-1"}) == {"id": "person-1"}


@pytest.mark.parametrize("page", [str(2**63), str(2**31), "-" + str(2**40), "9" * 200])
def test_a_page_beyond_32_bits_is_refused_naming_page(page):
    assert list(refused_fields(lambda: load(PeopleQuery, {"page": page}, "query"))) == ["page"]


def test_the_largest_32_bit_page_is_taken():
    assert load(PeopleQuery, {"page": str(MAX_INTEGER)}, "query")["page"] == MAX_INTEGER


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1e400}'])
def test_numbers_that_are_not_finite_are_refused_naming_body(raw):
    assert list(refused_fields(lambda: json_body(raw))) == ["body"]


def test_a_huge_integer_in_a_body_is_refused_even_where_any_json_is_taken():
    assert list(refused_fields(lambda: refuse_unusable({"counts": {"x": 2**64}}, "body"))) == ["counts.x"]


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3),
                    max_leaves=20))
def test_any_json_value_is_either_taken_or_refused_as_invalid_request(value):
    try:
        refuse_unusable(value, "body")
    except InvalidRequest as refused:
        assert refused.fields and all(reasons for reasons in refused.fields.values())
        assert all(not _has_unsafe_text(name) for name in refused.fields)


def _has_unsafe_text(text: str) -> bool:
    return any(char == "\x00" or "\ud800" <= char <= "\udfff" for char in text)
