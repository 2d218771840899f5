"""A ClassLink tenant read into the same Snapshot a CSV package gives, full and incremental, 1.1 and 1.2."""
from datetime import datetime, timezone

import pytest

from services.rostering.adapters.sources.classlink.client import RosterServerClient
from services.rostering.adapters.sources.classlink.connection import ClassLinkConnection
from services.rostering.adapters.sources.classlink.source import ClassLinkSource
from services.rostering.adapters.sources.rest_roster import KeptRoster
from services.rostering.domain.errors import SourceRejected
from services.rostering.domain.snapshot import BULK, DELTA, GUARDIAN, STAFF, STUDENT, GuardianLink
from shared.testing.classlink_fake import FakeClassLink, json_answer
from shared.testing.oneroster_rest import enrollment, org, small_district, user, user_v1p2


@pytest.fixture
def fake():
    with FakeClassLink() as server:
        server.roster.update(small_district())
        yield server


def source_for(fake, *, version="1.1", changed_since=None):
    connection = ClassLinkConnection(tenant_id="1234", application_id="app-9", server_url=fake.url,
                                     client_id=fake.client_id, client_secret=fake.client_secret, version=version)
    return ClassLinkSource(connection, changed_since=changed_since,
                           client=RosterServerClient(connection, page_size=2, sleep=lambda seconds: None))


def test_a_full_read_is_the_same_model_a_csv_package_gives(fake):
    snapshot = source_for(fake).read("US")
    people = {person.source_id: person for person in snapshot.people}
    assert people["teacher-1"].kinds == {STAFF} and people["student-1"].kinds == {STUDENT}
    assert people["parent-1"].kinds == {GUARDIAN} and people["parent-1"].mobile_phone == "+14155550101"
    assert snapshot.guardian_links == (GuardianLink("parent-1", "student-1"),)
    assert {(e.person_source_id, e.class_source_id) for e in snapshot.enrollments} == {
        ("teacher-1", "class-1"), ("student-1", "class-1")}
    assert [c.term_source_ids for c in snapshot.classes] == [("term-1",)]
    assert {f.name: f.mode for f in snapshot.files}["users.csv"] == BULK
    assert snapshot.counts()["schools"] == 1 and snapshot.problems == ()


def test_bad_records_are_findings_at_their_position_in_the_collection_reported_by_endpoint(fake):
    fake.roster["users"].append(user("bad-1", "student", ("school-1",), givenName=""))
    fake.roster["users"].append("not an object")
    snapshot = source_for(fake).read("US")
    assert {(p.file, p.line, p.column) for p in snapshot.problems} == {("users.csv", 4, "givenName"),
                                                                       ("users.csv", 5, None)}
    assert dict(snapshot.report_names)["users.csv"] == "/users"
    assert "bad-1" not in {person.source_id for person in snapshot.people}


def test_oneroster_1_2_users_carry_their_roles(fake):
    fake.roster["users"] = [user_v1p2("teacher-1", (("teacher", "school-1"), ("parent", "school-1")),
                                      agents=("student-1",)),
                            user_v1p2("student-1", (("student", "school-1"),))]
    fake.roster["enrollments"] = [enrollment("enr-2", "student-1", "class-1", "school-1", primary=False)]
    snapshot = source_for(fake, version="1.2").read("US")
    people = {person.source_id: person for person in snapshot.people}
    assert people["teacher-1"].kinds == {STAFF, GUARDIAN} and people["teacher-1"].enabled_user is True
    assert snapshot.guardian_links == (GuardianLink("teacher-1", "student-1"),)
    assert snapshot.version == "1.2" and snapshot.problems == ()


def test_an_incremental_read_is_a_delta_whose_deletions_are_tombstones(fake):
    changed = "2026-10-01T00:00:00.000Z"
    fake.roster["users"].append(user("student-2", "student", ("school-1",), status="tobedeleted",
                                     dateLastModified=changed))
    fake.roster["users"].append(user("student-3", "student", ("school-1",), dateLastModified=changed))
    source = source_for(fake, changed_since=datetime(2026, 9, 15, tzinfo=timezone.utc))
    snapshot = source.read("US")
    assert [person.source_id for person in snapshot.people] == ["student-3"]
    assert [(t.file, t.source_id) for t in snapshot.tombstones] == [("users.csv", "student-2")]
    modes = {f.name: f.mode for f in snapshot.files}
    assert modes["users.csv"] == DELTA and modes["orgs.csv"] == BULK  # the district is always found
    assert "changes since 2026-09-15" in source.description


def test_what_a_held_run_keeps_reads_back_to_the_same_snapshot(fake):
    source = source_for(fake)
    assert KeptRoster("kept", source.kept()).read("US") == source.read("US")
    pages = [(collection, query["offset"]) for collection, query in fake.requests]
    assert len(pages) == len(set(pages)) == 7  # fetched once, for both: six collections, users in two pages


def test_a_kept_roster_that_is_not_json_is_refused():
    with pytest.raises(SourceRejected, match="cannot be read again"):
        KeptRoster("kept", b"<html>").read("US")


def test_a_failure_in_a_later_collection_fails_the_whole_read(fake):
    fake.then("enrollments", json_answer(401, {"imsx_codeMajor": "failure"}))
    with pytest.raises(SourceRejected, match="ClassLink refused the credentials for tenant 1234"):
        source_for(fake).read("US")


def test_a_school_without_a_district_org_is_still_read(fake):
    fake.roster["orgs"] = [org("school-1", "Lincoln Elementary")]
    snapshot = source_for(fake).read("US")
    assert [o.source_id for o in snapshot.orgs] == ["school-1"]
