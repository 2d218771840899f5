"""Which plan a search takes: its matches first, read once for the page and the count, unless it is a
district-wide list without a name, whose walk of the name order stops after one page."""
from __future__ import annotations

import re

from sqlalchemy.dialects import postgresql, sqlite

from services.directory.adapters import reach_sql, search_sql
from services.directory.domain import people as people_rules
from services.directory.domain import visibility as v

NO_FACTS = v.ViewerFacts(*(frozenset() for _ in range(6)))
DISTRICT_ADMIN = v.scope_for({"person_id": "admin", "district_id": "district-1", "permissions": [],
                              "roles": [{"role": "district_admin", "school_ids": []}]}, NO_FACTS)
SCHOOL_ADMIN = v.scope_for({"person_id": "principal", "district_id": "district-1", "permissions": [],
                            "roles": [{"role": "school_admin", "school_ids": ["school-1"]}]}, NO_FACTS)


def wanted(query: str) -> people_rules.PeopleFilter:
    return people_rules.people_filter({"query": query, "page": 2, "per_page": 25})


def test_a_district_wide_name_search_finds_its_matches_first():
    assert search_sql.finds_matches_first(wanted("oka"), DISTRICT_ADMIN)


def test_a_scoped_search_finds_its_matches_first_with_or_without_a_name():
    assert search_sql.finds_matches_first(wanted("oka"), SCHOOL_ADMIN)
    assert search_sql.finds_matches_first(wanted(""), SCHOOL_ADMIN)


def test_a_district_wide_list_without_a_name_walks_the_name_order():
    assert not search_sql.finds_matches_first(wanted(""), DISTRICT_ADMIN)


def test_the_matches_are_read_once_for_the_page_and_the_count():
    sql = str(search_sql.matches_first_page(wanted("oka"), DISTRICT_ADMIN).compile(dialect=postgresql.dialect()))
    assert sql.startswith("WITH matches AS MATERIALIZED")
    assert sql.count("FROM people") == 1 + sql.count("FROM people AS grantee")
    assert "(SELECT count(*) AS count_1 \nFROM matches) AS matched" in sql
    assert "ORDER BY matches.family_name_key, matches.given_name_key, matches.id" in sql


def test_a_scoped_search_reads_its_reach_rows_once_for_the_page_and_the_count():
    sql = str(search_sql.matches_first_page(wanted("oka"), SCHOOL_ADMIN).compile(dialect=postgresql.dialect()))
    assert sql.startswith("WITH matches AS MATERIALIZED")
    assert sql.count("FROM reach") == 1
    assert "(SELECT count(*) AS count_1 \nFROM matches) AS matched" in sql


def test_on_postgresql_the_page_carries_its_school_ids_so_a_search_is_one_statement():
    for scope in (DISTRICT_ADMIN, SCHOOL_ADMIN):
        for query in (search_sql.matches_first_page(wanted("oka"), scope, school_ids=True),
                      search_sql.page_query(wanted("oka"), scope, school_ids=True)):
            sql = str(query.compile(dialect=postgresql.dialect()))
            assert "array((SELECT person_schools.school_id" in sql
            assert f"AS {search_sql.SCHOOL_IDS}" in sql
    asked_apart = str(search_sql.matches_first_page(wanted("oka"), DISTRICT_ADMIN).compile(dialect=postgresql.dialect()))
    assert "person_schools" not in asked_apart


def test_a_viewers_next_word_or_page_reuses_the_statement_built_for_the_first():
    first = search_sql.matches_first_page(wanted("oka"), SCHOOL_ADMIN, school_ids=True)
    next_word = people_rules.people_filter({"query": "lop", "page": 3, "per_page": 25})
    assert search_sql.matches_first_page(next_word, SCHOOL_ADMIN, school_ids=True) is first
    assert search_sql.matches_first_page(wanted("oka"), DISTRICT_ADMIN, school_ids=True) is not first
    assert search_sql.matches_first_page(wanted("oka lop"), SCHOOL_ADMIN, school_ids=True) is not first


def test_the_words_and_the_page_travel_as_parameters_with_like_wildcards_escaped():
    values = search_sql.parameters(people_rules.people_filter({"query": "o%k_a\\/ Lop", "page": 3, "per_page": 10}))
    assert values == {"term_0": "%o\\%k\\_a\\\\/%", "term_1": "%lop%", "page_limit": 10, "page_offset": 20,
                      "count_cap": search_sql.TOTAL_COUNT_LIMIT + 1}
    sql = str(search_sql.matches_first_page(wanted("oka"), DISTRICT_ADMIN).compile(dialect=postgresql.dialect()))
    # The backslash is PostgreSQL's own escape character: no ESCAPE clause, no like_escape() per row tested.
    assert "LIKE %(term_0)s" in sql and "ESCAPE" not in sql
    assert "LIMIT %(count_cap)s" in sql and "LIMIT %(page_limit)s OFFSET %(page_offset)s" in sql
    on_sqlite = str(search_sql.matches_first_page(wanted("oka"), DISTRICT_ADMIN).compile(dialect=sqlite.dialect()))
    assert "LIKE ? ESCAPE '\\'" in on_sqlite


TEACHER = v.scope_for({"person_id": "teacher", "district_id": "district-1", "permissions": [],
                       "roles": [{"role": "teacher", "school_ids": ["school-1"]}]},
                      v.ViewerFacts(taught_classroom_ids=frozenset({"class-1"})))


def test_a_school_admitted_under_every_relation_is_its_range_of_reach_alone():
    school = str(search_sql.matches_first_page(wanted("oka"), SCHOOL_ADMIN).compile(dialect=postgresql.dialect()))
    assert "reach.holder_id IN (__[POSTCOMPILE_holder_id_1])" in school
    assert "reach.relation" not in school


def test_each_range_of_reach_is_a_branch_of_its_own_with_its_relations():
    # A teacher's school admits its staff only, their classes students and guardians.
    classes = str(search_sql.matches_first_page(wanted("oka"), TEACHER).compile(dialect=postgresql.dialect()))
    branches = classes.split(" UNION ")
    assert len(branches) == 3 and "FROM people" in branches[2]
    for branch in branches[:2]:
        assert branch.count("FROM reach") == 1 and branch.count("reach.relation IN") == 1
        assert branch.count("LIKE %(term_0)s") == 2


def test_reach_rows_hold_no_relation_but_those_a_range_alone_admits():
    derived = str(reach_sql.rows_of(None).compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    assert set(re.findall(r"'(\w+)' AS relation", derived)) == reach_sql.EVERY_RELATION
