"""An import sends only what changed since the district's last one; `full` sends everything again."""
import pytest
from nameko.exceptions import RemoteError
from rostering_builders import make_guardian, make_org, make_snapshot, make_staff, make_student
from rostering_fakes import Importer

from services.rostering.domain import mapping
from services.rostering.domain.snapshot import BULK, DELTA, PackageFile

BULK_FILES = tuple(PackageFile(name, BULK, 1) for name in ("orgs.csv", "classes.csv", "users.csv",
                                                             "enrollments.csv"))
UPSERTS = ("upsert_schools", "upsert_classrooms", "upsert_people", "upsert_accounts", "upsert_enrollments",
           "upsert_guardian_links")


@pytest.fixture
def run_import():
    return Importer()


def sent(importer, method):
    """Every row sent through `method`, over every call so far."""
    page_field = {"upsert_guardian_links": "links"}.get(method, method.removeprefix("upsert_"))
    return [row for page in importer.directory.method_calls(method) for row in page[page_field]]


def calls_from_now(importer):
    importer.directory.calls.clear()
    return importer


def test_importing_the_same_package_again_sends_nothing_but_the_district_and_counts_it_unchanged(run_import):
    first = run_import()

    again = calls_from_now(run_import)()

    assert run_import.methods_called() == ["upsert_district"]
    assert {entity: counts["unchanged"] for entity, counts in again["counts"].items()} == {
        entity: counts["created"] for entity, counts in first["counts"].items()}
    assert all(counts["created"] == counts["updated"] == counts["failed"] == 0
               for counts in again["counts"].values())
    assert again["state"] == "completed" and again["district_id"] == first["district_id"]


def test_a_changed_person_sends_only_their_own_rows(run_import):
    run_import()
    renamed = make_student(given_name="Augusta")

    again = calls_from_now(run_import)(make_snapshot(people=(renamed, make_staff(), make_guardian())))

    assert [row["source_id"] for row in sent(run_import, "upsert_people")] == ["student-1"]
    person_id = run_import.directory.saved_ids("upsert_people")["student-1"]
    assert [(row["person_id"], row["given_name"]) for row in sent(run_import, "upsert_accounts")] == [
        (person_id, "Augusta")]
    assert run_import.methods_called() == ["upsert_district", "upsert_people", "upsert_accounts"]
    assert again["counts"]["people"] == {"created": 0, "updated": 1, "unchanged": 2, "skipped": 0, "failed": 0}
    assert again["counts"]["accounts"] == {"created": 0, "updated": 1, "unchanged": 2, "skipped": 0, "failed": 0}


def test_a_changed_credential_sends_the_account_with_the_person_id_remembered_from_before(run_import):
    run_import()
    person_id = run_import.directory.saved_ids("upsert_people")["guardian-1"]

    calls_from_now(run_import)(make_snapshot(people=(make_student(), make_staff(),
                                                     make_guardian(email="anne@example.org"))))

    assert sent(run_import, "upsert_people") == []  # the directory's person row holds no credentials
    (account,) = sent(run_import, "upsert_accounts")
    assert (account["person_id"], account["email"]) == (person_id, "anne@example.org")


def test_a_changed_school_sends_only_the_school(run_import):
    run_import()

    calls_from_now(run_import)(make_snapshot(orgs=(make_snapshot().orgs[0], make_org(name="Lincoln Academy"))))

    assert run_import.methods_called() == ["upsert_district", "upsert_schools"]


def test_full_sends_every_row_again(run_import):
    first = run_import()
    run_import()

    again = calls_from_now(run_import)(full=True)

    assert run_import.methods_called() == ["upsert_district", *UPSERTS]
    assert {entity: counts["unchanged"] for entity, counts in again["counts"].items()} == {
        entity: counts["created"] for entity, counts in first["counts"].items()}


def test_a_directory_that_answers_a_new_district_id_gets_every_row_again(run_import):
    run_import()
    run_import.directory.saved.clear()  # the directory's data was wiped: it makes the district anew
    run_import.directory.district_id = "district-id-2"

    again = calls_from_now(run_import)()

    assert run_import.methods_called() == ["upsert_district", *UPSERTS]
    assert again["counts"]["people"]["created"] == 3


def test_a_refused_item_is_not_remembered_and_is_sent_again_next_time(run_import):
    run_import.directory.refuse["class-1"] = {"field": "school_source_id", "reason": "unknown school"}
    run_import()
    del run_import.directory.refuse["class-1"]

    again = calls_from_now(run_import)()

    assert [row["source_id"] for row in sent(run_import, "upsert_classrooms")] == ["class-1"]
    assert again["counts"]["classrooms"]["created"] == 1


def test_a_person_the_directory_refused_gets_their_account_once_the_directory_takes_them(run_import):
    run_import.directory.refuse["guardian-1"] = {"field": "kinds", "reason": "no"}
    run_import()
    del run_import.directory.refuse["guardian-1"]

    again = calls_from_now(run_import)()

    assert [row["source_id"] for row in sent(run_import, "upsert_people")] == ["guardian-1"]
    assert len(sent(run_import, "upsert_accounts")) == 1
    assert again["counts"]["accounts"] == {"created": 1, "updated": 0, "unchanged": 2, "skipped": 0, "failed": 0}


def test_a_failed_run_remembers_only_what_was_applied_before_the_failure(run_import):
    run_import.directory.broken["upsert_people"] = RemoteError("OperationalError", "database is gone")
    assert run_import()["state"] == "failed"
    del run_import.directory.broken["upsert_people"]

    assert run_import.applied.remembered("schools") == {"school-1"} and run_import.applied.remembered("classrooms") == {"class-1"}
    assert run_import.applied.remembered("people") == set()
    calls_from_now(run_import)()
    assert run_import.methods_called() == ["upsert_district", "upsert_people", "upsert_accounts",
                                           "upsert_enrollments", "upsert_guardian_links"]


def test_a_run_failing_part_way_through_an_entity_remembers_the_pages_answered_before(run_import):
    students = tuple(make_student(source_id=f"student-{n}", identifier=f"S{n}") for n in range(4500))
    snapshot = make_snapshot(people=students, enrollments=(), guardian_links=())
    # Four pages go at a time: the fifth page's call fails after the first four were answered.
    run_import.directory.broken_from["upsert_people"] = (5, RemoteError("OperationalError", "database is gone"))

    assert run_import(snapshot)["state"] == "failed"

    assert run_import.applied.remembered("people") == {f"student-{n}" for n in range(4000)}
    del run_import.directory.broken_from["upsert_people"]
    calls_from_now(run_import)(snapshot)
    assert [row["source_id"] for row in sent(run_import, "upsert_people")] == [
        f"student-{n}" for n in range(4000, 4500)]


def test_a_row_a_full_file_no_longer_lists_is_forgotten_and_sent_when_it_comes_back(run_import):
    run_import.allow_archiving_up_to(1.0)
    run_import(make_snapshot(files=BULK_FILES))
    without_guardian = make_snapshot(files=BULK_FILES, people=(make_student(), make_staff()), guardian_links=())

    run_import(without_guardian)

    assert run_import.applied.remembered("people") == {"student-1", "teacher-1"}
    calls_from_now(run_import)(make_snapshot(files=BULK_FILES))
    assert [row["source_id"] for row in sent(run_import, "upsert_people")] == ["guardian-1"]


def test_a_delta_file_forgets_nothing_it_does_not_list(run_import):
    run_import(make_snapshot(files=BULK_FILES))
    delta = tuple(PackageFile(f.name, DELTA, 1) for f in BULK_FILES)

    run_import(make_snapshot(files=delta, people=(make_student(given_name="Augusta"),), guardian_links=(),
                             enrollments=()))

    assert run_import.applied.remembered("people") == {"student-1", "teacher-1", "guardian-1"}
    assert run_import.applied.remembered("enrollments") == {"enr-1", "enr-2"}


def with_cells(*people):
    """People as the CSV reader gives them: each with the digest of its users.csv record's cells."""
    return tuple(person._replace(source_digest=f"cells of {person.source_id}".encode()) for person in people)


def test_people_whose_records_are_unchanged_are_not_even_built_again(run_import, monkeypatch):
    people = with_cells(make_student(), make_staff(), make_guardian())
    first = run_import(make_snapshot(people=people))
    for build in ("person_row", "account_row"):
        monkeypatch.setattr(mapping, build, lambda *args, name=build: pytest.fail(f"{name} called"))

    again = calls_from_now(run_import)(make_snapshot(people=people))

    assert run_import.methods_called() == ["upsert_district"]
    assert again["counts"]["people"]["unchanged"] == again["counts"]["accounts"]["unchanged"] == 3
    assert again["counts"] == {entity: {**counts, "created": 0, "unchanged": counts["created"]}
                               for entity, counts in first["counts"].items()}


def test_a_changed_record_or_what_it_takes_from_other_records_sends_the_person_again(run_import):
    student, staff, guardian = with_cells(make_student(), make_staff(), make_guardian())
    run_import(make_snapshot(people=(student, staff, guardian)))
    renamed = make_student(given_name="Augusta")._replace(source_digest=b"the renamed row's cells")
    # The teacher's own row is as it was, but roles.csv made her an administrator too.
    promoted = staff._replace(roles=("teacher", "administrator"))

    calls_from_now(run_import)(make_snapshot(people=(renamed, promoted, guardian)))

    assert [row["source_id"] for row in sent(run_import, "upsert_people")] == ["student-1"]
    assert sorted(row["given_name"] for row in sent(run_import, "upsert_accounts")) == ["Augusta", "Grace"]


def test_a_row_skipped_unbuilt_still_counts_as_listed_so_a_full_file_neither_forgets_nor_archives_it(run_import):
    people = with_cells(make_student(), make_staff(), make_guardian())
    run_import(make_snapshot(people=people, files=BULK_FILES))
    remembered = {entity: dict(rows) for (_, entity), rows in run_import.applied.rows.items()}

    again = calls_from_now(run_import)(make_snapshot(people=people, files=BULK_FILES))
    third = calls_from_now(run_import)(make_snapshot(people=people, files=BULK_FILES))

    assert again["state"] == third["state"] == "completed" and again["diff"] is None
    assert run_import.directory.archived == set()
    assert {entity: set(rows) for (_, entity), rows in run_import.applied.rows.items()} == {
        entity: set(rows) for entity, rows in remembered.items()}
    assert run_import.methods_called() == ["upsert_district"]
