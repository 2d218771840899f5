"""Classrooms, enrollments and guardian links are also remembered whole: a stage listed exactly as its last run
applied it sends nothing and reads none of its remembered rows; anything else is compared row by row."""
import pytest
from nameko.exceptions import RemoteError
from rostering_builders import make_enrollment, make_snapshot, make_student
from rostering_fakes import AHEAD_WAYS, entities_read, importer_starting_ahead

from services.rostering.domain import mapping
from services.rostering.domain.applied_rows import STAGE_DIGESTS
from services.rostering.domain.snapshot import BULK, DELTA, GuardianLink, PackageFile

WHOLE_STAGES = {"classrooms", "enrollments", "guardian_links"}
BULK_FILES = tuple(PackageFile(name, BULK, 1) for name in ("orgs.csv", "classes.csv", "users.csv",
                                                             "enrollments.csv"))
DELTA_FILES = tuple(PackageFile(f.name, DELTA, 1) for f in BULK_FILES)


@pytest.fixture(params=AHEAD_WAYS)
def run_import(request):
    return importer_starting_ahead(request.param)


def loads_from_now(importer):
    """The entities whose remembered rows are read from now on."""
    importer.directory.calls.clear()
    return entities_read(importer.applied, "load")


def sent_enrollments(importer):
    return [row["source_id"] for page in importer.directory.method_calls("upsert_enrollments")
            for row in page["enrollments"]]


def many_enrollments(role):
    students = tuple(make_student(source_id=f"student-{n}", identifier=f"S{n}") for n in range(4500))
    enrollments = tuple(make_enrollment(source_id=f"enr-{n}", person_source_id=f"student-{n}", role=role)
                        for n in range(4500))
    return make_snapshot(people=students, enrollments=enrollments, guardian_links=())


def test_stages_listed_as_last_applied_read_none_of_their_remembered_rows(run_import):
    first = run_import()
    loaded = loads_from_now(run_import)

    again = run_import()

    assert WHOLE_STAGES.isdisjoint(loaded)
    assert run_import.methods_called() == ["upsert_district"]
    assert {entity: counts["unchanged"] for entity, counts in again["counts"].items()} == {
        entity: counts["created"] for entity, counts in first["counts"].items()}


def test_a_changed_enrollment_compares_its_stage_row_by_row_and_sends_only_itself(run_import):
    run_import()
    loaded = loads_from_now(run_import)
    changed = make_snapshot().enrollments[1]._replace(role="aide")

    again = run_import(make_snapshot(enrollments=(make_snapshot().enrollments[0], changed)))

    assert "enrollments" in loaded and not {"classrooms", "guardian_links"} & set(loaded)
    assert sent_enrollments(run_import) == ["enr-2"]
    assert again["counts"]["enrollments"]["updated"] == 1 and again["counts"]["enrollments"]["unchanged"] == 1


def test_a_stage_that_failed_part_way_sends_its_earlier_rows_again_when_they_come_back(run_import):
    as_students = many_enrollments("student")
    run_import(as_students)
    # The next package changes every enrollment; four pages of it are applied before the fifth call fails.
    run_import.directory.calls.clear()
    run_import.directory.broken_from["upsert_enrollments"] = (5, RemoteError("OperationalError", "database is gone"))
    assert run_import(many_enrollments("aide"))["state"] == "failed"
    del run_import.directory.broken_from["upsert_enrollments"]
    loads_from_now(run_import)

    run_import(as_students)

    assert sent_enrollments(run_import) == [f"enr-{n}" for n in range(4000)]


def test_a_refused_row_keeps_no_digest_so_the_stage_is_compared_until_every_row_is_applied(run_import):
    run_import.directory.refuse["enr-2"] = {"field": "person_source_id", "reason": "unknown person"}
    run_import()
    assert "enrollments" not in run_import.applied.remembered(STAGE_DIGESTS)
    del run_import.directory.refuse["enr-2"]

    loads_from_now(run_import)
    run_import()

    assert sent_enrollments(run_import) == ["enr-2"]
    assert "enrollments" in run_import.applied.remembered(STAGE_DIGESTS)


def test_full_sends_a_stage_again_even_as_last_applied(run_import):
    run_import()
    loads_from_now(run_import)

    run_import(full=True)

    assert sent_enrollments(run_import) == ["enr-1", "enr-2"]


def test_a_remembered_row_no_full_file_maps_any_more_is_forgotten_though_the_rest_is_as_last_applied(run_import):
    run_import(make_snapshot(files=BULK_FILES))
    helper = make_enrollment(source_id="enr-3", person_source_id="guardian-1", role="aide")
    run_import(make_snapshot(files=DELTA_FILES, enrollments=(helper,), guardian_links=()))
    run_import(make_snapshot(files=DELTA_FILES))  # the first package's enrollments again: their digest is kept
    # A parent is no class role: the row is listed (nothing archives it) but maps to nothing the directory takes.
    as_parent = helper._replace(role="parent")

    run_import(make_snapshot(files=BULK_FILES, enrollments=(*make_snapshot().enrollments, as_parent)))

    assert run_import.applied.remembered("enrollments") == {"enr-1", "enr-2"}


def test_a_stage_summarised_ahead_as_last_applied_builds_no_rows_and_still_reports_what_it_cannot_map(run_import):
    guardian_enrolled = make_snapshot().enrollments[0]._replace(person_source_id="guardian-1", role="parent")
    snapshot = make_snapshot(enrollments=(guardian_enrolled, *make_snapshot().enrollments[1:]))
    run_import(snapshot)
    loaded = loads_from_now(run_import)

    again = run_import(snapshot)

    assert "enrollments" not in loaded
    assert again["counts"]["enrollments"]["failed"] == 1
    assert [error["source_id"] for error in again["errors"] if error["file"] == "enrollments.csv"] == ["enr-1"]


def test_a_stage_summarised_ahead_that_changed_is_compared_row_by_row_without_a_list_of_its_rows(run_import,
                                                                                                monkeypatch):
    guardian_enrolled = make_snapshot().enrollments[0]._replace(person_source_id="guardian-1", role="parent")
    enrollments = (guardian_enrolled, *make_snapshot().enrollments[1:])
    run_import(make_snapshot(enrollments=enrollments))

    def whole_list(snapshot):
        raise AssertionError("a summarised stage's rows are built one at a time, only those to send kept")

    # A district's half a million enrollment rows, as one list, were held beside every remembered row.
    monkeypatch.setattr(mapping, "enrollment_rows", whole_list)
    monkeypatch.setattr(mapping, "guardian_link_rows", whole_list)
    run_import.directory.calls.clear()
    changed = make_snapshot().enrollments[1]._replace(role="aide")
    again = run_import(make_snapshot(enrollments=(guardian_enrolled, changed),
                                     guardian_links=(GuardianLink("guardian-1", "student-1"),
                                                     GuardianLink("guardian-1", "teacher-1", relationship="aunt"))))

    assert sent_enrollments(run_import) == ["enr-2"]
    assert again["counts"]["enrollments"] == {**again["counts"]["enrollments"], "updated": 1, "failed": 1}
    assert [error["source_id"] for error in again["errors"] if error["file"] == "enrollments.csv"] == ["enr-1"]
    assert [(row["guardian_source_id"], row["student_source_id"])
            for page in run_import.directory.method_calls("upsert_guardian_links") for row in page["links"]] == [
        ("guardian-1", "teacher-1")]
    assert again["counts"]["guardian_links"] == {**again["counts"]["guardian_links"], "created": 1, "unchanged": 1}
