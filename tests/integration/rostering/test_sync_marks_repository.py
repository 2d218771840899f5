"""Each district's sync marks in the rostering database: times in UTC and where its change feed was left."""
from datetime import datetime, timezone

import pytest
from sqlalchemy.orm import Session

from services.rostering.adapters.sync_marks import SyncMarksRepository
from services.rostering.domain.sync_schedule import SyncMarks
from shared.db import make_engine
from shared.migrations import upgrade

STARTED = datetime(2026, 9, 1, 6, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def marks(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rostering.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")("rostering")
    upgrade("rostering", url)
    engine = make_engine(url)
    with Session(engine) as session:
        yield SyncMarksRepository(session)
    engine.dispose()


def test_a_district_never_synced_has_no_marks(marks):
    assert marks.get("jefferson") == SyncMarks()


def test_marks_read_back_as_saved_and_a_later_save_replaces_them(marks):
    marks.save("jefferson", SyncMarks(STARTED, STARTED, "evt00000042"))
    assert marks.get("jefferson") == SyncMarks(STARTED, STARTED, "evt00000042")
    marks.save("jefferson", SyncMarks(STARTED, STARTED, None))  # the district moved to a provider without a feed
    assert marks.get("jefferson").event_cursor is None
