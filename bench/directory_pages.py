"""A full import's pages applied straight to the directory's handlers: its CPU and PostgreSQL's per 1,000 rows.

    python -m bench.directory_pages --students 30000

No broker, no other service: a generated district (shaped like the package generator's: 1.5 guardians and 0.1
staff per student, five classes per student, siblings sharing a second guardian) goes through
upsert_schools, upsert_classrooms, upsert_people, upsert_enrollments and upsert_guardian_links a page of
1,000 rows at a time on one connection, in a scratch schema of a scratch database dropped afterwards. Per
stage it prints the backend's and this process's CPU per 1,000 rows and the first, middle and last page's
seconds (a page that costs more the larger the district has grown shows here first), then the statements
that took longest. After each page the tables' statistics are kept as a service keeps them
(shared/table_statistics.py: stale tables analyzed at most every 20 s, on another connection, whose CPU is not
counted). On a shared box the CPU figures compare two runs better than the seconds.
"""
from __future__ import annotations

import argparse
import random
import resource
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from bench.platform_stack import cpu_seconds_of, sqlalchemy_url
from services.directory import handlers
from services.directory.adapters.repository import DirectoryRepository
from services.directory.adapters.tables import READ_INDEX_ONLY
from shared.contracts import directory
from shared.db import make_engine
from shared.migrations import upgrade
from shared.outbox import stage_event
from shared.table_statistics import StatisticsKeeper

DATABASE = "bench_directory_pages"
PAGE_ROWS = 1000
CLASSES_PER_STUDENT = 5


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.directory_pages", description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=10_000)
    args = parser.parse_args(argv)
    create_database(DATABASE)
    owner = create_engine(sqlalchemy_url(DATABASE), isolation_level="AUTOCOMMIT")
    schema = f"pages_{uuid.uuid4().hex[:8]}"
    with owner.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{sqlalchemy_url(DATABASE)}?options=-csearch_path%3D{schema},public"
        upgrade("directory", url)
        engine = make_engine(url)
        try:
            _import(engine, args.students)
        finally:
            engine.dispose()
    finally:
        with owner.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        owner.dispose()


def create_database(name: str) -> None:
    """The scratch database, unless it is there already."""
    admin = create_engine(sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _import(engine, students: int) -> None:
    spent: defaultdict[str, float] = defaultdict(float)
    calls: defaultdict[str, int] = defaultdict(int)

    @event.listens_for(engine, "before_cursor_execute")
    def started(conn, cursor, statement, parameters, context, executemany):
        conn.info["statement_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def ended(conn, cursor, statement, parameters, context, executemany):
        key = " ".join(statement.split())[:100]
        spent[key] += time.perf_counter() - conn.info["statement_started"]
        calls[key] += 1

    with Session(engine) as session:
        repo = DirectoryRepository(session)
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar()
        session.commit()

        def publish(published, payload):
            stage_event(session, directory.contract, published, payload)

        district = District(students)
        district_id = handlers.upsert_district({"source_id": "district", "name": "District"}, repo=repo)["id"]
        stages = (
            ("schools", district.schools(), lambda page: handlers.upsert_schools(
                {"district_id": district_id, "schools": page}, repo=repo)),
            ("classrooms", district.classrooms(), lambda page: handlers.upsert_classrooms(
                {"district_id": district_id, "classrooms": page, "unarchive_reappearing": True}, repo=repo)),
            ("people", district.people(), lambda page: handlers.upsert_people(
                {"district_id": district_id, "people": page}, repo=repo, publish=publish)),
            ("enrollments", district.enrollments(), lambda page: handlers.upsert_enrollments(
                {"district_id": district_id, "enrollments": page}, repo=repo)),
            ("links", district.links(), lambda page: handlers.upsert_guardian_links(
                {"district_id": district_id, "links": page}, repo=repo)),
        )
        totals = [0, 0.0, 0.0]
        statistics = StatisticsKeeper(engine, vacuumed=READ_INDEX_ONLY)
        for name, rows, apply in stages:
            figures = _stage(rows, apply, lambda: cpu_seconds_of(backend), statistics.check_when_due)
            for index, figure in enumerate(figures[:3]):
                totals[index] += figure
            _print(name, *figures)
        rows, postgres, here = totals
        print(f"{'all':12s} {rows:8,d} rows   CPU per 1,000 rows: PostgreSQL {postgres / rows * 1e6:6.1f} ms, "
              f"directory {here / rows * 1e6:6.1f} ms")
    print("statements taking longest (seconds, calls):")
    for key, seconds in sorted(spent.items(), key=lambda item: -item[1])[:8]:
        print(f"  {seconds:7.2f} {calls[key]:6d}  {key}")


def _stage(rows: list[dict], apply: Callable[[list[dict]], dict], backend_cpu: Callable[[], float],
           after_page: Callable[[], object]):
    postgres, here = backend_cpu(), _own_cpu()
    pages = []
    for start in range(0, len(rows), PAGE_ROWS):
        started = time.perf_counter()
        failed = [result for result in apply(rows[start:start + PAGE_ROWS])["results"]
                  if result["outcome"] == "failed"]
        if failed:
            raise RuntimeError(f"rows refused: {failed[:3]}")
        pages.append(time.perf_counter() - started)
        after_page()
    return len(rows), backend_cpu() - postgres, _own_cpu() - here, pages


def _print(name: str, rows: int, postgres: float, here: float, pages: list[float]) -> None:
    print(f"{name:12s} {rows:8,d} rows   CPU per 1,000 rows: PostgreSQL {postgres / rows * 1e6:6.1f} ms, "
          f"directory {here / rows * 1e6:6.1f} ms   page seconds first {pages[0]:.2f}, "
          f"middle {pages[len(pages) // 2]:.2f}, last {pages[-1]:.2f}", flush=True)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class District:
    def __init__(self, students: int, seed: int = 7) -> None:
        self.students, self.guardians, self.staff = students, students * 3 // 2, max(1, students // 10)
        self.school_count = max(4, students // 1000)
        self.class_count = max(self.school_count * CLASSES_PER_STUDENT, students // 5)
        rng = random.Random(seed)
        self.school_of = [rng.randrange(self.school_count) for _ in range(students)]
        self.classes_of_school: defaultdict[int, list[int]] = defaultdict(list)
        for n in range(self.class_count):
            self.classes_of_school[n % self.school_count].append(n)
        self.classes_of = [rng.sample(self.classes_of_school[school], CLASSES_PER_STUDENT)
                           for school in self.school_of]

    def guardians_of(self, student: int) -> list[int]:
        extra = self.guardians - self.students
        return [student, self.students + (student // 2) % extra] if extra > 0 else [student]

    def students_of(self, guardian: int) -> list[int]:
        if guardian < self.students:
            return [guardian]
        k = guardian - self.students
        return [s for s in (2 * k, 2 * k + 1) if s < self.students]

    def schools(self) -> list[dict]:
        return [{"source_id": f"sch-{n}", "name": f"School {n}", "identifier": None}
                for n in range(self.school_count)]

    def classrooms(self) -> list[dict]:
        return [{"source_id": f"cls-{n}", "school_source_id": f"sch-{n % self.school_count}", "title": f"Class {n}",
                 "class_code": None, "course_title": None, "grades": ["5"]} for n in range(self.class_count)]

    def people(self) -> list[dict]:
        def person(source_id, given, family, kind, schools, **extra):
            return {"source_id": source_id, "given_name": given, "family_name": family, "middle_name": None,
                    "kinds": [kind], "grade": None, "job_title": None, "identifier": None,
                    "school_source_ids": schools, **extra}

        staff = [person(f"stf-{n}", "Teacher", f"Staff{n % 300}", "staff", [f"sch-{n % self.school_count}"],
                        job_title="teacher") for n in range(self.staff)]
        students = [person(f"stu-{n}", f"G{n % 500}", f"F{n % 2000}", "student", [f"sch-{self.school_of[n]}"],
                           grade="5") for n in range(self.students)]
        guardians = [person(f"gua-{n}", f"P{n % 500}", f"F{(self.students_of(n) or [n])[0] % 2000}", "guardian",
                            sorted({f"sch-{self.school_of[s]}" for s in self.students_of(n)}))
                     for n in range(self.guardians)]
        return staff + students + guardians

    def enrollments(self) -> list[dict]:
        rows = [{"source_id": f"enr-t{n}", "classroom_source_id": f"cls-{n}",
                 "person_source_id": f"stf-{n % self.staff}", "role": "teacher"} for n in range(self.class_count)]
        rows += [{"source_id": f"enr-{s}-{n}", "classroom_source_id": f"cls-{n}", "person_source_id": f"stu-{s}",
                  "role": "student"} for s in range(self.students) for n in self.classes_of[s]]
        return rows

    def links(self) -> list[dict]:
        return [{"guardian_source_id": f"gua-{g}", "student_source_id": f"stu-{s}"}
                for s in range(self.students) for g in self.guardians_of(s)]


if __name__ == "__main__":
    main()
