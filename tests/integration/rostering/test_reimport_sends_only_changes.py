"""Re-imports through the running service send directory and identity only what changed (real broker, real PG)."""
import pytest
from roster_csv import make_class_row, make_enrollment_row, make_org_row, make_user_row, write_package
from run_waiting import imported

pytestmark = pytest.mark.postgres

UPSERTS = ["upsert_schools", "upsert_classrooms", "upsert_people", "upsert_accounts", "upsert_enrollments",
           "upsert_guardian_links"]


def counts_of(run, outcome):
    return {entity: counts[outcome] for entity, counts in run["counts"].items()}


def users(**student_changes):
    return [
        make_user_row(agentSourcedIds="guardian-1", **student_changes),
        make_user_row(sourcedId="teacher-1", role="teacher", givenName="Grace", familyName="Hopper",
                      email="grace@lincoln.example.org", grades=""),
        make_user_row(sourcedId="guardian-1", role="parent", givenName="Anne", orgSourcedIds="",
                      sms="(617) 253-1000", grades=""),
    ]


def methods_called_since(recorder, start):
    return [method for method, _ in recorder.calls[start:]]


def test_reimport_sends_only_what_changed_and_full_sends_everything(rostering_rpc, recorder, tmp_path):
    package = write_package(tmp_path / "lincoln", users=users())
    first = imported(rostering_rpc, {"path": str(package)})
    assert first["state"] == "completed", first["message"]

    # The same package again: nothing but the district goes, and every row counts unchanged.
    mark = len(recorder.calls)
    again = imported(rostering_rpc, {"path": str(package)})
    assert methods_called_since(recorder, mark) == ["upsert_district"]
    assert again["state"] == "completed"
    assert counts_of(again, "unchanged") == counts_of(first, "created")
    assert set(counts_of(again, "created").values()) == set(counts_of(again, "updated").values()) == {0}

    # One student renamed: their person row and their account go, nothing else.
    renamed = write_package(tmp_path / "renamed", users=users(givenName="Augusta"))
    mark = len(recorder.calls)
    delta = imported(rostering_rpc, {"path": str(renamed)})
    assert methods_called_since(recorder, mark) == ["upsert_district", "upsert_people", "upsert_accounts"]
    (people_page,), (accounts_page,) = recorder.calls_to("upsert_people")[-1:], recorder.calls_to("upsert_accounts")[-1:]
    assert [person["source_id"] for person in people_page["people"]] == ["student-1"]
    student_id = recorder.saved_ids("upsert_people")["student-1"]
    assert [(a["person_id"], a["given_name"]) for a in accounts_page["accounts"]] == [(student_id, "Augusta")]
    assert delta["counts"]["people"] == {"created": 0, "updated": 1, "unchanged": 2, "skipped": 0, "failed": 0}
    assert delta["counts"]["accounts"] == {"created": 0, "updated": 1, "unchanged": 2, "skipped": 0, "failed": 0}
    assert counts_of(delta, "unchanged")["enrollments"] == 2

    # --full: every row goes again, and the owning services find it unchanged.
    mark = len(recorder.calls)
    full = imported(rostering_rpc, {"path": str(renamed), "full": True})
    assert methods_called_since(recorder, mark) == ["upsert_district", *UPSERTS]
    assert counts_of(full, "unchanged") == counts_of(first, "created")


def test_items_refused_are_sent_again_until_they_are_taken(rostering_rpc, recorder, tmp_path):
    # A class at an org the directory holds no school for: the directory refuses it and its enrollment.
    def package(folder, dept_type):
        orgs = [make_org_row(sourcedId="district-1", type="district", parentSourcedId=""), make_org_row(),
                make_org_row(sourcedId="dept-1", name="Athletics", type=dept_type)]
        classes = [make_class_row(), make_class_row(sourcedId="class-2", title="Soccer", schoolSourcedId="dept-1")]
        enrollments = [make_enrollment_row(), make_enrollment_row(sourcedId="enr-2", classSourcedId="class-2",
                                                                  schoolSourcedId="dept-1")]
        return write_package(tmp_path / folder, orgs=orgs, classes=classes, enrollments=enrollments,
                             users=[make_user_row()])

    refused = package("refused", "department")
    assert imported(rostering_rpc, {"path": str(refused)})["counts"]["classrooms"]["failed"] == 1

    mark = len(recorder.calls)
    again = imported(rostering_rpc, {"path": str(refused)})
    assert methods_called_since(recorder, mark) == ["upsert_district", "upsert_classrooms", "upsert_enrollments"]
    assert [row["source_id"] for row in recorder.calls_to("upsert_classrooms")[-1]["classrooms"]] == ["class-2"]
    assert again["counts"]["classrooms"] == {"created": 0, "updated": 0, "unchanged": 1, "skipped": 0, "failed": 1}

    # The org becomes a school: the class and its enrollment are taken, and not sent again after that.
    taken = package("taken", "school")
    run = imported(rostering_rpc, {"path": str(taken)})
    assert run["counts"]["classrooms"]["created"] == run["counts"]["enrollments"]["created"] == 1
    mark = len(recorder.calls)
    imported(rostering_rpc, {"path": str(taken)})
    assert methods_called_since(recorder, mark) == ["upsert_district"]
