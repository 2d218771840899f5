"""Each district's sync marks in the rostering database: times in UTC and where its change feed was left."""
from datetime import datetime, timezone

import pytest

from services.rostering.adapters.sync_marks import SyncMarksRepository
from services.rostering.domain.sync_schedule import SyncMarks

STARTED = datetime(2026, 9, 1, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def marks(rostering_session):
    return SyncMarksRepository(rostering_session)


def test_a_district_never_synced_has_no_marks(marks):
    assert marks.get("jefferson") == SyncMarks()


def test_marks_read_back_as_saved_and_a_later_save_replaces_them(marks):
    marks.save("jefferson", SyncMarks(STARTED, STARTED, "evt00000042"))
    assert marks.get("jefferson") == SyncMarks(STARTED, STARTED, "evt00000042")
    marks.save("jefferson", SyncMarks(STARTED, STARTED, None))  # the district moved to a provider without a feed
    assert marks.get("jefferson").event_cursor is None
