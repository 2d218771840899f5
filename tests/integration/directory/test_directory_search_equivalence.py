"""The scoped search plan (the reach table) returns what the visibility rule and the filters say,
for every viewer and filter combination, on PostgreSQL and on SQLite."""
from __future__ import annotations

import itertools

import pytest
from directory_district import SEES
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from services.directory import handlers
from services.directory.adapters.repository import DirectoryRepository
from services.directory.adapters import search_sql
from services.directory.adapters.search_sql import names_first_page
from services.directory.adapters.tables import NAME_COUNT_KEY, enrollments, name_counts, people
from services.directory.domain import people as people_rules
from services.directory.domain import visibility as v
from shared.db import make_engine
from shared.migrations import upgrade

FILTERS = [{}, {"query": "lop"}, {"query": "an"}, {"kind": "guardian"}, {"kind": "student", "query": "o"},
           {"school": "sch-south"}, {"school": "sch-north", "kind": "guardian"}, {"classroom": "cls-math"},
           {"classroom": "cls-art", "kind": "student"}, {"student_account_status": "not_enabled"}]


@pytest.fixture(params=["postgresql", "sqlite"])
def directory_config(request, rabbit_config, migrated_pg_url, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'directory.db'}"
        upgrade("directory", url)
    else:
        url = migrated_pg_url("directory")
    return {**rabbit_config, "DATABASES": {"directory": url}, "max_workers": 10}


@pytest.fixture
def repo(directory_config, district):
    engine = make_engine(directory_config["DATABASES"]["directory"])
    session = Session(engine)
    yield DirectoryRepository(session)
    session.close()
    engine.dispose()


def expected_ids(repo, district, scope: v.Scope, wanted: people_rules.PeopleFilter) -> list[str]:
    """The rule in plain Python over every person: visibility, then each filter, in name order."""
    rows = {row.id: row for row in repo.session.execute(select(people))}
    facts = repo.person_facts(list(rows))
    enrolled = {(row.person_id, row.classroom_id) for row in repo.session.execute(select(enrollments))}

    def matches(pid: str) -> bool:
        row, person = rows[pid], facts[pid]
        return (v.can_see_person(scope, person) and (wanted.include_archived or not row.archived)
                and all(term in row.given_name_key or term in row.family_name_key for term in wanted.terms)
                and (not wanted.kind or wanted.kind in person.kinds)
                and (not wanted.school_id or wanted.school_id in person.school_ids | person.children_school_ids)
                and (not wanted.classroom_id or (pid, wanted.classroom_id) in enrolled
                     or wanted.classroom_id in person.children_classroom_ids)
                and (not wanted.students_only or ("student" in person.kinds
                                                   and row.student_account_enabled == wanted.account_enabled)))

    ordered = sorted((row for pid, row in rows.items() if matches(pid)),
                     key=lambda row: (row.family_name_key, row.given_name_key, row.id))
    return [row.id for row in ordered]


@pytest.mark.parametrize("viewer,filters", list(itertools.product(sorted(SEES), FILTERS)))
def test_the_search_plan_agrees_with_the_visibility_rule(repo, district, viewer, filters):
    request = {key: value for key, value in filters.items() if key not in ("school", "classroom")}
    if "school" in filters:
        request["school_id"] = district.ids[filters["school"]]
    if "classroom" in filters:
        request["classroom_id"] = district.ids[filters["classroom"]]
    principal = district.viewer(viewer)
    scope = v.scope_for(principal, repo.viewer_facts(principal["person_id"]))
    wanted = people_rules.people_filter({"per_page": 200, **request})

    rows, total, exact = repo.search_people(wanted, scope)

    expected = expected_ids(repo, district, scope, wanted)
    assert [row["id"] for row in rows] == expected
    assert (total, exact) == (len(expected), True)


def test_a_page_of_a_scoped_search_is_a_slice_of_the_whole_list(repo, district):
    principal = district.viewer("north_admin")
    whole = handlers.search_people({"viewer": principal, "page": 1, "per_page": 200}, repo=repo)["items"]
    pages = [handlers.search_people({"viewer": principal, "page": n, "per_page": 3}, repo=repo)["items"]
             for n in (1, 2, 3)]
    assert [item["id"] for page in pages for item in page] == [item["id"] for item in whole]


def counted_names(repo) -> dict:
    """name_counts as kept, without the names nobody holds any more."""
    return {tuple(row[:-1]): row[-1] for row in repo.session.execute(
        select(*(name_counts.c[name] for name in NAME_COUNT_KEY), name_counts.c.people)
        .where(name_counts.c.people != 0))}


def names_of_people(repo) -> dict:
    key = [people.c[name] for name in NAME_COUNT_KEY]
    return {tuple(row[:-1]): row[-1] for row in repo.session.execute(select(*key, func.count()).group_by(*key))}


def test_name_counts_follow_every_write_to_people(repo, district, directory_config):
    if not directory_config["DATABASES"]["directory"].startswith("postgresql"):
        pytest.skip("name_counts are kept by PostgreSQL triggers; SQLite searches never read them")
    session = repo.session
    assert counted_names(repo) == names_of_people(repo)
    # A rename, an archiving, a change that keeps the name, a new person and a deletion, in one transaction.
    session.execute(update(people).where(people.c.id == district.ids["ana"])
                    .values(family_name="Zed", family_name_key="zed"))
    session.execute(update(people).where(people.c.id == district.ids["ben"]).values(archived=True))
    session.execute(update(people).where(people.c.id == district.ids["eve"]).values(grade="12"))
    session.execute(insert(people).values(id="p-new", district_id=district.id, given_name="Nia", family_name="Zed",
                                          given_name_key="nia", family_name_key="zed", is_guardian=True))
    session.execute(insert(people).values(id="p-gone", district_id=district.id, given_name="Om", family_name="Lo",
                                          given_name_key="om", family_name_key="lo"))
    session.execute(delete(people).where(people.c.id == "p-gone"))
    session.commit()
    assert counted_names(repo) == names_of_people(repo)
    # A transaction rolled back leaves them as they were.
    session.execute(update(people).where(people.c.id == district.ids["eve"])
                    .values(given_name_key="someone else"))
    session.rollback()
    assert counted_names(repo) == names_of_people(repo)


def test_a_district_search_by_names_pages_like_the_whole_list(repo, district, directory_config, monkeypatch):
    principal = district.viewer("pat_district_admin")
    statements = []
    monkeypatch.setattr(search_sql, "names_first_page", lambda *args, **kwargs: statements.append(args) or
                        names_first_page(*args, **kwargs))
    request = {"viewer": principal, "query": "a"}
    whole = handlers.search_people({**request, "page": 1, "per_page": 200}, repo=repo)
    pages = [handlers.search_people({**request, "page": n, "per_page": 2}, repo=repo) for n in range(1, 12)]
    assert [item["id"] for page in pages for item in page["items"]] == [item["id"] for item in whole["items"]]
    assert len(whole["items"]) > 4
    assert {page["total"] for page in pages} == {whole["total"]} == {len(whole["items"])}
    on_postgresql = directory_config["DATABASES"]["directory"].startswith("postgresql")
    assert bool(statements) == on_postgresql


def test_name_counts_of_two_writers_of_one_new_name_add_up(repo, district, directory_config):
    url = directory_config["DATABASES"]["directory"]
    if not url.startswith("postgresql"):
        pytest.skip("name_counts are kept by PostgreSQL triggers; SQLite searches never read them")
    engine = make_engine(url)
    writers = [Session(engine), Session(engine)]
    try:
        for n, writer in enumerate(writers):  # both log their change before either commits
            writer.execute(insert(people).values(
                id=f"p-twin-{n}", district_id=district.id, given_name="Io", family_name="Quill",
                given_name_key="io", family_name_key="quill", is_student=True))
        writers[1].commit()
        writers[0].commit()
    finally:
        for writer in writers:
            writer.close()
        engine.dispose()
    repo.session.rollback()
    assert counted_names(repo) == names_of_people(repo)
    assert counted_names(repo)[(district.id, "quill", "io", False, True, False, False)] == 2


def test_each_kind_of_search_is_prepared_once_on_postgresql(repo, district, directory_config):
    if not directory_config["DATABASES"]["directory"].startswith("postgresql"):
        pytest.skip("prepared statements are PostgreSQL's")
    principal = district.viewer("north_admin")
    scope = v.scope_for(principal, repo.viewer_facts(principal["person_id"]))
    for words in ("lop", "an", "o", "lop"):
        repo.search_people(people_rules.people_filter({"query": words}), scope)
        repo.session.close()  # as a worker's session ends: the pool's one connection goes back
    prepared = repo.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
    assert prepared == 1
