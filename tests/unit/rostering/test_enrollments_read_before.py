"""A read given the enrollments the last read built gives the Snapshot a read from nothing gives, and takes them
whole when enrollments.csv's bytes are the same and every row resolves as it did."""
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneroster_builders import (
    make_class_row,
    make_district_row,
    make_enrollment_row,
    make_guardian_row,
    make_org_row,
    make_teacher_row,
    make_user_row,
    write_package,
    zip_folder,
)
from rostering_fakes import FakeAppliedRows, Importer

from services.rostering import archiving, handlers
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.applied_rows import AppliedRow, keys_digest
from services.rostering.domain.archive_plan import ARCHIVED_ENTITIES, listed_keys
from services.rostering.domain import stage_summaries
from services.rostering.domain.enrollments_read_before import EnrollmentsReadBefore
from services.rostering.domain.people_read_before import PeopleReadBefore

ORGS = [make_district_row(), make_org_row(), make_org_row(sourcedId="school-2", name="Adams Middle")]
CLASSES = [make_class_row(), make_class_row(sourcedId="class-2", title="Math 3B", schoolSourcedId="school-2")]


class Keepers:
    """What the service keeps between reads: the people and the enrollments of the last read."""

    def __init__(self) -> None:
        self.people, self.enrollments = PeopleReadBefore(), EnrollmentsReadBefore()

    def read(self, path: Path, **options):
        """The Snapshot read through both keepers, checked equal to one read from nothing."""
        again = read_package(path, read_before=self.people, enrollments_before=self.enrollments, **options)
        assert again == read_package(path, **options)
        return again


def students(count: int) -> list[dict[str, str]]:
    return [make_user_row(sourcedId=f"student-{n}", username=f"s{n}", identifier=f"S{n:03}", givenName=f"Kid{n}",
                          email=f"kid{n}@lincoln.k12.us") for n in range(count)]


def enrollments_of(count: int, **overrides: str) -> list[dict[str, str]]:
    return [make_enrollment_row(sourcedId=f"enr-{n}", userSourcedId=f"student-{n}",
                                classSourcedId=f"class-{1 + n % 2}", schoolSourcedId=f"school-{1 + n % 2}",
                                beginDate="2025-08-25", **overrides) for n in range(count)]


def package(folder: Path, users=None, enrollments=None, classes=None, orgs=ORGS, modes=None) -> Path:
    return write_package(folder, orgs=orgs, classes=CLASSES if classes is None else classes,
                         users=students(4) if users is None else users,
                         enrollments=enrollments_of(4) if enrollments is None else enrollments, modes=modes)


@pytest.mark.parametrize("enrollments_apart", [False, True])
def test_the_same_file_again_is_the_same_enrollments(tmp_path, enrollments_apart):
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a"), enrollments_apart=enrollments_apart)
    users = students(4)
    users[1] = {**users[1], "givenName": "Renamed"}  # users.csv changed, enrollments.csv the same bytes
    second = keepers.read(package(tmp_path / "b", users=users), enrollments_apart=enrollments_apart)
    assert second.enrollments is first.enrollments
    assert len(second.enrollments) == 4


def test_a_zipped_package_with_the_same_file_takes_them_too(tmp_path):
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a"))
    second = keepers.read(zip_folder(package(tmp_path / "b"), tmp_path / "b.zip"))
    assert second.enrollments is first.enrollments


def test_a_changed_file_or_mode_is_read_again(tmp_path):
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a"))
    changed = keepers.read(package(tmp_path / "b", enrollments=enrollments_of(4, role="teacher")))
    assert changed.enrollments is not first.enrollments
    assert {enrollment.role for enrollment in changed.enrollments} == {"teacher"}
    delta = keepers.read(package(tmp_path / "c", enrollments=enrollments_of(4, role="teacher"),
                                 modes={"enrollments": "delta"}))
    assert delta.enrollments is not changed.enrollments


def test_a_user_gone_that_an_enrollment_names_is_reported(tmp_path):
    keepers = Keepers()
    keepers.read(package(tmp_path / "a"))
    gone = keepers.read(package(tmp_path / "b", users=students(3)))
    assert [(problem.file, problem.line, problem.value) for problem in gone.problems] == [
        ("enrollments.csv", 5, "student-3")]
    assert len(gone.enrollments) == 3


def test_a_user_marked_for_deletion_that_an_enrollment_names_is_reported(tmp_path):
    keepers = Keepers()
    keepers.read(package(tmp_path / "a"))
    users = students(4)
    users[0] = {**users[0], "status": "tobedeleted"}
    marked = keepers.read(package(tmp_path / "b", users=users))
    assert [(problem.file, problem.value) for problem in marked.problems] == [("enrollments.csv", "student-0")]


def test_a_class_gone_that_an_enrollment_names_is_reported(tmp_path):
    keepers = Keepers()
    keepers.read(package(tmp_path / "a"))
    gone = keepers.read(package(tmp_path / "b", classes=CLASSES[:1]))
    assert {problem.value for problem in gone.problems} == {"class-2"}


def test_a_row_skipped_for_a_reference_is_read_again_once_the_reference_holds(tmp_path):
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a", users=students(3)))
    assert len(first.enrollments) == 3
    arrived = keepers.read(package(tmp_path / "b"))
    assert not arrived.problems and len(arrived.enrollments) == 4
    again = keepers.read(package(tmp_path / "c"))
    assert again.enrollments is arrived.enrollments


def test_the_file_s_own_findings_are_reported_on_every_read(tmp_path):
    rows = [*enrollments_of(3), make_enrollment_row(sourcedId="enr-0", userSourcedId="student-3"),
            make_enrollment_row(sourcedId="enr-9", status="tobedeleted"),
            make_enrollment_row(sourcedId="enr-8", userSourcedId="student-3", beginDate="yesterday", primary="maybe")]
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a", enrollments=rows))
    assert first.problems and first.tombstones and first.warnings
    second = keepers.read(package(tmp_path / "b", enrollments=rows))
    assert second.enrollments is first.enrollments
    assert (second.problems, second.warnings, second.tombstones) == (first.problems, first.warnings,
                                                                     first.tombstones)


def test_people_merged_otherwise_read_the_file_again(tmp_path):
    """A 1.1 staff member who is also a parent is two rows read as one person: an enrollment of the second row's
    id is the first's."""
    teacher = make_teacher_row(email="grace@lincoln.k12.us")
    parent = make_guardian_row(sourcedId="guardian-1", email="grace@lincoln.k12.us", agentSourcedIds="student-0")
    rows = [*enrollments_of(2), make_enrollment_row(sourcedId="enr-t", userSourcedId="guardian-1", role="teacher")]
    keepers = Keepers()
    merged = keepers.read(package(tmp_path / "a", users=[*students(2), teacher, parent], enrollments=rows))
    assert merged.aliases and merged.enrollments[-1].person_source_id == "teacher-1"
    apart = keepers.read(package(tmp_path / "b", enrollments=rows,
                                 users=[*students(2), teacher, {**parent, "email": "anne@example.org"}]))
    assert not apart.aliases and apart.enrollments[-1].person_source_id == "guardian-1"


# --- the enrollments' stage digest, kept with the enrollments it was made of ------------------------------------

def summary_through(kept: EnrollmentsReadBefore | None, snapshot):
    """The enrollments' summary (and what it reported) as a run makes it, given what the service keeps or not."""
    unmapped = []
    return stage_summaries.enrollments_summary(snapshot, unmapped, kept=kept), unmapped


def test_the_same_enrollments_take_their_digest_from_the_kept_read(tmp_path, monkeypatch):
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a"))
    assert summary_through(keepers.enrollments, first) == summary_through(None, first)
    users = students(4)
    users[1] = {**users[1], "givenName": "Renamed"}
    second = keepers.read(package(tmp_path / "b", users=users))
    assert second.enrollments is first.enrollments
    from_nothing = summary_through(None, second)

    def no_rows(*_):
        raise AssertionError("the enrollments' rows were made again")

    monkeypatch.setattr("services.rostering.domain.mapping.enrollment_columns", no_rows)
    assert summary_through(keepers.enrollments, second) == from_nothing


def test_enrollments_read_again_or_not_kept_make_their_digest_anew(tmp_path):
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a"))
    summary_through(keepers.enrollments, first)
    changed = keepers.read(package(tmp_path / "b", enrollments=enrollments_of(3)))
    assert changed.enrollments is not first.enrollments
    assert summary_through(keepers.enrollments, changed) == summary_through(None, changed)
    assert summary_through(keepers.enrollments, first) == summary_through(None, first)  # no longer the kept read's
    assert keepers.enrollments.made_of(first.enrollments, stage_summaries.ENROLLMENTS_DIGEST) is None


def test_a_run_given_the_same_enrollments_takes_their_digest_instead_of_their_rows(tmp_path, monkeypatch):
    keepers, importer = Keepers(), Importer()
    importer.enrollment_digests = keepers.enrollments  # as the service wires its keeper
    assert importer(keepers.read(package(tmp_path / "a")))["counts"]["enrollments"]["created"] == 4
    # The next run summarises the enrollments ahead (the stage is remembered whole now), and keeps the digest.
    assert importer(keepers.read(package(tmp_path / "a")))["counts"]["enrollments"]["unchanged"] == 4
    users = students(4)
    users[1] = {**users[1], "givenName": "Renamed"}
    third = keepers.read(package(tmp_path / "b", users=users))

    def no_rows(*_):
        raise AssertionError("the enrollments' rows were made again")

    monkeypatch.setattr("services.rostering.domain.mapping.enrollment_columns", no_rows)
    run = importer(third)
    assert run["state"] == "completed"
    assert run["counts"]["enrollments"]["unchanged"] == 4 and run["counts"]["people"]["updated"] == 1


@pytest.mark.parametrize("role", ["", "mentor"])
def test_an_enrollment_whose_role_its_person_decides_keeps_no_digest(tmp_path, role):
    """A row with no class role of its own takes the person's kind: users.csv can change it under the same bytes."""
    rows = [*enrollments_of(3), make_enrollment_row(sourcedId="enr-x", userSourcedId="student-3", role=role,
                                                    classSourcedId="class-1")]
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a", enrollments=rows))
    assert summary_through(keepers.enrollments, first) == summary_through(None, first)
    users = students(4)
    users[3] = {**users[3], "role": "teacher"}  # the same id, now staff: the row's class role is teacher
    second = keepers.read(package(tmp_path / "b", users=users, enrollments=rows))
    assert second.enrollments is first.enrollments
    assert summary_through(keepers.enrollments, second) == summary_through(None, second)
    assert summary_through(None, second) != summary_through(None, first)
    users[3] = {**users[3], "role": "parent"}  # a guardian in a class: reported, its row left out
    third = keepers.read(package(tmp_path / "c", users=users, enrollments=rows))
    assert summary_through(keepers.enrollments, third) == summary_through(None, third)
    assert summary_through(None, third)[1]


# --- the digest of the enrollments' listed keys (the archive plan's), kept with the enrollments it was made of -------

def archive_plan_through(kept: EnrollmentsReadBefore | None, snapshot, applied: FakeAppliedRows):
    """The archive plan as a run makes it, given what the service keeps or not."""
    return archiving.plan(snapshot, applied, "district-1", kept)


def completed_run_of(snapshot) -> FakeAppliedRows:
    """What a completed import of `snapshot` leaves remembered: the keys it listed and the digests of its listings."""
    applied = FakeAppliedRows()
    applied.start("district-1", "district-id-1")
    for entity in ARCHIVED_ENTITIES:
        applied.remember("district-1", entity, {key: AppliedRow(b"f", None) for key in listed_keys(snapshot, entity)})
    listed_digests = archive_plan_through(None, snapshot, applied).listed_digests
    applied.remember("district-1", archiving.LISTED_KEYS,
                     {entity: AppliedRow(listed, None) for entity, listed in listed_digests.items()})
    return applied


def no_enrollment_keys(monkeypatch):
    listed = archiving.listed_keys

    def listed_but_enrollments(snapshot, entity):
        assert entity != "enrollments", "the enrollments' keys were listed again"
        return listed(snapshot, entity)

    monkeypatch.setattr(archiving, "listed_keys", listed_but_enrollments)


def test_the_same_enrollments_take_their_listed_keys_digest_from_the_kept_read(tmp_path, monkeypatch):
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a"))
    applied = completed_run_of(first)
    assert archive_plan_through(keepers.enrollments, first, applied) == archive_plan_through(None, first, applied)
    users = students(4)
    users[1] = {**users[1], "givenName": "Renamed"}
    second = keepers.read(package(tmp_path / "b", users=users))
    assert second.enrollments is first.enrollments
    from_nothing = archive_plan_through(None, second, applied)

    no_enrollment_keys(monkeypatch)
    taken = archive_plan_through(keepers.enrollments, second, applied)
    assert taken == from_nothing and not taken.rows
    assert taken.listed_digests["enrollments"] == keys_digest([enrollment.source_id
                                                               for enrollment in first.enrollments])


def test_an_enrollment_gone_is_archived_though_the_last_read_kept_its_listed_keys_digest(tmp_path):
    keepers = Keepers()
    first = keepers.read(package(tmp_path / "a"))
    applied = completed_run_of(first)
    archive_plan_through(keepers.enrollments, first, applied)  # kept with the first read's enrollments
    fewer = keepers.read(package(tmp_path / "b", enrollments=enrollments_of(3)))
    assert fewer.enrollments is not first.enrollments

    archives = archive_plan_through(keepers.enrollments, fewer, applied)

    assert archives == archive_plan_through(None, fewer, applied)
    assert [(row.entity, row.key) for row in archives.rows] == [("enrollments", "enr-3")]
    assert keepers.enrollments.made_of(first.enrollments, archiving.ENROLLMENTS_LISTED_DIGEST) is None


def test_a_tombstoned_enrollment_is_archived_though_the_listed_keys_digest_was_kept(tmp_path):
    keepers = Keepers()
    rows = enrollments_of(4)
    first = keepers.read(package(tmp_path / "a", enrollments=rows))
    applied = completed_run_of(first)
    archive_plan_through(keepers.enrollments, first, applied)
    rows[2] = {**rows[2], "status": "tobedeleted"}
    marked = keepers.read(package(tmp_path / "b", enrollments=rows, modes={"enrollments": "delta"}))

    archives = archive_plan_through(keepers.enrollments, marked, applied)

    assert archives == archive_plan_through(None, marked, applied)
    assert [(row.entity, row.key) for row in archives.rows] == [("enrollments", "enr-2")]


def imported_then_one_renamed(tmp_path):
    """An importer wired with the keepers as the service wires them, after importing a package, and the same
    package with one user renamed read through the keepers (its enrollments the kept read's)."""
    keepers, importer = Keepers(), Importer()
    importer.enrollment_digests = keepers.enrollments
    assert importer(keepers.read(package(tmp_path / "a")))["state"] == "completed"
    users = students(4)
    users[1] = {**users[1], "givenName": "Renamed"}
    return keepers, importer, keepers.read(package(tmp_path / "b", users=users))


def test_a_run_given_the_same_enrollments_does_not_list_their_keys_for_the_archive_plan(tmp_path, monkeypatch):
    _, importer, second = imported_then_one_renamed(tmp_path)

    no_enrollment_keys(monkeypatch)
    run = importer(second)

    assert run["state"] == "completed"
    assert run["counts"]["enrollments"]["unchanged"] == 4 and run["counts"]["people"]["updated"] == 1


def test_a_preview_of_the_same_enrollments_does_not_list_their_keys_for_the_archive_plan(tmp_path, monkeypatch):
    keepers, importer, second = imported_then_one_renamed(tmp_path)
    importer.packages_read["/exports/next"] = second
    request = {"path": "/exports/next", "region": "US", "district_name": None, "full": False, "requested_by": None}
    importer.enrollment_digests = None
    from_nothing = handlers.preview_import(request, ports=importer.ports())
    assert from_nothing["entities"]["people"] == {"to_send": 1, "unchanged": 3}

    importer.enrollment_digests = keepers.enrollments
    no_enrollment_keys(monkeypatch)
    assert handlers.preview_import(request, ports=importer.ports()) == from_nothing


# --- random packages: any sequence of reads through the keepers reads as reads from nothing ---------------------

USER_IDS = tuple(f"student-{n}" for n in range(4))
enrollment_rows = st.builds(
    lambda n, status, user, klass, school, begin, role: make_enrollment_row(
        sourcedId=f"enr-{n}", status=status, userSourcedId=user, classSourcedId=klass, schoolSourcedId=school,
        beginDate=begin, role=role),
    st.integers(0, 6), st.sampled_from(("active", "active", "", "tobedeleted")),
    st.sampled_from((*USER_IDS, "student-9")), st.sampled_from(("class-1", "class-2", "class-9")),
    st.sampled_from(("school-1", "school-2", "")), st.sampled_from(("", "2025-08-25", "soon")),
    st.sampled_from(("student", "student", "Teacher", "", "mentor")))
# An edit between two reads: most leave enrollments.csv as it was, as a district's nightly files do.
edits = st.one_of(
    st.tuples(st.just("rename"), st.integers(0, 3)),
    st.tuples(st.just("role"), st.integers(0, 3), st.sampled_from(("student", "teacher", "parent"))),
    st.tuples(st.just("drop user"), st.integers(0, 3)),
    st.tuples(st.just("mark user"), st.integers(0, 3)),
    st.tuples(st.just("restore users")),
    st.tuples(st.just("drop class")),
    st.tuples(st.just("restore classes")),
    st.tuples(st.just("orgs"), st.sampled_from((2, 3))),
    st.tuples(st.just("add enrollment"), enrollment_rows),
    st.tuples(st.just("mode"), st.sampled_from(("users", "enrollments", "classes")), st.sampled_from(("bulk",
                                                                                                     "delta"))),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(enrollment_rows, min_size=1, max_size=6), st.lists(edits, min_size=1, max_size=6))
def test_any_sequence_of_packages_reads_as_if_from_nothing(enrollments, changes):
    keepers = Keepers()
    users, classes, orgs, modes = students(4), list(CLASSES), ORGS, {}
    with tempfile.TemporaryDirectory() as scratch:
        for n, (kind, *what) in enumerate([("none yet",), *changes]):
            if kind == "rename":
                users = [{**user, "givenName": f"Renamed{n}"} if user["sourcedId"] == f"student-{what[0]}" else user
                         for user in users]
            elif kind == "role":
                users = [{**user, "role": what[1]} if user["sourcedId"] == f"student-{what[0]}" else user
                         for user in users]
            elif kind == "drop user":
                users = [user for user in users if user["sourcedId"] != f"student-{what[0]}"]
            elif kind == "mark user":
                users = [{**user, "status": "tobedeleted"} if user["sourcedId"] == f"student-{what[0]}" else user
                         for user in users]
            elif kind == "restore users":
                users = students(4)
            elif kind == "drop class":
                classes = CLASSES[:1]
            elif kind == "restore classes":
                classes = list(CLASSES)
            elif kind == "orgs":
                orgs = ORGS[:what[0]]  # without school-2, or with it again
            elif kind == "add enrollment":
                enrollments = [*enrollments, what[0]]
            elif kind == "mode":
                modes = {**modes, what[0]: what[1]}
            snapshot = keepers.read(package(Path(scratch) / str(n), users=users, enrollments=enrollments,
                                            classes=classes, orgs=orgs, modes=modes))
            # The enrollments' summary as a run makes it, through the digest kept with them or not.
            assert summary_through(keepers.enrollments, snapshot) == summary_through(None, snapshot)
