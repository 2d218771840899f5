"""The outbox on SQLite: events commit with their change or not at all, the relay publishes them in order and
keeps what the broker refused, and a consumer handles an event id once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shared.contracts import directory, identity
from shared.contracts.base import EVENT_ID, event_id_of, with_event_id
from shared.contracts.errors import InvalidRequest
from shared.db import make_engine, new_metadata
from shared.messaging import handles
from shared.outbox import ProcessedEventLog, add_event_tables, outbox, processed_events, stage_event
from shared.outbox_relay import BrokerAway, pending_count, prune, relay_pending
from tests.unit.notify.notify_factories import make_person_change

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
LOCK = 1
# What the worker's nameko context carried: the consumer's worker gets it as if the publisher had sent it.
CONTEXT = {"request_id": "request-1", "credential": "the sender's assertion"}


@pytest.fixture
def engine(tmp_path):
    metadata = new_metadata()
    add_event_tables(metadata)
    engine = make_engine(f"sqlite:///{tmp_path / 'service.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def people_page(*names: str) -> dict:
    return {"people": [make_person_change(person_id=name, given_name=name.title()) for name in names]}


def stage(session: Session, *names: str) -> str:
    return stage_event(session, directory.contract, directory.PEOPLE_UPSERTED, people_page(*names),
                       request_id="request-1", context=CONTEXT, clock=lambda: NOW)


def published(engine) -> list[tuple[str, bool]]:
    with engine.connect() as connection:
        return [(row.payload["people"][0]["person_id"], row.sent_at is not None)
                for row in connection.execute(select(outbox).order_by(outbox.c.seq))]


class Broker:
    """Stands in for the relay's publish: takes messages until `refuse_after` of them, then refuses."""

    def __init__(self, refuse_after: int | None = None):
        self.received: list = []
        self.refuse_after = refuse_after

    def __call__(self, row) -> None:
        if self.refuse_after is not None and len(self.received) >= self.refuse_after:
            raise ConnectionError("connection refused")
        self.received.append(row)

    def people(self) -> list[str]:
        return [row.payload["people"][0]["person_id"] for row in self.received]


def test_a_staged_event_is_written_by_the_commit_of_its_change(engine):
    with Session(engine) as session:
        event_id = stage(session, "ana")
        assert published(engine) == []  # nothing before the commit
        session.commit()

    assert published(engine) == [("ana", False)]
    with engine.connect() as connection:
        row = connection.execute(select(outbox)).one()
    assert (row.event_id, row.event, row.request_id) == (event_id, directory.PEOPLE_UPSERTED.name, "request-1")


def test_an_event_rolled_back_with_its_change_is_never_written(engine):
    with Session(engine) as session:
        session.execute(insert(processed_events).values(event_id="a" * 32, event="the change", processed_at=NOW))
        stage(session, "ana")
        session.rollback()
        session.commit()

    assert published(engine) == []


def test_an_event_staged_after_its_change_committed_waits_for_the_next_commit_through_a_rollback(engine):
    with Session(engine) as session:
        session.execute(insert(processed_events).values(event_id="a" * 32, event="the change", processed_at=NOW))
        session.commit()
        stage(session, "ana")  # between transactions: it speaks of the change committed above
        session.rollback()  # a repository starting afresh
        session.commit()

    assert published(engine) == [("ana", False)]


def test_an_event_is_checked_against_its_contract_when_staged(engine):
    with Session(engine) as session:
        with pytest.raises(InvalidRequest):
            stage_event(session, directory.contract, directory.PEOPLE_UPSERTED, {"people": [{"person_id": 1}]})
        with pytest.raises(ValueError, match="directory does not publish identity.user_joined"):
            stage_event(session, directory.contract, identity.USER_JOINED, {"person_id": "p", "joined_at": NOW})


def test_the_relay_publishes_in_commit_order_with_the_event_id_and_marks_each_sent(engine):
    for name in ("ana", "ben", "cai"):
        with Session(engine) as session:
            stage(session, name)
            session.commit()
    broker = Broker()

    assert relay_pending(engine, broker, lock_key=LOCK) == 3

    assert broker.people() == ["ana", "ben", "cai"]
    assert len({row.event_id for row in broker.received}) == 3
    assert broker.received[0].context == CONTEXT
    assert published(engine) == [("ana", True), ("ben", True), ("cai", True)]
    with engine.connect() as connection:  # the credential is not kept once sent
        assert connection.execute(select(outbox.c.context)).scalars().all() == [None] * 3
    assert relay_pending(engine, broker, lock_key=LOCK) == 0
    assert pending_count(engine) == 0


def test_a_refused_publish_keeps_that_event_and_the_ones_after_it_for_the_next_turn(engine):
    with Session(engine) as session:
        for name in ("ana", "ben", "cai"):
            stage(session, name)
        session.commit()
    broker = Broker(refuse_after=1)

    with pytest.raises(BrokerAway, match="published 1 of 3"):
        relay_pending(engine, broker, lock_key=LOCK)
    assert published(engine) == [("ana", True), ("ben", False), ("cai", False)]

    broker.refuse_after = None
    assert relay_pending(engine, broker, lock_key=LOCK) == 2
    assert broker.people() == ["ana", "ben", "cai"]


def test_pruning_deletes_only_what_was_sent_or_processed_long_ago(engine):
    with Session(engine) as session:
        stage(session, "old")
        stage(session, "unsent")
        session.commit()
    with engine.begin() as connection:
        connection.execute(outbox.update().where(outbox.c.seq == 1).values(sent_at=NOW - timedelta(days=2)))
        connection.execute(insert(processed_events), [
            {"event_id": "a" * 32, "event": "directory.people_upserted.v1", "processed_at": NOW - timedelta(days=8)},
            {"event_id": "b" * 32, "event": "directory.people_upserted.v1", "processed_at": NOW}])

    assert prune(engine, now=NOW, keep_sent=timedelta(days=1), keep_processed=timedelta(days=7)) == (1, 1)
    assert published(engine) == [("unsent", False)]


def test_the_envelope_carries_the_event_id_beside_the_payload_and_loading_leaves_it_out():
    page = people_page("ana")
    message = with_event_id(directory.PEOPLE_UPSERTED.dump(page), "e" * 32)

    assert event_id_of(message) == "e" * 32
    assert EVENT_ID not in directory.PEOPLE_UPSERTED.load(message)
    assert event_id_of(page) is None


class Projection:
    """A consuming service as nameko sees it: a handler, and the processed_events it declares."""

    def __init__(self, session: Session):
        self.processed_events = ProcessedEventLog(lambda: session)
        self.applied: list[list[str]] = []

    @handles(directory.PEOPLE_UPSERTED)
    def on_people_upserted(self, payload: dict) -> int:
        self.applied.append([change["person_id"] for change in payload["people"]])
        return len(payload["people"])


def test_a_consumer_handles_an_event_delivered_twice_once(engine):
    message = with_event_id(directory.PEOPLE_UPSERTED.dump(people_page("ana")), "e" * 32)
    with Session(engine) as session:
        projection = Projection(session)

        assert projection.on_people_upserted(message) == 1
        assert projection.on_people_upserted(message) is None

        assert projection.applied == [["ana"]]
        assert session.execute(select(processed_events.c.event_id)).scalars().all() == ["e" * 32]


SERVICES_WITH_EVENTS = ("directory", "identity", "notify", "rostering")


@pytest.mark.parametrize("name", SERVICES_WITH_EVENTS)
def test_every_service_publishes_through_its_outbox_and_handles_each_event_once(name):
    import importlib

    from nameko.extensions import DependencyProvider

    from shared.outbox import Outbox, ProcessedEvents
    from shared.outbox_relay import OutboxRelay
    from shared.testing.event_delivery import handled_events

    module = importlib.import_module(f"services.{name}.service")
    [service] = [value for value in vars(module).values()
                 if isinstance(value, type) and getattr(value, "name", None) == name]
    dependencies = {type(value) for value in vars(service).values() if isinstance(value, DependencyProvider)}

    assert {Outbox, OutboxRelay} <= dependencies
    if handled_events(service):
        assert isinstance(service.processed_events, ProcessedEvents)
