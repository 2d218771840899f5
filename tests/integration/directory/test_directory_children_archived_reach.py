"""Archiving people marks their current guardians' rows that no current child reaches any more, without
deriving those guardians' paths again (reach_sql.CHILDREN_ARCHIVED); the table is then exactly what the whole
rule derives, `reach_sql.rows_of(None)`, as after the full refresh it replaces there."""
from __future__ import annotations

import random

import pytest
from random_reach_district import RandomDistrict, derived_rows, kept_rows, new_id
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from services.directory.adapters.archiving_repository import ArchivingRepository
from services.directory.adapters.audit_repository import AuditLog
from services.directory.adapters.repository import DirectoryRepository
from services.directory.adapters import tables as t
from shared.contracts.directory import GUARDIAN, STAFF, STUDENT
from shared.db import make_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def session(migrated_pg_url):
    engine = make_engine(migrated_pg_url("directory"))
    with Session(engine) as session:
        yield session
    engine.dispose()


def archiving(session: Session) -> ArchivingRepository:
    return ArchivingRepository(session, DirectoryRepository(session), AuditLog(session))


class Families:
    """Two schools, four classrooms (one archived) and people named for what each case needs."""

    def __init__(self, session: Session) -> None:
        self.session, self.ids = session, {}
        district_id = self.id_of("district")
        session.execute(insert(t.districts).values(id=district_id, name="d"))
        for school in ("north", "south"):
            session.execute(insert(t.schools).values(id=self.id_of(school), district_id=district_id, name=school))
        for room, school, archived in (("math", "north", False), ("art", "north", False), ("bio", "south", False),
                                       ("old", "north", True)):
            session.execute(insert(t.classrooms).values(id=self.id_of(room), district_id=district_id,
                                                      school_id=self.id_of(school), title=room, grades=[],
                                                      archived=archived))

    def id_of(self, name: str) -> str:
        return self.ids.setdefault(name, new_id())

    def person(self, name: str, kinds: tuple[str, ...], schools_of: tuple[str, ...] = (), *,
               archived: bool = False) -> None:
        self.session.execute(insert(t.people).values(
            id=self.id_of(name), district_id=self.id_of("district"), given_name=name, family_name="f",
            given_name_key=name, family_name_key="f", archived=archived,
            **{f"is_{kind}": kind in kinds for kind in (STUDENT, STAFF, GUARDIAN)}))
        for school in schools_of:
            self.session.execute(insert(t.person_schools).values(person_id=self.id_of(name),
                                                                 school_id=self.id_of(school)))

    def enroll(self, name: str, room: str, *, role: str = "student", archived: bool = False) -> None:
        self.session.execute(insert(t.enrollments).values(
            id=new_id(), district_id=self.id_of("district"), classroom_id=self.id_of(room),
            person_id=self.id_of(name), role=role, archived=archived))

    def link(self, guardian: str, *children: str, archived: bool = False) -> None:
        for child in children:
            self.session.execute(insert(t.guardian_links).values(
                id=new_id(), district_id=self.id_of("district"), guardian_id=self.id_of(guardian),
                student_id=self.id_of(child), archived=archived))

    def current_rows(self, name: str) -> set[tuple[str, str]]:
        """(holder name, relation) of the person's rows not archived."""
        names = {value: key for key, value in self.ids.items()}
        return {(names[row.holder_id], row.relation) for row in self.session.execute(
            select(t.reach.c.holder_id, t.reach.c.relation).where(t.reach.c.person_id == self.id_of(name),
                                                                  ~t.reach.c.archived))}


@pytest.fixture
def families(session) -> Families:
    world = Families(session)
    for name, schools_of in (("ana", ("north",)), ("ben", ("north",)), ("cal", ("north", "south")),
                             ("dee", ("south",))):
        world.person(name, (STUDENT,), schools_of)
    world.enroll("ana", "math")
    world.enroll("ana", "art")
    world.enroll("ben", "math")
    world.enroll("cal", "bio")
    world.enroll("cal", "art", archived=True)
    world.enroll("dee", "bio")
    world.enroll("dee", "old")
    world.person("gina", (GUARDIAN,))          # two children, one leaves
    world.link("gina", "ana", "ben")
    world.person("hal", (GUARDIAN,))           # both children leave
    world.link("hal", "ana", "dee")
    world.person("ivy", (STAFF, GUARDIAN), ("north",))  # staff too
    world.link("ivy", "ana")
    world.person("jon", (STUDENT, GUARDIAN), ("south",))  # a student with a child of their own
    world.enroll("jon", "bio")
    world.link("jon", "dee")
    world.person("kim", (GUARDIAN,))           # the leaver's link is archived already
    world.link("kim", "cal")
    world.link("kim", "ana", archived=True)
    world.person("lea", (GUARDIAN,), archived=True)  # archived before
    world.link("lea", "ana")
    world.person("max", (GUARDIAN,))           # leaves with the child
    world.link("max", "ana")
    world.person("ola", (GUARDIAN,))           # the children share one school of two
    world.link("ola", "ben", "cal")
    world.person("eli", (STUDENT,), ("north",))
    world.enroll("eli", "math")
    world.enroll("eli", "art", archived=True)
    world.person("rex", (GUARDIAN,))           # the child who stays left Art
    world.link("rex", "ana", "eli")
    world.person("pia", (STAFF,), ("south",))  # teaches: no guardian row at all
    world.enroll("pia", "bio", role="teacher")
    DirectoryRepository(session).refresh_reach(world.ids.values())
    session.commit()
    assert kept_rows(session) == derived_rows(session)
    return world


def test_guardians_keep_current_only_what_a_current_child_still_reaches_as_the_whole_rule_says(
        session, families):
    leaving = [families.id_of(name) for name in ("ana", "dee", "cal", "max")]
    archiving(session).archive_synced("people", leaving)

    assert kept_rows(session) == derived_rows(session)
    assert families.current_rows("gina") == {("north", GUARDIAN), ("math", GUARDIAN)}
    assert families.current_rows("hal") == set()
    assert families.current_rows("ivy") == {("north", STAFF)}
    assert families.current_rows("jon") == {("south", STUDENT), ("bio", STUDENT)}
    assert families.current_rows("kim") == set()
    assert families.current_rows("ola") == {("north", GUARDIAN), ("math", GUARDIAN)}
    assert families.current_rows("rex") == {("north", GUARDIAN), ("math", GUARDIAN)}
    assert families.current_rows("pia") == {("south", STAFF)}
    assert families.current_rows("max") == families.current_rows("lea") == set()


def test_archiving_by_hand_one_child_then_the_other_marks_as_the_whole_rule_does(session, families):
    repo = archiving(session)
    repo.set_people_archived([families.id_of("ben")], True, [])
    assert kept_rows(session) == derived_rows(session)
    assert families.current_rows("gina") == {("north", GUARDIAN), ("math", GUARDIAN), ("art", GUARDIAN)}
    assert families.current_rows("ola") == {("north", GUARDIAN), ("south", GUARDIAN), ("bio", GUARDIAN)}

    repo.set_people_archived([families.id_of("ana")], True, [])
    assert kept_rows(session) == derived_rows(session)
    assert families.current_rows("gina") == set()


def test_a_guardian_who_loses_no_path_has_no_row_written(session, families):
    def versions() -> dict:
        return dict(session.execute(text("SELECT holder_id || relation, xmin::text FROM reach WHERE person_id = :id"),
                                    {"id": families.id_of("gina")}).all())

    before = versions()
    # Ana still takes Gina to North, Math and Art.
    archiving(session).archive_synced("people", [families.id_of("ben")])
    assert versions() == before
    assert kept_rows(session) == derived_rows(session)


@pytest.mark.parametrize("seed", range(4))
def test_random_pages_of_people_archived_leave_reach_as_the_whole_rule_derives_it(session, seed):
    rng = random.Random(seed)
    district = RandomDistrict(session, rng)
    for _ in range(60):
        district.link()
    for _ in range(20):
        district.enroll()
    repo = archiving(session)
    repo.people.refresh_reach(district.person_ids)
    session.commit()
    assert kept_rows(session) == derived_rows(session)

    for _ in range(8):
        page = rng.sample(district.person_ids, rng.randint(1, 4))
        if rng.random() < 0.5:
            repo.archive_synced("people", page)
        else:
            repo.set_people_archived(page, True, [])
        assert kept_rows(session) == derived_rows(session)
