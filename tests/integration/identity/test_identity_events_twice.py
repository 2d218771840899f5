"""identity under at-least-once delivery (shared/outbox.py): each directory event it takes, delivered twice,
changes its tables once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.identity.adapters.tables import metadata
from services.identity.service import IdentityService
from shared.contracts import directory
from shared.db import make_engine
from shared.outbox import OUTBOX, PROCESSED_EVENTS
from shared.testing.event_delivery import EnvelopeDispatcher, deliver_twice, handled_events
from tests.unit.notify.notify_factories import make_person_change

pytestmark = pytest.mark.postgres

SAMPLES = {
    directory.PEOPLE_UPSERTED: {"people": [make_person_change(person_id="person-guardian-1", archived=True)]},
    directory.STUDENT_ACCOUNTS_ENABLED: {"person_ids": ["student-1"], "enabled_by": "admin-1"},
}


def snapshot(engine) -> dict[str, list]:
    with engine.connect() as connection:
        return {table.name: sorted(map(repr, connection.execute(select(table))))
                for table in metadata.sorted_tables if table.name not in (OUTBOX, PROCESSED_EVENTS)}


def test_samples_cover_every_event_identity_takes_from_another_service():
    assert {event for event in handled_events(IdentityService) if event.service != "identity"} == set(SAMPLES)


@pytest.mark.parametrize("event", list(SAMPLES), ids=lambda event: event.name)
def test_a_directory_event_delivered_twice_changes_identity_once(identity_container, identity_config,
                                                                identity_database_url, sync, make_account_input,
                                                                event):
    sync(make_account_input(), make_account_input(person_id="student-1", email=None, mobile_phone=None,
                                                  roles=[{"role": "student", "school_ids": []}]))
    engine = make_engine(identity_database_url)
    try:
        before = snapshot(engine)
        first, second = deliver_twice(identity_container, EnvelopeDispatcher(identity_config), event, SAMPLES[event])
        after_first = snapshot(engine)

        assert second is None  # recognised by its event id: the handler did not run again
        assert after_first != before, "the first delivery should have changed identity"
        assert snapshot(engine) == after_first
    finally:
        engine.dispose()
