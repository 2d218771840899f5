"""Reach rows kept a few people at a time are exactly what deriving every row afresh gives.

Random districts are changed at random (people, their schools, enrollments, classrooms, guardian links),
and after each change only the people it touched are refreshed, as the repository's writers do; the
whole table is then compared with `reach_sql.rows_of(None)`, the rule over everyone. On PostgreSQL the
refresh is one statement that derives each person's rows on their own and writes only what differs.
"""
from __future__ import annotations

import random

import pytest
from random_reach_district import RandomDistrict, derived_rows, kept_rows
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from services.directory import handlers
from services.directory.adapters.repository import DirectoryRepository
from services.directory.adapters.tables import people, schools
from shared.db import make_engine
from shared.migrations import upgrade


@pytest.fixture(params=["postgresql", "sqlite"])
def session(request, migrated_pg_url, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'directory.db'}"
        upgrade("directory", url)
    else:
        url = migrated_pg_url("directory")
    engine = make_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("seed", range(4))
def test_reach_refreshed_for_the_touched_people_equals_the_whole_rule(session, seed):
    rng = random.Random(seed)
    repo = DirectoryRepository(session)
    district = RandomDistrict(session, rng)
    repo.refresh_reach(district.person_ids)
    session.commit()
    assert kept_rows(session) == derived_rows(session)
    assert kept_rows(session)

    for _ in range(60):
        # Several changes in one transaction, refreshed together, as a page is.
        touched: set[str] = set()
        for _ in range(rng.randint(1, 4)):
            touched |= district.change()
        repo.refresh_reach(repo.with_guardians(touched))
        session.commit()
        assert kept_rows(session) == derived_rows(session)


@pytest.mark.postgres
def test_refreshing_people_whose_rows_hold_leaves_those_rows_unwritten_and_unlocked(migrated_pg_url):
    engine = make_engine(migrated_pg_url("directory"))
    with Session(engine) as session:
        repo = DirectoryRepository(session)
        district = RandomDistrict(session, random.Random(7))
        repo.refresh_reach(district.person_ids)
        session.commit()

        def versions() -> dict:
            return dict(session.execute(text(
                "SELECT holder_id || relation || person_id, xmin::text FROM reach")).all())

        before = versions()
        repo.refresh_reach(district.person_ids)
        session.commit()
        assert versions() == before
        # Not even locked: a row lock would have left the refreshing transaction's id in xmax.
        assert session.execute(text("SELECT count(*) FROM reach WHERE xmax <> '0'")).scalar_one() == 0
    engine.dispose()


class SyncedDistrict:
    """A small district applied through the sync's handlers, whose people pages then change at random."""

    def __init__(self, session: Session, rng: random.Random) -> None:
        self.repo, self.rng = DirectoryRepository(session), rng
        self.district_id = handlers.upsert_district({"source_id": "d", "name": "d"}, repo=self.repo)["id"]
        self.schools = [f"sch-{n}" for n in range(3)]
        handlers.upsert_schools({"district_id": self.district_id, "schools": [
            {"source_id": school, "name": school, "identifier": None} for school in self.schools]}, repo=self.repo)
        classes = [f"cls-{n}" for n in range(6)]
        handlers.upsert_classrooms({"district_id": self.district_id, "unarchive_reappearing": True, "classrooms": [
            {"source_id": source, "school_source_id": rng.choice(self.schools), "title": source, "class_code": None,
             "course_title": None, "grades": []} for source in classes]}, repo=self.repo)
        self.people = {f"p-{n}": self.new_person(f"p-{n}") for n in range(30)}
        self.apply(list(self.people.values()))
        students = [source for source, person in self.people.items() if "student" in person["kinds"]]
        guardians = [source for source, person in self.people.items() if "guardian" in person["kinds"]]
        handlers.upsert_enrollments({"district_id": self.district_id, "enrollments": [
            {"source_id": f"enr-{source}-{room}", "classroom_source_id": room, "person_source_id": source,
             "role": "student"} for source in students for room in rng.sample(classes, 2)]}, repo=self.repo)
        handlers.upsert_guardian_links({"district_id": self.district_id, "links": [
            {"guardian_source_id": guardian, "student_source_id": student}
            for student in students for guardian in rng.sample(guardians, min(2, len(guardians)))]}, repo=self.repo)

    def new_person(self, source_id: str) -> dict:
        rng = self.rng
        kinds = rng.choice((["student"], ["student"], ["guardian"], ["guardian"], ["staff"], ["staff", "guardian"]))
        return {"source_id": source_id, "given_name": rng.choice(("Ana", "Ben")), "family_name": "Lopez",
                "middle_name": None, "kinds": kinds, "grade": None, "job_title": None, "identifier": None,
                "school_source_ids": rng.sample(self.schools, rng.randint(0, 2))}

    def apply(self, page: list[dict]) -> None:
        results = handlers.upsert_people({"district_id": self.district_id, "people": page}, repo=self.repo,
                                         publish=lambda event, payload: None)["results"]
        assert {result["outcome"] for result in results} <= {"created", "updated", "unchanged"}

    def changed(self, person: dict) -> dict:
        rng = self.rng
        change = rng.choice((
            {"given_name": person["given_name"] + "e"}, {"given_name": person["given_name"].upper()},
            {"family_name": rng.choice(("Lopez", "Moreau"))}, {"middle_name": rng.choice(("M", None))},
            {"grade": rng.choice(("04", "05"))}, {"school_source_ids": rng.sample(self.schools, rng.randint(0, 2))},
            {"kinds": rng.choice((["student"], ["guardian"], ["student", "guardian"]))}))
        return {**person, **change}

    def archive(self, source: str) -> None:
        """Archived as the archiving stage does it; the sync's next page that lists them brings them back."""
        session = self.repo.session
        person_id = session.execute(select(people.c.id).where(people.c.source_id == source)).scalar_one()
        session.execute(update(people).where(people.c.id == person_id).values(archived=True))
        self.repo.refresh_reach(self.repo.with_guardians({person_id}))
        session.commit()

    def next_page(self) -> list[dict]:
        sources = self.rng.sample(sorted(self.people), self.rng.randint(1, 6))
        for source in sources:
            self.people[source] = self.changed(self.people[source])
        if self.rng.random() < 0.3:
            self.archive(sources[0])
        if self.rng.random() < 0.3:
            source = f"p-{len(self.people)}"
            self.people[source] = self.new_person(source)
            sources.append(source)
        return [self.people[source] for source in sources]


@pytest.mark.postgres
@pytest.mark.parametrize("seed", range(3))
def test_pages_of_people_changed_at_random_keep_reach_and_school_links_exact(session, seed):
    district = SyncedDistrict(session, random.Random(seed))
    assert kept_rows(session) == derived_rows(session)
    for _ in range(40):
        district.apply(district.next_page())
        assert kept_rows(session) == derived_rows(session)
        assert not session.execute(select(people.c.id).where(people.c.archived)).first()
    school_ids = dict(session.execute(select(schools.c.source_id, schools.c.id)).all())
    person_ids = dict(session.execute(select(people.c.source_id, people.c.id)).all())
    linked = district.repo.school_ids_of(person_ids.values())
    assert {source: linked[person_ids[source]] for source in district.people} == {
        source: {school_ids[school] for school in person["school_source_ids"]}
        for source, person in district.people.items()}
