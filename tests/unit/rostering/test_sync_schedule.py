from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.rostering.domain.sync_schedule import (
    FULL_RUN_EVERY,
    OVERLAP,
    SyncMarks,
    changes_since,
    completed,
    next_scheduled_at,
    scheduled_day,
)

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc)
ages = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))


def test_the_first_run_of_a_district_is_full():
    assert changes_since(SyncMarks(), NOW) is None


def test_between_full_runs_a_run_asks_for_changes_since_the_last_run_started_less_the_overlap():
    marks = SyncMarks(last_full_started_at=NOW - timedelta(days=2), last_started_at=NOW - timedelta(hours=24))
    assert changes_since(marks, NOW) == NOW - timedelta(hours=24) - OVERLAP


def test_a_full_run_when_asked_for():
    marks = SyncMarks(last_full_started_at=NOW - timedelta(days=1), last_started_at=NOW - timedelta(hours=1))
    assert changes_since(marks, NOW, full_requested=True) is None


@given(full_age=ages, since_full=ages)
def test_a_district_is_read_whole_at_least_weekly(full_age, since_full):
    last_full = NOW - full_age
    marks = SyncMarks(last_full_started_at=last_full, last_started_at=min(NOW, last_full + since_full))
    since = changes_since(marks, NOW)
    if full_age >= FULL_RUN_EVERY:
        assert since is None
    else:
        assert since is not None and since <= marks.last_started_at


def test_a_completed_run_moves_the_marks_a_full_one_both():
    marks = completed(SyncMarks(), NOW, full=True)
    assert marks == SyncMarks(NOW, NOW)
    later = NOW + timedelta(days=1)
    assert completed(marks, later, full=False) == SyncMarks(NOW, later)


# --- the daily schedule -------------------------------------------------------------------------------

CHICAGO = "America/Chicago"  # UTC-6 in December


def test_the_daily_run_is_due_from_the_districts_local_time_not_utc():
    before = datetime(2026, 12, 5, 11, 29, tzinfo=timezone.utc)  # 05:29 in Chicago
    at = datetime(2026, 12, 5, 11, 30, tzinfo=timezone.utc)
    assert scheduled_day(before, daily_time="05:30", time_zone=CHICAGO, last_scheduled_on=None) is None
    assert scheduled_day(at, daily_time="05:30", time_zone=CHICAGO, last_scheduled_on=None) == date(2026, 12, 5)


def test_a_day_that_had_its_run_is_not_due_again_and_the_next_day_is():
    evening = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)  # 22:00 on the 5th in Chicago
    assert scheduled_day(evening, daily_time="05:30", time_zone=CHICAGO, last_scheduled_on=date(2026, 12, 5)) is None
    next_morning = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    assert scheduled_day(next_morning, daily_time="05:30", time_zone=CHICAGO,
                         last_scheduled_on=date(2026, 12, 5)) == date(2026, 12, 6)


def test_a_schedule_that_was_down_at_the_time_starts_the_run_later_the_same_day():
    afternoon = datetime(2026, 12, 5, 20, 0, tzinfo=timezone.utc)
    assert scheduled_day(afternoon, daily_time="05:30", time_zone=CHICAGO,
                         last_scheduled_on=date(2026, 12, 4)) == date(2026, 12, 5)


@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1),
                          timezones=st.just(timezone.utc)),
       hour=st.integers(0, 23), minute=st.integers(0, 59),
       zone=st.sampled_from(("UTC", CHICAGO, "Europe/London", "Australia/Lord_Howe", "Pacific/Kiritimati")))
def test_a_schedule_asked_every_few_minutes_for_three_days_starts_exactly_one_run_a_local_day(start, hour, minute, zone):
    daily_time, last, started = f"{hour:02d}:{minute:02d}", None, []
    for minutes in range(0, 3 * 24 * 60, 7):
        now = start + timedelta(minutes=minutes)
        day = scheduled_day(now, daily_time=daily_time, time_zone=zone, last_scheduled_on=last)
        if day is not None:
            assert now >= next_scheduled_at(now - timedelta(minutes=7), daily_time=daily_time, time_zone=zone,
                                            last_scheduled_on=last)
            started.append(day)
            last = day
    assert len(started) == len(set(started)) and started == sorted(started)
    assert len(started) in (2, 3, 4)  # three days asked every 7 minutes hold three local days' times, give or
    # take the first (its time may have passed more than CATCH_UP before) and a day DST made longer or shorter


def test_a_late_evening_time_missed_by_minutes_is_caught_after_midnight_and_a_long_outage_skips_the_day():
    after_midnight = datetime(2026, 12, 6, 6, 10, tzinfo=timezone.utc)  # 00:10 on the 6th in Chicago
    assert scheduled_day(after_midnight, daily_time="23:59", time_zone=CHICAGO,
                         last_scheduled_on=date(2026, 12, 4)) == date(2026, 12, 5)
    next_noon = datetime(2026, 12, 6, 18, 0, tzinfo=timezone.utc)  # 12:01 past the 5th's time
    assert scheduled_day(next_noon, daily_time="23:59", time_zone=CHICAGO, last_scheduled_on=date(2026, 12, 4)) is None
    assert next_scheduled_at(next_noon, daily_time="23:59", time_zone=CHICAGO,
                             last_scheduled_on=date(2026, 12, 4)) == datetime(2026, 12, 7, 5, 59, tzinfo=timezone.utc)


def test_the_next_scheduled_run_is_today_before_the_time_and_tomorrow_after_its_run():
    morning = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)  # 04:00 in Chicago
    assert next_scheduled_at(morning, daily_time="05:30", time_zone=CHICAGO, last_scheduled_on=None) == \
        datetime(2026, 12, 5, 11, 30, tzinfo=timezone.utc)
    noon = datetime(2026, 12, 5, 18, 0, tzinfo=timezone.utc)
    assert next_scheduled_at(noon, daily_time="05:30", time_zone=CHICAGO, last_scheduled_on=date(2026, 12, 5)) == \
        datetime(2026, 12, 6, 11, 30, tzinfo=timezone.utc)
