"""A district synced from its ClassLink tenant through the running service, configured by its settings: full,
then incremental; refusals and failures part way reject the run with nothing applied; one run at a time; the
settings keep the secret sealed and announce each change for the audit log."""
from __future__ import annotations

import pytest
from run_waiting import wait_for, wait_until
from sqlalchemy import create_engine, text

from shared.contracts.errors import Conflict, InvalidRequest
from shared.testing.classlink_fake import Answer, FakeClassLink, json_answer
from shared.testing.oneroster_rest import small_district, user

pytestmark = pytest.mark.postgres


def configure(rostering_rpc, **connection):
    return rostering_rpc.update_district_sync_settings({
        "district_id": "lincoln", "changed_by": "admin-1", "source": "classlink", "connection": connection})


@pytest.fixture
def classlink(rostering_rpc):
    with FakeClassLink() as fake:
        fake.roster.update(small_district())
        configure(rostering_rpc, tenant_id="1234", application_id="5678", server_url=fake.url, version="1.1",
                  auth="oauth1", client_id=fake.client_id, client_secret=fake.client_secret)
        yield fake


def test_a_sync_answers_the_running_run_and_applies_the_tenant_in_the_background(rostering_rpc, recorder,
                                                                                 classlink):
    started = rostering_rpc.sync_district({"district": "lincoln", "requested_by": "operator"})
    assert started["state"] == "running" and started["source"] == "ClassLink tenant 1234 (OneRoster 1.1)"

    run = wait_for(rostering_rpc, started["run_id"], "completed")
    assert run["counts"]["people"]["created"] == 3 and run["counts"]["guardian_links"]["created"] == 1
    assert recorder.saved_ids("upsert_district").keys() == {"district-1"}
    assert not any("filter" in query for _, query in classlink.requests)  # the first run is full


def test_a_run_report_names_the_collection_position_and_sourced_id_of_a_bad_record(rostering_rpc, classlink):
    classlink.roster["users"].append(user("student-9", "student", ("school-1",), email="not-an-email"))
    run = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "completed")
    assert [(error["file"], error["line"], error["column"], error["source_id"]) for error in run["errors"]] == [
        ("/users", 4, "email", "student-9")]


def test_a_tenant_holding_another_district_rejects_the_run_and_applies_nothing(rostering_rpc, recorder,
                                                                               classlink):
    classlink.roster["orgs"][0]["sourcedId"] = "district-2"
    classlink.roster["orgs"][1]["parent"]["sourcedId"] = "district-2"
    run = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "rejected")
    assert run["message"].startswith("ClassLink tenant 1234 (OneRoster 1.1) holds district district-2 (Lincoln "
                                     "Unified), not district-1, the district these settings are for")
    assert recorder.calls == []


def test_a_new_district_connects_its_tenant_first_and_its_first_run_fills_it(rostering_rpc, recorder):
    with FakeClassLink() as fake:
        fake.roster.update(small_district())
        connected = rostering_rpc.connect_district({
            "source_id": "district-1", "name": "Lincoln Unified", "changed_by": "admin-1", "source": "classlink",
            "connection": {"tenant_id": "1234", "application_id": "5678", "server_url": fake.url,
                           "client_id": fake.client_id, "client_secret": fake.client_secret}})
        district_id = connected["district_id"]
        assert recorder.saved_ids("upsert_district") == {"district-1": district_id}
        assert connected["connection"]["client_secret_set"] is True and recorder.ownership["district_id"] == district_id
        run = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": district_id})["run_id"], "completed")
    assert run["district_id"] == district_id and run["counts"]["people"]["created"] == 3


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


def test_refused_credentials_reject_the_run_by_tenant_and_apply_nothing(rostering_rpc, recorder, classlink):
    configure(rostering_rpc, client_secret="an-old-secret")
    run = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "rejected")
    assert "ClassLink refused the credentials for tenant 1234" in run["message"]
    assert recorder.calls == []


def test_a_failure_part_way_through_the_roster_rejects_the_run_and_applies_nothing(rostering_rpc, recorder,
                                                                                   classlink):
    classlink.then("enrollments", Answer(200, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"}))
    run = wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "lincoln"})["run_id"], "rejected")
    assert "enrollments" in run["message"] and "not JSON" in run["message"]
    assert recorder.calls == []


def test_a_district_without_a_source_rostering_reads_is_refused(rostering_rpc, classlink):
    with pytest.raises(InvalidRequest, match="district springfield syncs from OneRoster CSV packages"):
        rostering_rpc.sync_district({"district": "springfield"})


def test_a_second_sync_while_the_districts_run_is_in_progress_is_refused(rostering_rpc, classlink):
    # The tenant throttles the first run for two seconds: it is still reading when the second is asked for.
    classlink.then("orgs", json_answer(429, {"error": "slow down"}, {"Retry-After": "2"}))
    first = rostering_rpc.sync_district({"district": "lincoln"})
    with pytest.raises(Conflict, match=f"district lincoln has a run in progress \\({first['run_id']}\\)"):
        rostering_rpc.sync_district({"district": "lincoln"})
    wait_for(rostering_rpc, first["run_id"], "completed")


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


def test_settings_keep_the_secret_sealed_and_answer_only_that_it_is_set(rostering_rpc, recorder, classlink,
                                                                         rostering_database_url):
    shown = rostering_rpc.get_district_sync_settings({"district_id": "lincoln"})
    assert shown["source"] == "classlink" and shown["connection"]["client_secret_set"] is True
    assert "client_secret" not in shown["connection"]
    with create_engine(rostering_database_url).connect() as connection:
        stored = connection.execute(text("SELECT * FROM district_settings")).mappings().one()
    assert classlink.client_secret not in str(dict(stored)) and stored["sealed_secrets"]
    assert stored["secret_names"] == ["client_secret"]


def test_a_settings_change_is_announced_for_the_audit_log_without_the_secret(rostering_rpc, recorder, classlink):
    configure(rostering_rpc, client_secret="rotated-secret", tenant_id="4321")
    wait_until(lambda: len(recorder.settings_changes) == 2)
    first, second = recorder.settings_changes
    assert first["after"]["source"] == "classlink" and first["changed_by"] == "admin-1"
    assert second["before"]["connection"]["tenant_id"] == "1234"
    assert second["after"]["connection"]["tenant_id"] == "4321" and second["after"]["secrets_given"] == [
        "client_secret"]
    assert "rotated-secret" not in str(recorder.settings_changes) and first["change_id"] != second["change_id"]


def test_an_unknown_source_is_refused_naming_the_field(rostering_rpc):
    with pytest.raises(InvalidRequest) as refused:
        rostering_rpc.update_district_sync_settings({"district_id": "lincoln", "changed_by": "admin-1",
                                                     "source": "powerschool"})
    assert list(refused.value.fields) == ["source"]
