import json
import socket
import threading
import time

import pytest
from roster_csv import make_enrollment_row, make_user_row, write_package
from typer.testing import CliRunner

from schoolctl.main import app, run
from shared.testing.classlink_fake import FakeClassLink
from shared.testing.oneroster_rest import small_district

pytestmark = pytest.mark.postgres


@pytest.fixture
def schoolctl(rostering_config, running_services, operator_credential):
    """`schoolctl ARGS...` against the running services, as the operator; returns the click Result."""
    runner = CliRunner()
    client_id, secret = operator_credential

    env = {"SCHOOLCTL_CLIENT_ID": client_id, "SCHOOLCTL_CLIENT_SECRET": secret}

    def invoke(*args: str):
        return runner.invoke(app, [*args, "--amqp-uri", rostering_config["AMQP_URI"]], env=env)

    invoke.amqp_uri, invoke.env = rostering_config["AMQP_URI"], env
    return invoke


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_import_of_a_good_package_exits_0_with_a_table_of_counts(schoolctl, package):
    result = schoolctl("roster", "import", str(package))

    assert result.exit_code == 0, result.output
    assert "completed" in result.output
    people_row = next(line for line in result.output.splitlines() if "People" in line)
    assert people_row.split("│")[2].strip() == "3"  # Entity │ Created │ ...


def test_row_errors_are_listed_with_file_line_column_value_and_still_exit_0(schoolctl, tmp_path):
    folder = write_package(tmp_path / "bad", users=[make_user_row(), make_user_row(sourcedId="s-2", email="nope")])

    result = schoolctl("roster", "import", str(folder))

    assert result.exit_code == 0, result.output
    assert "users.csv:3" in result.output and "email" in result.output and "nope" in result.output


def test_a_long_list_of_errors_is_summarised_by_reason_then_the_first_rows_of_each(schoolctl, tmp_path):
    users = ([make_user_row()] + [make_user_row(sourcedId=f"s-{n}", email=f"bad-{n}") for n in range(60)]
             + [make_user_row(sourcedId=f"g-{n}", grades="99") for n in range(5)])
    folder = write_package(tmp_path / "many-bad", users=users, enrollments=[make_enrollment_row()])

    result = schoolctl("roster", "import", str(folder))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Errors by reason (" in result.output
    email_row = next(line for line in lines if "invalid email address" in line and "│" in line)
    assert email_row.split("│")[2].strip() == "60"  # Reason │ Rows
    assert "bad-2" in result.output and "bad-3" not in result.output  # the first 3 of the reason
    assert "more errors (see --json)" in result.output


def test_json_output_is_the_whole_run(schoolctl, package):
    result = schoolctl("roster", "import", str(package), "--json")

    assert result.exit_code == 0, result.output
    run_report = json.loads(result.stdout)
    assert run_report["state"] == "completed" and run_report["counts"]["people"]["created"] == 3


def test_reimport_says_unchanged_rows_were_not_sent_and_full_sends_them(schoolctl, recorder, package):
    schoolctl("roster", "import", str(package))

    again = schoolctl("roster", "import", str(package))
    sent_before_full = len(recorder.calls)
    full = schoolctl("roster", "import", str(package), "--full")

    assert again.exit_code == full.exit_code == 0, again.output + full.output
    people_row = next(line for line in again.output.splitlines() if "People" in line)
    assert people_row.split("│")[4].strip() == "3"  # Entity │ Created │ Updated │ Unchanged
    assert "not sent again; --full resends every row" in " ".join(again.output.split())
    assert "not sent again" not in full.output
    assert len(recorder.calls_to("upsert_people")) == 2  # the first import's and --full's
    assert len(recorder.calls) - sent_before_full == 7


def test_show_prints_a_finished_run_again(schoolctl, package):
    imported = json.loads(schoolctl("roster", "import", str(package), "--json").stdout)

    shown = schoolctl("roster", "show", imported["run_id"], "--json")

    assert shown.exit_code == 0 and json.loads(shown.stdout) == imported


def test_runs_lists_the_latest_imports_newest_first(schoolctl, package):
    first = json.loads(schoolctl("roster", "import", str(package), "--json").stdout)
    second = json.loads(schoolctl("roster", "import", str(package), "--json").stdout)

    listed = schoolctl("roster", "runs", "--json")

    assert listed.exit_code == 0, listed.output
    assert [run["run_id"] for run in json.loads(listed.stdout)] == [second["run_id"], first["run_id"]]
    assert "completed" in schoolctl("roster", "runs").stdout


def test_rejected_package_exits_2_with_the_reason(schoolctl, package):
    (package / "users.csv").unlink()

    result = schoolctl("roster", "import", str(package))

    assert result.exit_code == 2
    assert "rejected" in result.output and "users.csv" in result.output


def test_path_that_does_not_exist_exits_64_before_calling_anything(schoolctl, tmp_path, recorder):
    result = schoolctl("roster", "import", str(tmp_path / "missing"))

    assert result.exit_code == 64
    assert "No such file or folder" in result.output
    assert recorder.calls == []


def test_unknown_phone_region_exits_64(schoolctl, package):
    result = schoolctl("roster", "import", str(package), "--region", "QQ")

    assert result.exit_code == 64
    assert "region" in result.output


def test_broker_that_does_not_answer_exits_69_saying_how_to_start_it(tmp_path):
    uri = f"amqp://guest:secret@127.0.0.1:{closed_port()}/"

    result = CliRunner().invoke(app, ["roster", "import", str(tmp_path), "--amqp-uri", uri],
                                env={"SCHOOLCTL_CLIENT_ID": "operator-1", "SCHOOLCTL_CLIENT_SECRET": "s"})

    assert result.exit_code == 69
    assert "RabbitMQ is not answering at" in result.output and "rabbitmq-server -detached" in result.output
    assert "secret" not in result.output


def test_command_line_usage_errors_exit_64_not_2(capsys):
    assert run(["roster", "import", "--no-such-option", "x"]) == 64
    assert "No such option" in capsys.readouterr().err


def school_of(folder, students: range):
    users = [make_user_row(sourcedId=f"student-{n}", givenName=f"Student{n}") for n in students]
    enrollments = [make_enrollment_row(sourcedId=f"enr-{n}", userSourcedId=f"student-{n}") for n in students]
    return write_package(folder, users=users, enrollments=enrollments)


def test_a_held_import_exits_3_shows_its_diff_and_is_rejected_by_the_operator_credential(schoolctl, tmp_path,
                                                                                          operator_person_id):
    assert schoolctl("roster", "import", str(school_of(tmp_path / "a", range(20)))).exit_code == 0
    dry = schoolctl("roster", "import", str(school_of(tmp_path / "b", range(14))), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing was applied" in dry.stdout and "6 of 20 people (30.0%)" in dry.stdout

    held = schoolctl("roster", "import", str(school_of(tmp_path / "b", range(14))), "--json")
    assert held.exit_code == 3, held.output
    run_id = json.loads(held.stdout)["run_id"]
    listed = json.loads(schoolctl("roster", "runs", "--state", "awaiting_approval", "--json").stdout)
    assert [run["run_id"] for run in listed] == [run_id]
    shown = schoolctl("roster", "show", run_id, "--changes", "--entity", "people")
    assert shown.exit_code == 3 and "users.csv" in shown.stdout and "student-19" in shown.stdout
    assert f"schoolctl roster approve {run_id}" in shown.stdout

    assert schoolctl("roster", "reject", run_id, "--by", "Rita").exit_code == 2  # no free-text decider any more
    rejected = schoolctl("roster", "reject", run_id, "--reason", "wrong export", "--json")
    assert rejected.exit_code == 0, rejected.output
    decided = json.loads(rejected.stdout)
    assert decided["decided_by"] == operator_person_id
    assert decided["message"] == f"rejected by {operator_person_id}: wrong export; nothing was applied"
    again = schoolctl("roster", "approve", run_id)
    assert again.exit_code == 64 and "only a run awaiting approval" in again.stderr


def test_settings_are_shown_and_changed_and_a_bad_threshold_is_refused(schoolctl, tmp_path, operator_person_id):
    imported = json.loads(schoolctl("roster", "import", str(school_of(tmp_path / "a", range(3))), "--json").stdout)
    district_id = imported["district_id"]

    changed = schoolctl("roster", "settings", district_id, "--set", "unarchive_classrooms_that_reappear=false",
                        "--set", "mass_change_threshold=0.25", "--json")
    assert changed.exit_code == 0, changed.output
    settings = json.loads(changed.stdout)
    assert settings["unarchive_classrooms_that_reappear"] is False and settings["mass_change_threshold"] == 0.25
    assert settings["updated_by"] == operator_person_id
    refused = schoolctl("roster", "settings", district_id, "--set", "mass_change_threshold=2")
    assert refused.exit_code == 64 and "mass_change_threshold" in refused.stderr
    unknown = schoolctl("roster", "settings", district_id, "--set", "source=powerschool")
    assert unknown.exit_code == 64 and "source=powerschool: 'powerschool' is not a source" in unknown.stderr
    not_a_setting = schoolctl("roster", "settings", district_id, "--set", "colour=blue")
    assert not_a_setting.exit_code == 64 and "--set colour: not a setting" in not_a_setting.stderr


def test_a_districts_classlink_source_is_set_with_a_secret_asked_for_and_synced_now(schoolctl, tmp_path):
    with FakeClassLink() as classlink:
        classlink.roster.update(small_district())
        result = CliRunner().invoke(app, [
            "roster", "settings", "lincoln", "--set", "source=classlink", "--set", "connection.tenant_id=1234",
            "--set", "connection.application_id=5678", "--set", f"connection.server_url={classlink.url}",
            "--set", f"connection.client_id={classlink.client_id}", "--set", "connection.client_secret=-",
            "--set", "daily_sync=true", "--set", "daily_time=05:30", "--set", "time_zone=America/Chicago", "--json",
            "--amqp-uri", schoolctl.amqp_uri], input=classlink.client_secret + "\n", env=schoolctl.env)
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout[result.stdout.index("{"):])
        assert shown["connection"]["client_secret_set"] is True and classlink.client_secret not in result.stdout

        planned = schoolctl("roster", "sync", "lincoln", "--dry-run")
        assert planned.exit_code == 0, planned.output
        assert "would read the whole roster from ClassLink tenant 1234" in planned.output
        assert "Nothing was started" in planned.output

        started = schoolctl("roster", "sync", "lincoln", "--now", "--json")
        assert started.exit_code == 0, started.output
        run = wait_for_run(schoolctl, json.loads(started.stdout)["run_id"], "completed")
        assert run["counts"]["people"]["created"] == 3


def test_a_sync_of_a_district_that_imports_packages_is_refused_with_why(schoolctl):
    refused = schoolctl("roster", "sync", "springfield", "--now")
    assert refused.exit_code == 64 and "syncs from OneRoster CSV packages" in refused.stderr


def wait_for_run(schoolctl, run_id: str, state: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        run = json.loads(schoolctl("roster", "show", run_id, "--json").stdout)
        if run["state"] == state or time.monotonic() > deadline:
            assert run["state"] == state, run["message"]
            return run
        time.sleep(0.2)


def test_import_prints_the_run_id_at_once_and_detach_returns_while_the_run_goes_on(schoolctl, recorder, package):
    recorder.hold("upsert_people")
    try:
        result = schoolctl("roster", "import", str(package), "--detach", "--json")
        started = json.loads(result.stdout)
        assert result.exit_code == 0, result.output
        assert started["state"] == "running"
        assert f"Sync run {started['short_id']} started" in result.output
        assert f"schoolctl roster follow {started['short_id']}" in " ".join(result.output.split())
    finally:
        recorder.release()

    followed = schoolctl("roster", "follow", started["short_id"], "--json")

    assert followed.exit_code == 0, followed.output
    assert json.loads(followed.stdout)["state"] == "completed"


def test_follow_shows_the_progress_of_a_running_run_and_exits_by_its_outcome(schoolctl, recorder, tmp_path):
    folder = write_package(tmp_path / "lincoln")
    started = json.loads(schoolctl("roster", "import", str(folder), "--detach", "--json").stdout)
    ended = schoolctl("roster", "follow", started["run_id"][:6])
    assert ended.exit_code == 0 and "completed" in ended.output, ended.output

    rejected = json.loads(schoolctl("roster", "import", str(write_package(tmp_path / "empty", orgs=[])),
                                    "--detach", "--json").stdout)
    followed_rejected = schoolctl("roster", "follow", rejected["short_id"])
    assert followed_rejected.exit_code == 2, followed_rejected.output


def test_follow_prints_a_line_per_phase_while_the_run_goes_on(schoolctl, recorder, package):
    recorder.hold("upsert_enrollments")
    started = json.loads(schoolctl("roster", "import", str(package), "--detach", "--json").stdout)

    threading.Timer(2.0, recorder.release).start()
    followed = schoolctl("roster", "follow", started["short_id"], "--timeout", "20")

    assert followed.exit_code == 0, followed.output
    assert f"{started['short_id']} applying enrollments:" in followed.output
    assert "pages applied" in followed.output and "rows read" in followed.output


def test_a_second_import_of_a_running_package_exits_75_naming_the_running_run(schoolctl, recorder, package):
    recorder.hold("upsert_people")
    try:
        first = json.loads(schoolctl("roster", "import", str(package), "--detach", "--json").stdout)
        second = schoolctl("roster", "import", str(package))
    finally:
        recorder.release()

    assert second.exit_code == 75, second.output
    assert f"already being synced by run {first['short_id']}" in " ".join(second.output.split())


def test_an_unknown_run_id_exits_64(schoolctl):
    assert schoolctl("roster", "follow", "ffffffff").exit_code == 64
    assert schoolctl("roster", "show", "ffffffff").exit_code == 64


def test_a_new_district_is_connected_to_its_tenant_and_its_settings_printed_with_its_directory_id(schoolctl,
                                                                                                  recorder):
    connected = schoolctl("roster", "connect", "district-7", "--name", "Springfield Unified", "--set",
                          "source=classlink", "--set", "connection.tenant_id=1234", "--json")
    assert connected.exit_code == 0, connected.output
    settings = json.loads(connected.stdout)
    assert settings["district_id"] == recorder.saved_ids("upsert_district")["district-7"]
    assert settings["source"] == "classlink" and settings["connection"]["tenant_id"] == "1234"
    refused = schoolctl("roster", "connect", "district-8", "--name", "Shelbyville", "--set", "daily_sync=true",
                        "--set", "source=clever")
    assert refused.exit_code == 64 and "connection.token" in refused.stderr
    assert "district-8" not in recorder.saved_ids("upsert_district")
