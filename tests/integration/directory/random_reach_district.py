"""A small random district on the directory's tables, for tests that compare reach with the whole rule.

Rows are written directly (no service): each change says which people it touched, so a test refreshes only
them, as the repository's writers do, and compares the table with `reach_sql.rows_of(None)`.
"""
from __future__ import annotations

import random
import uuid

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from services.directory.adapters import reach_sql
from services.directory.adapters import tables as t

ROLES = ("student", "student", "student", "teacher", "aide")


def new_id() -> str:
    return uuid.uuid4().hex


class RandomDistrict:
    """A small district whose rows change at random; each change says which people it touched."""

    def __init__(self, session: Session, rng: random.Random) -> None:
        self.session, self.rng = session, rng
        self.district_id = new_id()
        session.execute(insert(t.districts).values(id=self.district_id, name="d"))
        self.school_ids = [new_id() for _ in range(3)]
        session.execute(insert(t.schools), [{"id": sid, "district_id": self.district_id, "name": sid}
                                            for sid in self.school_ids])
        self.classroom_ids = [new_id() for _ in range(6)]
        session.execute(insert(t.classrooms), [
            {"id": cid, "district_id": self.district_id, "school_id": rng.choice(self.school_ids), "title": cid,
             "grades": [], "archived": rng.random() < 0.2} for cid in self.classroom_ids])
        self.person_ids: list[str] = []
        for _ in range(30):
            self.add_person()

    def add_person(self) -> set[str]:
        rng, pid = self.rng, new_id()
        self.person_ids.append(pid)
        self.session.execute(insert(t.people).values(
            id=pid, district_id=self.district_id, given_name="g", family_name="f",
            given_name_key=rng.choice("abc"), family_name_key=rng.choice("xyz"),
            is_student=rng.random() < 0.5, is_staff=rng.random() < 0.2, is_guardian=rng.random() < 0.5,
            archived=rng.random() < 0.1, student_account_enabled=rng.random() < 0.5))
        for school_id in rng.sample(self.school_ids, rng.randint(0, 2)):
            self.session.execute(insert(t.person_schools).values(person_id=pid, school_id=school_id))
        return {pid}

    def change_person(self) -> set[str]:
        rng, pid = self.rng, self.rng.choice(self.person_ids)
        column = rng.choice(("is_student", "is_staff", "is_guardian", "archived", "student_account_enabled",
                             "joined", "invited"))
        self.session.execute(update(t.people).where(t.people.c.id == pid).values(
            {column: rng.random() < 0.5, "family_name_key": rng.choice("xyz")}))
        return {pid}

    def move_schools(self) -> set[str]:
        pid = self.rng.choice(self.person_ids)
        self.session.execute(delete(t.person_schools).where(t.person_schools.c.person_id == pid))
        for school_id in self.rng.sample(self.school_ids, self.rng.randint(0, 2)):
            self.session.execute(insert(t.person_schools).values(person_id=pid, school_id=school_id))
        return {pid}

    def enroll(self) -> set[str]:
        pid = self.rng.choice(self.person_ids)
        self.session.execute(insert(t.enrollments).values(
            id=new_id(), district_id=self.district_id, classroom_id=self.rng.choice(self.classroom_ids),
            person_id=pid, role=self.rng.choice(ROLES), archived=self.rng.random() < 0.2))
        return {pid}

    def change_enrollment(self) -> set[str]:
        rows = self.session.execute(select(t.enrollments.c.id, t.enrollments.c.person_id)).all()
        if not rows:
            return set()
        chosen = self.rng.choice(rows)
        self.session.execute(update(t.enrollments).where(t.enrollments.c.id == chosen.id).values(
            archived=self.rng.random() < 0.5, role=self.rng.choice(ROLES)))
        return {chosen.person_id}

    def archive_classroom(self) -> set[str]:
        cid = self.rng.choice(self.classroom_ids)
        self.session.execute(update(t.classrooms).where(t.classrooms.c.id == cid).values(
            archived=self.rng.random() < 0.5))
        return set(self.session.execute(select(t.enrollments.c.person_id).where(
            t.enrollments.c.classroom_id == cid)).scalars())

    def link(self) -> set[str]:
        guardian, student = self.rng.sample(self.person_ids, 2)
        found = self.session.execute(select(t.guardian_links.c.id).where(
            t.guardian_links.c.guardian_id == guardian, t.guardian_links.c.student_id == student)).scalar()
        if found is None:
            self.session.execute(insert(t.guardian_links).values(
                id=new_id(), district_id=self.district_id, guardian_id=guardian, student_id=student,
                archived=self.rng.random() < 0.2))
        else:
            self.session.execute(update(t.guardian_links).where(t.guardian_links.c.id == found).values(
                archived=self.rng.random() < 0.5))
        return {guardian}

    def change(self) -> set[str]:
        return self.rng.choice((self.add_person, self.change_person, self.move_schools, self.enroll, self.enroll,
                                self.change_enrollment, self.archive_classroom, self.link, self.link))()


def kept_rows(session: Session) -> set[tuple]:
    return {tuple(row) for row in session.execute(select(*(t.reach.c[name] for name in reach_sql.COLUMNS)))}


def derived_rows(session: Session) -> set[tuple]:
    return {tuple(row) for row in session.execute(reach_sql.rows_of(None))}
