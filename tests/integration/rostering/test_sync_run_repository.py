from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from services.rostering.adapters.repository import SyncRunRepository
from services.rostering.domain.run import DistrictBusy, EntityCounts, SyncRun
from services.rostering.domain.run_ids import AmbiguousRunId


@pytest.fixture
def runs(rostering_session):
    return SyncRunRepository(rostering_session)


def make_run(**overrides) -> SyncRun:
    return SyncRun(**{"run_id": "run-1", "source": "/exports/lincoln",
                      "started_at": datetime(2025, 9, 1, 6, 0, tzinfo=timezone.utc), **overrides})


def test_a_run_reads_back_as_it_was_saved_with_utc_times(runs):
    run = make_run()
    runs.add(run)
    run.district_id = "d-1"
    run.counts["people"] = EntityCounts(created=3, failed=1)
    run.errors.append({"file": "users.csv", "line": 3, "column": "email", "value": "ada@", "reason": "invalid"})
    run.warnings.append({"file": "users.csv", "line": 4, "column": "status", "value": "tobedeleted",
                         "reason": "skipped"})
    run.complete(datetime(2025, 9, 1, 6, 5, tzinfo=timezone.utc))
    runs.save(run)

    assert runs.get("run-1") == run


def test_a_run_in_progress_is_readable_before_it_finishes(runs):
    runs.add(make_run())

    stored = runs.get("run-1")

    assert stored.state == "running" and stored.finished_at is None and stored.counts == {}


def test_an_unknown_run_is_none(runs):
    assert runs.get("nope") is None


def test_recent_runs_come_newest_first_and_limited(runs):
    for day in (1, 3, 2):
        runs.add(make_run(run_id=f"run-{day}", started_at=datetime(2025, 9, day, 6, 0, tzinfo=timezone.utc)))

    assert [run.run_id for run in runs.recent(2)] == ["run-3", "run-2"]


AT = datetime(2025, 9, 1, 6, 0, tzinfo=timezone.utc)


def test_progress_is_written_alone_and_reads_back(runs):
    run = make_run()
    runs.add(run)
    run.progress.read(1200, {"people": 1100, "schools": 3}, 1000)
    run.progress.applying("schools", 1, AT)
    run.progress.page_applied()
    run.errors.append({"file": "users.csv", "line": 3, "column": None, "value": None, "reason": "not saved"})

    runs.save_progress(run, AT)

    stored = runs.get("run-1")
    assert stored.progress == run.progress and stored.progress.pages_total == 3
    assert stored.errors == []  # a progress write leaves the rest of the run as it was last saved


def test_only_one_run_of_a_district_runs_at_a_time_and_the_busy_one_is_named(runs):
    first, second = make_run(run_id="aaaa1111"), make_run(run_id="bbbb2222")
    runs.add(first)
    runs.add(second)
    runs.claim(first, "district-1", "worker-1", AT)

    with pytest.raises(DistrictBusy) as busy:
        runs.claim(second, "district-1", "worker-2", AT)

    assert busy.value.running.run_id == "aaaa1111"
    first.complete(AT)
    runs.save(first)
    runs.claim(second, "district-1", "worker-2", AT)  # the district is free once its run ended
    assert runs.get("bbbb2222").district_key == "district-1"


def test_runs_whose_worker_stopped_beating_are_failed_and_the_others_kept(runs):
    for run_id, owner in (("dead0001", "dead-worker"), ("live0001", "live-worker"), ("queued01", None)):
        run = make_run(run_id=run_id)
        runs.add(run)
        if owner:
            runs.claim(run, f"district-{run_id}", owner, AT)
    later = AT + timedelta(minutes=5)
    runs.beat("live-worker", later)

    failed = runs.fail_abandoned(later - timedelta(seconds=60), "its worker died", later)

    assert failed == ["dead0001"]
    assert runs.get("dead0001").state == "failed" and runs.get("dead0001").message == "its worker died"
    assert runs.get("live0001").state == runs.get("queued01").state == "running"  # a queued run has no worker yet


def test_a_run_is_found_by_a_unique_prefix_of_its_id(runs):
    for run_id in ("abcd1234ef", "abcd9999ef", "ffff0000aa"):
        runs.add(make_run(run_id=run_id))

    assert runs.find("ffff").run_id == "ffff0000aa"
    assert runs.find("abcd1").run_id == "abcd1234ef"
    assert runs.find("0000") is None
    with pytest.raises(AmbiguousRunId, match="abcd names more than one run"):
        runs.find("abcd")


def test_a_run_followed_is_read_with_its_findings_counted_not_listed(runs):
    run = make_run(run_id="abcd1234ef", district_id="d-1")
    runs.add(run)
    run.counts["people"] = EntityCounts(created=3, failed=2)
    run.errors += [{"file": "users.csv", "line": line, "column": "email", "value": "ada@", "reason": "invalid"}
                   for line in (3, 5)]
    run.warnings.append({"file": "users.csv", "line": 4, "column": None, "value": None, "reason": "ignored"})
    run.progress.read(1200, {"people": 1100}, 1000)
    run.hold("archives too much", {"threshold": 0.1}, AT + timedelta(minutes=2))
    runs.save(run)

    followed = runs.follow("abcd")

    assert (followed.error_count, followed.warning_count) == (2, 1)
    assert followed.run == replace(runs.get("abcd1234ef"), errors=[], warnings=[], diff=None)
    assert followed.as_payload(AT)["counts"]["people"]["failed"] == 2


def test_a_run_with_no_findings_is_followed_with_counts_of_none(runs):
    runs.add(make_run())

    followed = runs.follow("run-1")

    assert (followed.error_count, followed.warning_count) == (0, 0) and followed.run.state == "running"


def test_recent_runs_followed_are_the_recent_runs_with_their_findings_counted(runs):
    for day, errors in ((1, 2), (3, 0), (2, 5)):
        run = make_run(run_id=f"run-{day}", district_id="d-1" if day < 3 else "d-2",
                       started_at=datetime(2025, 9, day, 6, 0, tzinfo=timezone.utc))
        runs.add(run)
        run.errors += [{"file": "users.csv", "line": line, "column": None, "value": None, "reason": "bad"}
                       for line in range(errors)]
        runs.save(run)

    followed = runs.recent_followed(2, district_id="d-1")

    assert [(each.run.run_id, each.error_count, each.warning_count) for each in followed] == [
        ("run-2", 5, 0), ("run-1", 2, 0)]
    assert [each.run for each in followed] == [replace(run, errors=[]) for run in runs.recent(2, district_id="d-1")]
    assert [each.run.run_id for each in runs.recent_followed(5, state="running")] == ["run-3", "run-2", "run-1"]


def test_following_an_unknown_or_ambiguous_run_is_as_finding_it(runs):
    for run_id in ("abcd1234ef", "abcd9999ef"):
        runs.add(make_run(run_id=run_id))

    assert runs.follow("nope") is None and runs.follow("0000") is None
    with pytest.raises(AmbiguousRunId, match="abcd names more than one run"):
        runs.follow("abcd")


def test_a_run_taken_up_but_never_claimed_is_failed_when_its_worker_goes_silent(runs):
    run = make_run(run_id="read0001")
    runs.add(run)
    runs.take_up(run, "dead-worker", AT)

    assert runs.fail_abandoned(AT + timedelta(seconds=61), "its worker died", AT) == ["read0001"]


def test_a_held_run_made_running_again_while_its_district_is_busy_is_refused(runs):
    held, newer = make_run(run_id="held0001"), make_run(run_id="newr0001")
    runs.add(held)
    runs.add(newer)
    runs.claim(held, "district-1", "worker-1", AT)
    held.hold("too many leave", {}, AT)
    runs.save(held)
    runs.claim(newer, "district-1", "worker-2", AT)

    held.approve("admin-1", AT)
    with pytest.raises(DistrictBusy) as busy:
        runs.save(held)

    assert busy.value.running.run_id == "newr0001" and runs.get("held0001").state == "awaiting_approval"
