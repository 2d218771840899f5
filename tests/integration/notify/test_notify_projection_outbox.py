"""notify's recipient projection under at-least-once delivery (shared/outbox.py): every event it takes from
identity and directory, delivered twice, changes nothing the second time; a directory import made while the
directory's relay cannot reach the broker reaches the projection when it can, without a re-import; and a
projection that lost people is rebuilt by the directory publishing the district again."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import delete, select

from services.directory.service import DirectoryService
from services.notify.adapters.tables import metadata, recipient_schools, recipients
from services.notify.service import NotifyService
from shared.contracts import directory, identity
from shared.db import make_engine
from shared.outbox import OUTBOX, PROCESSED_EVENTS
from shared.outbox_relay import OutboxRelay, pending_count
from shared.testing.event_delivery import EnvelopeDispatcher, deliver_twice, handled_events
from tests.unit.notify.notify_factories import make_account_change, make_person_change

pytestmark = pytest.mark.postgres

JOINED_AT = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
# One payload of each event notify's projection takes from another service.
SAMPLES = {
    identity.ACCOUNTS_UPSERTED: {"accounts": [make_account_change()]},
    identity.USER_JOINED: {"person_id": "person-1", "joined_at": JOINED_AT},
    identity.DISTRICT_LANGUAGES_CHANGED: {"district_id": "district-1", "languages": ["en", "es"],
                                          "default_language": "es"},
    directory.PEOPLE_UPSERTED: {"people": [make_person_change(kinds=["student"])]},
    directory.STUDENT_ACCOUNTS_ENABLED: {"person_ids": ["person-1"], "enabled_by": "staff-1"},
}
CATCH_UP_SECONDS = 30


def snapshot(engine) -> dict[str, list]:
    """Every row notify keeps, but the bookkeeping of delivery itself."""
    with engine.connect() as connection:
        return {table.name: sorted(map(repr, connection.execute(select(table))))
                for table in metadata.sorted_tables if table.name not in (OUTBOX, PROCESSED_EVENTS)}


def test_samples_cover_every_event_notify_takes_from_another_service():
    taken = {event for event in handled_events(NotifyService) if event.service != "notify"}
    assert taken == set(SAMPLES)


@pytest.mark.parametrize("event", list(SAMPLES), ids=lambda event: f"{event.service}.{event.name}")
def test_an_event_delivered_twice_changes_the_projection_once(notify_container, notify_config, engine, event):
    dispatch = EnvelopeDispatcher(notify_config)
    # The person the events speak of, known to both owners first, so each event has something to change.
    for setup in (identity.ACCOUNTS_UPSERTED, directory.PEOPLE_UPSERTED):
        deliver_twice(notify_container, dispatch, setup, SAMPLES[setup])
    before = snapshot(engine)

    first, second = deliver_twice(notify_container, dispatch, event, SAMPLES[event])
    after_first = snapshot(engine)

    assert second is None  # recognised by its event id: the handler did not run again
    assert snapshot(engine) == after_first
    if event not in (identity.ACCOUNTS_UPSERTED, directory.PEOPLE_UPSERTED):
        assert after_first != before, "the first delivery should have changed the projection"


@pytest.fixture
def directory_rpc(container_factory, rabbit_config, migrated_pg_url, notify_container):
    """The directory beside notify, on the same broker vhost, with its own schema and outbox."""
    config = {**rabbit_config, "DATABASES": {"directory": migrated_pg_url("directory")}, "max_workers": 10}
    container = container_factory(DirectoryService, config)
    container.start()
    with ServiceRpcProxy(directory.NAME, config, timeout=60) as proxy:
        proxy.container = container
        proxy.engine = make_engine(config["DATABASES"]["directory"])
        yield proxy
        proxy.engine.dispose()


def relay_of(container) -> OutboxRelay:
    return next(dependency for dependency in container.extensions if isinstance(dependency, OutboxRelay))


def people_inputs(page: int, size: int) -> list[dict]:
    return [{"source_id": f"p{page}-{n}", "given_name": f"Given{n}", "family_name": f"Page{page}",
             "kinds": ["student"], "school_source_ids": ["north"], "grade": "05"} for n in range(size)]


def seeded_district(directory_rpc) -> str:
    district = directory_rpc.upsert_district({"source_id": "mv", "name": "Maple Valley"})
    directory_rpc.upsert_schools({"district_id": district["id"], "schools": [
        {"source_id": "north", "name": "North Elementary", "identifier": "N"}]})
    return district["id"]


def known_to_notify(notify_rpc, person_ids: list[str], *, since: float) -> list[str]:
    """The people notify knows, once it knows them all or CATCH_UP_SECONDS after `since`."""
    while True:
        known = notify_rpc.get_recipients({"person_ids": person_ids})["recipients"]
        if len(known) == len(person_ids) or time.monotonic() - since > CATCH_UP_SECONDS:
            return sorted(recipient["person_id"] for recipient in known)
        time.sleep(0.2)


def test_an_import_made_while_the_broker_is_away_reaches_the_projection_when_it_returns(directory_rpc, notify_rpc):
    relay = relay_of(directory_rpc.container)
    district = {"id": seeded_district(directory_rpc)}
    broker = relay.publisher.amqp_uri
    relay.publisher.amqp_uri = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens there: every publish fails

    person_ids = []
    for page in range(3):
        results = directory_rpc.upsert_people({"district_id": district["id"],
                                               "people": people_inputs(page, 50)})["results"]
        assert {result["outcome"] for result in results} == {"created"}
        person_ids += [result["id"] for result in results]
    time.sleep(2)  # the relay tries, and fails, meanwhile

    assert pending_count(directory_rpc.engine) == 3
    assert notify_rpc.get_recipients({"person_ids": person_ids})["recipients"] == []

    relay.publisher.amqp_uri = broker
    returned = time.monotonic()
    known = known_to_notify(notify_rpc, person_ids, since=returned)
    print(f"\nprojection caught up with {len(known)} of {len(person_ids)} people "
          f"{time.monotonic() - returned:.1f} s after the broker returned")
    assert known == sorted(person_ids)
    assert pending_count(directory_rpc.engine) == 0


def test_a_projection_that_lost_people_is_rebuilt_when_the_directory_publishes_the_district_again(
        directory_rpc, notify_rpc, engine):
    district_id = seeded_district(directory_rpc)
    results = directory_rpc.upsert_people({"district_id": district_id, "people": people_inputs(0, 30)})["results"]
    person_ids = sorted(result["id"] for result in results)
    assert known_to_notify(notify_rpc, person_ids, since=time.monotonic()) == person_ids
    with engine.begin() as connection:  # notify's copy loses them, as after events lost for good
        connection.execute(delete(recipient_schools))
        connection.execute(delete(recipients))
    assert notify_rpc.get_recipients({"person_ids": person_ids})["recipients"] == []

    answer = directory_rpc.republish_district({"district_id": district_id})

    assert answer == {"events": 1, "rows": 30}
    assert known_to_notify(notify_rpc, person_ids, since=time.monotonic()) == person_ids


def close_vhost_connections(rabbit_manager, vhost: str) -> int:
    """What `rabbitmqctl close_all_connections` does, for the test's vhost only: every process there loses its link.
    The management API lists a connection some seconds after it opened: wait until it lists those of the vhost."""
    listed = time.monotonic()
    while True:
        closed = [connection["name"] for connection in rabbit_manager.get_connections()
                  if connection["vhost"] == vhost]
        if closed or time.monotonic() - listed > CATCH_UP_SECONDS:
            break
        time.sleep(0.5)
    for name in closed:
        rabbit_manager.delete_connection(name)
    return len(closed)


def test_pages_imported_around_the_vhost_losing_every_connection_all_reach_the_projection(
        directory_rpc, notify_rpc, rabbit_manager, rabbit_config):
    district_id = seeded_district(directory_rpc)
    before = directory_rpc.upsert_people({"district_id": district_id, "people": people_inputs(0, 40)})["results"]

    assert close_vhost_connections(rabbit_manager, rabbit_config["vhost"]) > 0
    dropped = time.monotonic()
    # The test's own proxy lost its link too: a new one, as a caller would after reconnecting.
    with ServiceRpcProxy(directory.NAME, rabbit_config, timeout=60) as directory_again:
        after = directory_again.upsert_people({"district_id": district_id, "people": people_inputs(1, 40)})["results"]

    person_ids = sorted(result["id"] for result in before + after)
    with ServiceRpcProxy("notify", rabbit_config, timeout=60) as notify_again:
        known = known_to_notify(notify_again, person_ids, since=dropped)
    print(f"\nafter every connection of the vhost was closed: {len(known)} of {len(person_ids)} people in notify's "
          f"projection {time.monotonic() - dropped:.1f} s later")
    assert known == person_ids
    assert pending_count(directory_rpc.engine) == 0
