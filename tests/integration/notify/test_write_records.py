"""DeliveryRepository.write_records (PostgreSQL and SQLite): the pages of a batch of provider reports written with
one statement per kind, the same rows as writing them one page after another."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.notify.adapters.ledger_settle import disjoint_rounds
from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import credential_health, delivery_events, deliveries, send_ledger
from services.notify.domain.delivery import Channel, CredentialKind, DeliveryStatus, NewDelivery, Outcome
from services.notify.ports import CredentialChange, DeliveryResult, EventSource, HealthChange, JobRecord, LedgerAction
from tests.integration.notify.notify_service_world import NOW


@pytest.fixture
def store(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield NotifyStore(session)
    session.close()


def sent_email(engine, store, person_id: str, address: str) -> tuple[str, str]:
    """(communication id, delivery id) of a queued email whose send the ledger holds as answered."""
    repository = store.deliveries
    communication_id = repository.create_communication(district_id="district-1", kind="message", body="Hi.",
                                                       now=NOW)
    [delivery_id] = repository.create_deliveries(
        communication_id, [NewDelivery(person_id, Channel.EMAIL, address)], now=NOW)
    repository.mark_queued([delivery_id], now=NOW)
    with engine.begin() as connection:
        connection.execute(insert(send_ledger).values(
            communication_id=communication_id, person_id=person_id, channel="email", delivery_id=delivery_id,
            state="answered", job_id="job-1", written_at=NOW))
    return communication_id, delivery_id


def record(communication_id: str, delivery_id: str, person_id: str, address: str, *, outcome: Outcome,
           ledger: LedgerAction, change: HealthChange) -> JobRecord:
    status = DeliveryStatus.DELIVERED if outcome is Outcome.DELIVERED else DeliveryStatus.FAILED
    return JobRecord(communication_id, Channel.EMAIL,
                     (DeliveryResult(delivery_id, person_id, status, outcome, False, ledger),),
                     (CredentialChange(CredentialKind.EMAIL, address, change, outcome, None),),
                     source=EventSource.WEBHOOK)


def test_pages_of_one_batch_settle_their_ledgers_and_record_their_events_together(notify_engine, store):
    sends = [(person, f"{person}@example.org", *sent_email(notify_engine, store, person, f"{person}@example.org"))
             for person in ("ana", "ben", "cy")]
    records = [record(communication_id, delivery_id, person, address, outcome=outcome, ledger=ledger,
                      change=HealthChange.DELIVERED if outcome is Outcome.DELIVERED else HealthChange.SOFT_FAILURE)
               for (person, address, communication_id, delivery_id), (outcome, ledger) in zip(sends, [
                   (Outcome.DELIVERED, LedgerAction.MARK_SENT), (Outcome.DELIVERED, LedgerAction.MARK_SENT),
                   (Outcome.SOFT_BOUNCE, LedgerAction.RELEASE)])]

    with store.deliveries.session.begin():
        assert store.deliveries.write_records(records, now=NOW) == [[], [], []]

    with notify_engine.connect() as connection:
        ledger = {row.person_id: row.state for row in connection.execute(select(send_ledger))}
        statuses = {row.person_id: row.status for row in connection.execute(select(deliveries))}
        events = sorted(row.status for row in connection.execute(select(delivery_events))
                        if row.source == "webhook")
    assert ledger == {"ana": "sent", "ben": "sent"}  # cy's key released: a retry may claim it again
    assert statuses == {"ana": "delivered", "ben": "delivered", "cy": "failed"}
    assert events == ["delivered", "delivered", "failed"]


def test_pages_touching_one_credential_are_written_in_their_order(notify_engine, store):
    # Delivered, then a soft failure: one soft failure counted (the other order would count none).
    address = "dana@example.org"
    first, second = (sent_email(notify_engine, store, "dana", address) for _ in range(2))
    records = [record(*first, "dana", address, outcome=Outcome.DELIVERED, ledger=LedgerAction.MARK_SENT,
                      change=HealthChange.DELIVERED),
               record(*second, "dana", address, outcome=Outcome.SOFT_BOUNCE, ledger=LedgerAction.RELEASE,
                      change=HealthChange.SOFT_FAILURE)]

    with store.deliveries.session.begin():
        store.deliveries.write_records(records, now=NOW)

    with notify_engine.connect() as connection:
        [health] = connection.execute(select(credential_health)).all()
    assert health.soft_failures == 1


def test_pages_delivered_to_one_address_are_written_in_one_round(notify_engine, store):
    address = "staff@example.org"
    sends = [sent_email(notify_engine, store, "sam", address) for _ in range(3)]
    records = [record(*send, "sam", address, outcome=Outcome.DELIVERED, ledger=LedgerAction.MARK_SENT,
                      change=HealthChange.DELIVERED) for send in sends]

    assert [len(round_) for round_ in disjoint_rounds(records)] == [3]
    with store.deliveries.session.begin():
        store.deliveries.write_records(records, now=NOW)

    with notify_engine.connect() as connection:
        assert {row.state for row in connection.execute(select(send_ledger))} == {"sent"}
        assert {row.status for row in connection.execute(select(deliveries))} == {"delivered"}
