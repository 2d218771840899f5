"""A district synced from its ClassLink tenant through the running service: full, then incremental; refusals
and failures part way reject the run with nothing applied."""
from __future__ import annotations

import pytest
import yaml
from run_waiting import wait_for

from services.rostering.adapters.sources.configured import SOURCES_FILE_VARIABLE
from shared.contracts.errors import InvalidRequest
from shared.testing.classlink_fake import Answer, FakeClassLink
from shared.testing.oneroster_rest import small_district, user

pytestmark = pytest.mark.postgres

SECRET_VARIABLE = "LINCOLN_CLASSLINK_SECRET"


@pytest.fixture
def classlink(tmp_path, monkeypatch):
    with FakeClassLink() as fake:
        fake.roster.update(small_district())
        sources = {"districts": {"lincoln": {
            "source": "classlink", "tenant_id": "1234", "application_id": "5678", "server_url": fake.url,
            "version": "1.1", "auth": "oauth1", "client_id": fake.client_id, "client_secret_env": SECRET_VARIABLE}}}
        path = tmp_path / "sources.yaml"
        path.write_text(yaml.safe_dump(sources))
        monkeypatch.setenv(SOURCES_FILE_VARIABLE, str(path))
        monkeypatch.setenv(SECRET_VARIABLE, fake.client_secret)
        yield fake


def test_a_sync_answers_the_running_run_and_applies_the_tenant_in_the_background(rostering_rpc, recorder,
                                                                                 classlink):
    started = rostering_rpc.sync_district({"district": "lincoln", "requested_by": "operator"})
    assert started["state"] == "running" and started["source"] == "ClassLink tenant 1234 (OneRoster 1.1)"

    run = wait_for(rostering_rpc, started["run_id"], "completed")
    assert run["counts"]["people"]["created"] == 3 and run["counts"]["guardian_links"]["created"] == 1
    assert recorder.saved_ids("upsert_district").keys() == {"district-1"}
    assert not any("filter" in query for _, query in classlink.requests)  # the first run is full


def test_a_run_report_names_the_collection_and_position_of_a_bad_record(rostering_rpc, classlink):
    classlink.roster["users"].append(user("student-9", "student", ("school-1",), email="not-an-email"))
    run = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "completed")
    assert [(error["file"], error["line"], error["column"]) for error in run["errors"]] == [("/users", 4, "email")]


def test_the_next_run_asks_only_for_changes_and_applies_them(rostering_rpc, recorder, classlink):
    first = rostering_rpc.sync_district({"district": "lincoln"})
    wait_for(rostering_rpc, first["run_id"], "completed")
    classlink.requests.clear()
    classlink.roster["users"].append(user("student-2", "student", ("school-1",),
                                          dateLastModified="2099-01-01T00:00:00.000Z"))

    second = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "completed")
    assert "changes since" in second["source"]
    assert second["counts"]["people"]["created"] == 1
    filtered = {collection for collection, query in classlink.requests if "filter" in query}
    assert filtered == {"courses", "classes", "users", "enrollments"}  # orgs and sessions are read whole


def test_refused_credentials_reject_the_run_by_tenant_and_apply_nothing(rostering_rpc, recorder, classlink,
                                                                        monkeypatch):
    monkeypatch.setenv(SECRET_VARIABLE, "an-old-secret")
    run = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "rejected")
    assert "ClassLink refused the credentials for tenant 1234" in run["message"]
    assert recorder.calls == []


def test_a_failure_part_way_through_the_roster_rejects_the_run_and_applies_nothing(rostering_rpc, recorder,
                                                                                   classlink):
    classlink.then("enrollments", Answer(200, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"}))
    run = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "rejected")
    assert "enrollments" in run["message"] and "not JSON" in run["message"]
    assert recorder.calls == []


def test_a_district_without_a_configured_source_is_refused(rostering_rpc, classlink):
    with pytest.raises(InvalidRequest, match="no source is configured for district springfield"):
        rostering_rpc.sync_district({"district": "springfield"})


def test_a_held_run_is_applied_on_approval_from_what_it_fetched(rostering_rpc, recorder, classlink):
    classlink.roster["users"] += [user(f"student-{n}", "student", ("school-1",)) for n in range(10, 30)]
    wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "completed")
    classlink.roster["users"] = classlink.roster["users"][:13]  # ten of the students are gone

    held = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln", "full": True})["run_id"],
                    "awaiting_approval")
    assert held["diff"]["archiving"]["people"] == 10
    changes = rostering_rpc.get_sync_run_changes({"run_id": held["run_id"], "entity": "people"})["changes"]
    assert {change["file"] for change in changes} == {"/users"}
    classlink.roster["users"] = []  # approval applies what the run read, not what the tenant says now
    rostering_rpc.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1"})

    wait_for(rostering_rpc, held["run_id"], "completed")
    archived = {key for entity, key in recorder.records.archived if entity == "people"}
    assert archived == {f"student-{n}" for n in range(20, 30)}
