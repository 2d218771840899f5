"""sync_district and its background half, against in-memory ports and a fake provider."""
from datetime import datetime, timedelta, timezone

import pytest
from rostering_fakes import Importer

from services.rostering import syncing
from services.rostering.domain.errors import SourceRejected
from services.rostering.domain.settings import SyncSettings
from services.rostering.domain.sync_schedule import OVERLAP, SyncMarks
from shared.contracts import rostering
from shared.contracts.errors import Conflict, InvalidRequest, NotFound

REQUEST = {"district": "lincoln", "full": False, "region": "US", "requested_by": "operator"}


@pytest.fixture
def importer():
    return Importer()


def start(importer, **changes):
    run = syncing.sync_district({**REQUEST, **changes}, ports=importer.ports(), new_id=lambda: next(importer.ids))
    event, payload = importer.published[-1]
    assert event == rostering.DISTRICT_SYNC_REQUESTED.name and payload["run_id"] == run["run_id"]
    return run, payload


def carry_out(importer, **changes):
    run, payload = start(importer, **changes)
    syncing.run_district_sync(payload, ports=importer.ports())
    return importer.runs.get(run["run_id"])


def test_a_sync_answers_the_running_run_at_once_and_applies_nothing_yet(importer):
    run, _ = start(importer)
    assert run["state"] == "running" and run["source"] == "Fake provider"
    assert importer.methods_called() == []


def test_the_background_half_applies_the_provider_roster_and_marks_a_full_run(importer):
    run = carry_out(importer)
    assert run.state == "completed"
    assert "upsert_people" in importer.methods_called()
    assert importer.marks.get("lincoln") == SyncMarks(run.started_at, run.started_at)
    assert importer.sources.asked_since == [None]


def test_the_next_run_asks_for_changes_since_the_last_run_started(importer):
    first = carry_out(importer)
    second = carry_out(importer)
    assert importer.sources.asked_since == [None, first.started_at - OVERLAP]
    assert second.source == "Fake provider (changes)"
    assert importer.marks.get("lincoln") == SyncMarks(first.started_at, second.started_at)


def test_a_provider_with_a_change_feed_is_asked_for_the_events_after_the_last_completed_run_read(importer):
    importer.sources.feed_at = "event-7"
    first = carry_out(importer)
    importer.sources.feed_at = "event-9"
    second = carry_out(importer)
    assert importer.sources.asked_after_event == [None, "event-7"]  # a full run starts the feed afresh
    assert importer.marks.get("lincoln") == SyncMarks(first.started_at, second.started_at, "event-9")
    carry_out(importer, full=True)
    assert importer.sources.asked_after_event[-1] is None


def test_a_rejected_run_leaves_the_feed_where_the_last_completed_run_left_it(importer):
    importer.sources.feed_at = "event-7"
    carry_out(importer)
    importer.sources.answer, importer.sources.feed_at = SourceRejected("Clever refused the token"), "event-9"
    carry_out(importer)
    assert importer.marks.get("lincoln").event_cursor == "event-7"


def test_a_full_run_can_be_asked_for_between_weekly_ones(importer):
    carry_out(importer)
    carry_out(importer, full=True)
    assert importer.sources.asked_since == [None, None]


def test_a_provider_that_fails_part_way_rejects_the_run_applies_nothing_and_keeps_the_marks(importer):
    importer.sources.answer = SourceRejected("ClassLink refused the credentials for tenant 1234")
    run = carry_out(importer)
    assert (run.state, run.message) == ("rejected", "ClassLink refused the credentials for tenant 1234")
    assert importer.methods_called() == []
    assert importer.marks.get("lincoln") == SyncMarks()
    assert importer.published[-1][0] == rostering.SYNC_RUN_COMPLETED.name


def test_a_provider_answering_another_district_rejects_the_run_with_nothing_applied(importer):
    importer.directory.district = {"source_id": "district-9", "name": "Springfield Unified"}
    run = carry_out(importer)
    assert run.state == "rejected"
    assert run.message.startswith("Fake provider holds district district-1 (Lincoln USD), not district-9, the "
                                  "district these settings are for (Springfield Unified): nothing was applied")
    assert importer.methods_called() == []
    assert importer.marks.get("lincoln") == SyncMarks()


def test_a_district_made_by_hand_cannot_take_a_providers_roster(importer):
    importer.directory.district = {"source_id": None, "name": "Springfield Unified"}
    run = carry_out(importer)
    assert run.state == "rejected" and "was not made by a roster sync" in run.message
    assert importer.methods_called() == []


def test_a_directory_that_cannot_say_which_district_it_is_fails_the_run_before_anything_is_read(importer):
    importer.directory.broken["get_district"] = NotFound("no such district", fields={"district_id": ["unknown"]})
    run = carry_out(importer)
    assert run.state == "failed" and run.message.startswith("directory.get_district failed")
    assert importer.methods_called() == [] and importer.sources.asked_since == [None]


def test_a_redelivered_request_is_not_carried_out_twice(importer):
    run, payload = start(importer)
    syncing.run_district_sync(payload, ports=importer.ports())
    calls = len(importer.directory.calls)
    assert syncing.run_district_sync(payload, ports=importer.ports()) is None
    assert len(importer.directory.calls) == calls


def test_an_unknown_district_is_refused_before_a_run_exists(importer):
    with pytest.raises(InvalidRequest, match="no source is configured for district springfield"):
        syncing.sync_district({**REQUEST, "district": "springfield"}, ports=importer.ports())
    assert importer.runs.recent(10) == []


def test_the_weekly_full_run_comes_round(importer):
    carry_out(importer)
    marks = importer.marks.get("lincoln")
    importer.marks.save("lincoln", SyncMarks(marks.last_full_started_at - timedelta(days=7), marks.last_started_at))
    carry_out(importer)
    assert importer.sources.asked_since[-1] is None


# --- one run at a time, and the daily schedule ------------------------------------------------------

def scheduled_district(importer, district="lincoln", **overrides):
    importer.settings.save(SyncSettings(district, **{"daily_sync": True, "source": "classlink",
                                                     "daily_time": "05:30", "time_zone": "America/Chicago",
                                                     **overrides}))


def test_a_second_sync_of_a_district_while_one_runs_is_refused(importer):
    running, _ = start(importer)
    with pytest.raises(Conflict, match=f"district lincoln has a run in progress \\({running['run_id']}\\)"):
        start(importer)


def test_the_region_of_a_sync_is_the_districts_setting_unless_the_request_names_one(importer):
    importer.settings.save(SyncSettings("lincoln", region="GB"))
    _, payload = start(importer, region=None)
    assert payload["region"] == "GB"


def test_the_schedule_starts_a_district_once_its_local_time_has_come_and_once_a_day(importer):
    scheduled_district(importer)
    importer.clock.now = datetime(2025, 9, 1, 10, 29, tzinfo=timezone.utc)  # 05:29 in Chicago (CDT)
    assert syncing.start_due_syncs(ports=importer.ports()) == []

    importer.clock.now = datetime(2025, 9, 1, 10, 31, tzinfo=timezone.utc)
    [run_id] = syncing.start_due_syncs(ports=importer.ports())
    event, payload = importer.published[-1]
    assert event == rostering.DISTRICT_SYNC_REQUESTED.name and payload["run_id"] == run_id
    assert payload["requested_by"] == syncing.SCHEDULE and payload["full"] is False
    syncing.run_district_sync(payload, ports=importer.ports())
    assert importer.runs.get(run_id).state == "completed"

    importer.clock.now = datetime(2025, 9, 1, 22, 0, tzinfo=timezone.utc)
    assert syncing.start_due_syncs(ports=importer.ports()) == []  # the same local day
    importer.clock.now = datetime(2025, 9, 2, 10, 31, tzinfo=timezone.utc)
    assert len(syncing.start_due_syncs(ports=importer.ports())) == 1


def test_the_schedule_waits_for_a_district_run_in_progress_and_starts_it_later_that_day(importer):
    scheduled_district(importer)
    importer.clock.now = datetime(2025, 9, 1, 10, 0, tzinfo=timezone.utc)
    running, payload = start(importer)
    importer.clock.now = datetime(2025, 9, 1, 10, 31, tzinfo=timezone.utc)
    assert syncing.start_due_syncs(ports=importer.ports()) == []

    syncing.run_district_sync(payload, ports=importer.ports())
    assert len(syncing.start_due_syncs(ports=importer.ports())) == 1


def test_the_schedule_leaves_districts_whose_sync_is_off_or_handed_packages_or_sftp_drops(importer):
    scheduled_district(importer, district="off", daily_sync=False)
    scheduled_district(importer, district="packages", source="oneroster_csv")
    scheduled_district(importer, district="drops", source="sftp")  # picked up as they come, never on request
    importer.clock.now = datetime(2025, 9, 1, 12, 0, tzinfo=timezone.utc)
    assert syncing.start_due_syncs(ports=importer.ports()) == []


def test_a_scheduled_run_that_cannot_start_is_a_rejected_run_saying_why(importer):
    scheduled_district(importer, district="springfield")  # the fake provider knows only lincoln
    importer.clock.now = datetime(2025, 9, 1, 12, 0, tzinfo=timezone.utc)
    [run_id] = syncing.start_due_syncs(ports=importer.ports())
    run = importer.runs.get(run_id)
    assert run.state == "rejected" and run.district_id == "springfield"
    assert "no source is configured for district springfield" in run.message
    assert syncing.start_due_syncs(ports=importer.ports()) == []  # the day is spent: no retry every minute


def test_a_dry_run_plans_without_starting_anything(importer):
    scheduled_district(importer)
    importer.clock.now = datetime(2025, 9, 1, 9, 0, tzinfo=timezone.utc)
    plan = syncing.plan_district_sync({"district": "lincoln", "full": False}, ports=importer.ports())
    assert plan["full"] is True and plan["changes_since"] is None and plan["running_run_id"] is None
    assert plan["source"] == "Fake provider" and plan["daily_sync"] is True
    assert plan["next_scheduled_at"] == datetime(2025, 9, 1, 10, 30, tzinfo=timezone.utc)
    assert importer.published == [] and importer.runs.stored == {}
