from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.rostering.domain.sync_schedule import FULL_RUN_EVERY, OVERLAP, SyncMarks, changes_since, completed

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
