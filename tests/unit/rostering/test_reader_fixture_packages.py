"""Two committed packages shaped like real exports (see each folder's README): read whole, end to end."""
from datetime import datetime, timezone
from pathlib import Path

from oneroster_builders import located, people_by_id

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.snapshot import BULK, DELTA, GUARDIAN, STAFF, GuardianLink, Tombstone

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_vendor_flavoured_1_1_export_is_read_with_warnings_not_failures():
    snapshot = read_package(FIXTURES / "vendor-flavoured-1.1")

    assert snapshot.counts() == {"orgs": 3, "schools": 2, "students": 2, "staff": 1, "guardians": 2, "classes": 2,
                                 "enrollments": 3, "guardian_links": 3}
    people = people_by_id(snapshot)
    assert people["p-1"].email == "ewa.kowalczyk@example.org"
    assert (people["p-1"].mobile_phone, people["p-1"].home_phone) == ("+15035550142", "+15035550143")
    assert set(snapshot.guardian_links) == {GuardianLink("p-1", "u-1"), GuardianLink("p-2", "u-1"),
                                            GuardianLink("p-1", "u-2")}
    assert snapshot.orgs[0].extras == (("metadata.classification", "public"), ("metadata.boarding", "FALSE"),
                                       ("ext_acme_databaseId", "db-17"))
    assert snapshot.orgs[0].date_last_modified == datetime(2019, 3, 2, 10, 15)
    assert [c.grades for c in snapshot.classes] == [("2",), ("7",)]
    assert next(e for e in snapshot.enrollments if e.source_id == "e-3").primary is True


def test_the_vendor_export_reports_exactly_its_two_bad_credentials_and_three_oddities():
    snapshot = read_package(FIXTURES / "vendor-flavoured-1.1")

    assert located(snapshot.problems) == [("users.csv", 5, "email", "jan.kowalczyk@example"),
                                          ("users.csv", 5, "sms", "503-555-014")]
    assert located(snapshot.warnings) == [
        ("users.csv", 1, None, "shoeSize"),
        ("orgs.csv", 2, "dateLastModified", "2019-03-02 10:15:00"),
        ("users.csv", 6, "dateLastModified", "2019-03-02 10:15:00"),
    ]


def test_a_1_2_delta_with_bom_and_crlf_keeps_changes_tombstones_and_earlier_references():
    snapshot = read_package(FIXTURES / "delta-1.2")

    assert snapshot.version == "1.2"
    assert {f.name: f.mode for f in snapshot.files} == {
        "orgs.csv": BULK, "classes.csv": BULK, "users.csv": DELTA, "roles.csv": DELTA, "userProfiles.csv": DELTA,
        "enrollments.csv": DELTA}
    assert snapshot.full_snapshot_files == {"orgs.csv", "classes.csv"}
    modified = datetime(2026, 8, 3, 9, tzinfo=timezone.utc)
    assert snapshot.tombstones == (
        Tombstone("roles.csv", 5, "r-4", "tobedeleted", modified),
        Tombstone("users.csv", 4, "gone-1", "tobedeleted", modified),
        Tombstone("enrollments.csv", 5, "en-4", "tobedeleted", modified),
    )
    assert [e.person_source_id for e in snapshot.enrollments] == ["st-1", "tp-1", "st-from-2025"]
    assert snapshot.problems == ()


def test_the_1_2_teacher_who_is_a_parent_is_one_person_with_a_profile():
    people = people_by_id(read_package(FIXTURES / "delta-1.2"))

    teacher = people["tp-1"]
    assert teacher.kinds == {STAFF, GUARDIAN} and teacher.roles == ("teacher", "parent")
    assert (teacher.email, teacher.mobile_phone) == ("dana.bendavid@harbor.example.org", "+12065550100")
    assert [profile.source_id for profile in teacher.profiles] == ["prof-1"]
    assert people["st-1"].grade == "KG" and people["st-1"].org_source_ids == ("s-1",)
