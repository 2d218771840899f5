"""A provider's findings name the record they are about (its sourcedId, its Clever id), not only its position in
the collection: a REST roster has no lines an administrator could look up."""
from services.rostering.adapters.sources.clever.oneroster_objects import roster_of
from services.rostering.adapters.sources.rest_roster import snapshot_of
from services.rostering.domain.run import Refusal, problem_row
from services.rostering.domain.snapshot import RowProblem
from shared.contracts import rostering
from shared.testing import clever_objects
from shared.testing.oneroster_rest import small_district, user, user_v1p2


def fetched(collections: dict, *, version: str = "1.1") -> dict:
    return {"version": version, "delta": False, "collections": collections}


def test_a_bad_user_is_named_by_its_sourced_id_beside_its_position():
    roster = small_district()
    roster["users"].append(user("bad-1", "student", ("school-1",), givenName=""))
    snapshot = snapshot_of(fetched(roster), "US")
    assert [(p.file, p.line, p.column, p.source_id) for p in snapshot.problems] == [
        ("users.csv", 4, "givenName", "bad-1")]


def test_a_record_that_is_not_an_object_has_no_id_to_name():
    roster = small_district()
    roster["users"].append("not an object")
    snapshot = snapshot_of(fetched(roster), "US")
    assert [(p.line, p.source_id) for p in snapshot.problems] == [(4, None)]


def test_a_bad_class_and_a_bad_enrollment_name_their_own_records():
    roster = small_district()
    roster["classes"][0]["title"] = ""
    roster["enrollments"][1]["class"] = {"sourcedId": "no-such-class", "type": "class"}
    snapshot = snapshot_of(fetched(roster), "US")
    named = {(p.file, p.source_id) for p in (*snapshot.problems, *snapshot.warnings)}
    assert ("classes.csv", "class-1") in named
    assert ("enrollments.csv", "enr-2") in named


def test_a_1_2_role_finding_names_the_user_holding_the_role():
    roster = small_district()
    roster["users"] = [user_v1p2("teacher-1", (("teacher", "school-1"), ("astronaut", "school-1")))]
    roster["enrollments"] = []
    snapshot = snapshot_of(fetched(roster, version="1.2"), "US")
    role_findings = [p for p in (*snapshot.problems, *snapshot.warnings) if p.file == "roles.csv"]
    assert role_findings and {p.source_id for p in role_findings} == {"teacher-1"}


def test_a_finding_about_a_whole_collection_names_no_record():
    problem = RowProblem("users.csv", None, None, None, "the collection could not be read")
    assert "source_id" not in problem_row(problem)


def test_the_report_carries_the_record_id_through_the_contract():
    row = problem_row(RowProblem("users.csv", 4, "givenName", None, "empty", source_id="bad-1"))
    loaded = rostering.RowProblem().load(row)
    assert loaded["source_id"] == "bad-1" and loaded["line"] == 4


def test_a_refused_person_is_named_by_its_source_id_and_a_refused_link_by_neither_record():
    person = Refusal("people", "student-7", "email", "not an email address").as_problem(12)
    link = Refusal("guardian_links", "parent-1:student-1", None, "no such student").as_problem()
    assert person["source_id"] == "student-7" and person["line"] == 12
    assert "source_id" not in link


def test_a_bad_clever_user_is_named_by_its_clever_id():
    clever = clever_objects.small_district()
    clever["users"].append(clever_objects.user("5f1a-bad", "Dee", student=clever_objects.student_role("school-1"))
                           | {"email": "not-an-email"})
    collections = roster_of(districts=clever["districts"], schools=clever["schools"], terms=clever["terms"],
                            sections=clever["sections"], users=clever["users"])
    snapshot = snapshot_of(fetched(collections, version="1.2"), "US")
    assert [(p.column, p.source_id) for p in snapshot.problems] == [("email", "5f1a-bad")]
